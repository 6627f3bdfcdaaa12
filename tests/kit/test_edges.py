"""The contract's envelope and error format at the edges: ids, bodies, media types, routing, budgets."""

from __future__ import annotations

import pytest

from ..helpers import data, error


def test_request_id_is_generated_or_echoed(api):
    generated = api.get("/api/v1/health")
    assert generated.headers["x-request-id"].startswith("req_")
    assert data(generated) == {"status": "ok"}
    echoed = api.get("/api/v1/health", headers={"X-Request-ID": "trace-42.a_b"})
    assert echoed.headers["x-request-id"] == "trace-42.a_b" == echoed.json()["request_id"]
    for bad in ["has space", "x" * 129, "semi;colon", ""]:
        replaced = api.get("/api/v1/health", headers={"X-Request-ID": bad})
        assert replaced.headers["x-request-id"].startswith("req_")


def test_unknown_path_and_wrong_method(api):
    error(api.get("/api/v1/no-such-thing"), 404, "NOT_FOUND")
    error(api.get("/nowhere"), 404, "NOT_FOUND")
    wrong = api.delete("/api/v1/health")
    error(wrong, 405, "METHOD_NOT_ALLOWED")
    assert wrong.headers["allow"] == "GET"  # RFC 9110: a 405 names the methods that are allowed
    members = api.put("/api/v1/systems/@me/members")
    error(members, 405, "METHOD_NOT_ALLOWED")
    assert set(members.headers["allow"].split(", ")) == {"GET", "POST"}
    pluralkit = api.put("/pk/v2/systems/@me/switches")
    assert pluralkit.status_code == 405 and "POST" in pluralkit.headers["allow"]


def test_malformed_json_is_400_and_changes_nothing(api):
    account = api.register(system_name="Keep")
    for body in [b"{", b"{'name': 'x'}", b"\xff\xfe", b"[1, 2", b"null garbage"]:
        error(api.patch("/api/v1/systems/@me", account.session, content=body,
                        headers={"Content-Type": "application/json"}), 400, "VALIDATION_FAILED")
    assert data(api.get("/api/v1/systems/@me", account.session))["name"] == "Keep"


def test_wrong_json_shape_is_422(api):
    account = api.register()
    for body in [b"[]", b"42", b'"text"', b"null"]:
        error(api.patch("/api/v1/systems/@me", account.session, content=body,
                        headers={"Content-Type": "application/json"}), 422, "VALIDATION_FAILED")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_json_endpoints_refuse_other_media_types(api, content_type):
    account = api.register(system_name="Keep")
    headers = {"Content-Type": content_type} if content_type else {}
    error(api.patch("/api/v1/systems/@me", account.session, content=b'{"name": "x"}', headers=headers),
          415, "UNSUPPORTED_MEDIA_TYPE")
    assert data(api.get("/api/v1/systems/@me", account.session))["name"] == "Keep"


def test_json_with_charset_is_accepted(api):
    account = api.register()
    data(api.patch("/api/v1/systems/@me", account.session, content=b'{"name": "x"}',
                   headers={"Content-Type": "application/json; charset=utf-8"}))


def test_oversized_bodies_are_413(api):
    account = api.register()
    huge = b'{"description": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    error(api.patch("/api/v1/systems/@me", account.session, content=huge,
                    headers={"Content-Type": "application/json"}), 413, "PAYLOAD_TOO_LARGE")


def test_oversized_chunked_bodies_are_413(api):
    account = api.register()

    def chunks():
        yield b'{"description": "'
        for _ in range(300):
            yield b"x" * 4096
        yield b'"}'

    error(api.patch("/api/v1/systems/@me", account.session, content=chunks(),
                    headers={"Content-Type": "application/json"}), 413, "PAYLOAD_TOO_LARGE")
    assert data(api.get("/api/v1/systems/@me", account.session))["description"] is None


def test_the_body_limit_is_configurable(make_server):
    small = make_server(max_body_bytes=256).api()
    account = small.register()
    error(small.patch("/api/v1/systems/@me", account.session, json={"description": "x" * 300}),
          413, "PAYLOAD_TOO_LARGE")


def test_rate_limit_headers_are_on_every_response_and_429_when_spent(make_server):
    limited = make_server(rate_limit_read=3).api()
    account = limited.register()
    token = limited.pat(account, "system:read")
    first = limited.get("/api/v1/systems/@me", token)
    assert first.headers["x-ratelimit-limit"] == "3" and first.headers["x-ratelimit-remaining"] == "2"
    assert int(first.headers["x-ratelimit-reset"]) >= 1
    limited.get("/api/v1/systems/@me", token)
    limited.get("/api/v1/systems/@me", token)
    spent = limited.get("/api/v1/systems/@me", token)
    error(spent, 429, "RATE_LIMITED")
    assert int(spent.headers["retry-after"]) >= 1 and spent.headers["x-ratelimit-remaining"] == "0"
    # Another client keeps its own budget, and the health check is never metered.
    assert limited.get("/api/v1/systems/@me", account.session).status_code == 200
    assert limited.get("/api/v1/health").status_code == 200


def test_made_up_tokens_spend_their_address_budget(make_server):
    """Every well-formed token has a budget of its own, so a made-up one must not bring a fresh budget with it."""
    from pluralspace.kit.crypto import PAT_PREFIX, generate_token

    limited = make_server(rate_limit_read=3).api()
    account = limited.register()
    token = limited.pat(account, "system:read")
    for _ in range(3):
        error(limited.get("/api/v1/systems/@me", generate_token(PAT_PREFIX)), 401, "UNAUTHENTICATED")
    spent = limited.get("/api/v1/systems/@me", generate_token(PAT_PREFIX))
    error(spent, 429, "RATE_LIMITED")
    assert int(spent.headers["retry-after"]) >= 1
    error(limited.get("/api/v1/systems/zzzzzz"), 429, "RATE_LIMITED")  # the address's own budget is the one spent
    assert limited.get("/api/v1/systems/@me", token).status_code == 200  # a real token keeps its own


ORIGIN = {"Origin": "https://app.example"}


def test_browser_apps_on_other_origins_may_call_the_api(api):
    for path in ("/api/v1/systems/@me", "/pk/v2/systems/@me", "/oauth/token", "/oauth/revoke"):
        preflight = api.client.options(path, headers={**ORIGIN, "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "authorization,content-type"})
        assert preflight.status_code == 204, path
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "Authorization" in preflight.headers["access-control-allow-headers"]
        assert "x-ratelimit-limit" not in preflight.headers  # not metered
    owner = api.register()
    token = api.pat(owner, "system:read")
    for response in (api.get("/api/v1/systems/@me", token, headers=ORIGIN),
                     api.get("/pk/v2/systems/@me", token, headers=ORIGIN)):
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        assert "X-Request-Id" in response.headers["access-control-expose-headers"]
    refused = api.get("/api/v1/systems/@me", headers=ORIGIN)  # errors are readable too
    error(refused, 401, "UNAUTHENTICATED")
    assert refused.headers["access-control-allow-origin"] == "*"
    same_origin = api.get("/api/v1/systems/@me", token)
    assert "access-control-allow-origin" not in same_origin.headers


def test_cookie_pages_are_not_open_to_other_origins(api):
    for path in ("/login", "/settings", "/oauth/authorize"):
        response = api.get(path, headers=ORIGIN)
        assert "access-control-allow-origin" not in response.headers, path
        preflight = api.client.options(path, headers={**ORIGIN, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code != 204 and "access-control-allow-origin" not in preflight.headers, path


def test_rate_limits_can_be_switched_off(make_server):
    unlimited = make_server(rate_limit_enabled=False, rate_limit_read=1).api()
    for _ in range(3):
        response = unlimited.get("/api/v1/version")
        assert response.status_code == 200 and "x-ratelimit-limit" not in response.headers
    assert unlimited.get("/api/v1/systems/zzzzzz").status_code == 404


def test_unexpected_errors_are_500_without_internals(server, api):
    from pluralspace.systems import service

    original = service.get_system

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internal detail")

    service.get_system = broken
    try:
        response = api.get("/api/v1/systems/zzzzzz")
    finally:
        service.get_system = original
    failure = error(response, 500, "INTERNAL_ERROR")
    assert "secret internal detail" not in response.text and failure["details"] is None


def test_nul_characters_are_refused_everywhere(api):
    account = api.register(system_name="Keep")
    for body in [{"name": "a\u0000b"}, {"privacy": {"front": "pub\u0000lic"}}]:
        failure = error(api.patch("/api/v1/systems/@me", account.session, json=body), 422, "VALIDATION_FAILED")
        assert "NUL" in failure["message"]
    error(api.post("/api/v1/systems/@me/members", account.session, json={"name": "x", "roles": ["a\u0000"]}),
          422, "VALIDATION_FAILED")
    error(api.get("/api/v1/systems/@me/members", account.session, params={"q": "a\u0000b"}), 422,
          "VALIDATION_FAILED")
    assert data(api.get("/api/v1/systems/@me", account.session))["name"] == "Keep"


def test_strict_transport_security_only_when_the_base_url_is_https(make_server, api):
    assert "strict-transport-security" not in api.get("/api/v1/health").headers
    https = make_server(base_url="https://plural.example").api()
    for path in ("/api/v1/health", "/login", "/pk/v2/systems/zzzzzz", "/no/such/path"):
        assert https.get(path).headers["strict-transport-security"] == "max-age=31536000; includeSubDomains", path

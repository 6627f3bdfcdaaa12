from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from ..helpers import data, error


def test_token_text_is_shown_once_and_listed_without_it(api):
    account = api.register()
    created = data(api.post("/api/v1/me/tokens", account.session,
                            json={"name": "discord bot", "scopes": ["members:write", "fronts:read"]}), 201)
    assert created["token"].startswith("ps_pat_") and created["scopes"] == ["fronts:read", "members:write"]
    listed = data(api.get("/api/v1/me/tokens", account.session))
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and listed[0]["name"] == "discord bot"
    assert listed[0]["last_used_at"] is None


def test_write_implies_read_and_nothing_more(api):
    account = api.register()
    writer = api.pat(account, "system:write")
    data(api.get("/api/v1/systems/@me", writer))
    reader = api.pat(account, "members:read")
    failure = error(api.get("/api/v1/systems/@me", reader), 403, "INSUFFICIENT_SCOPE")
    assert failure["details"] == {"required": ["system:read"], "granted": ["members:read"]}


def test_tokens_cannot_manage_tokens_or_the_account(api):
    account = api.register()
    pat = api.pat(account, *["system:write", "members:write"])
    for method, path, body in [("GET", "/api/v1/me/tokens", None),
                               ("POST", "/api/v1/me/tokens", {"name": "x", "scopes": ["system:read"]}),
                               ("DELETE", "/api/v1/me/tokens/00000000-0000-0000-0000-000000000000", None),
                               ("GET", "/api/v1/me", None), ("PATCH", "/api/v1/me", {"current_password": "x"}),
                               ("DELETE", "/api/v1/me", None), ("GET", "/api/v1/me/security-log", None)]:
        failure = error(api.request(method, path, pat, json=body), 403, "INSUFFICIENT_SCOPE")
        assert failure["details"]["required"] == ["account"]
    data(api.get("/api/v1/me", account.session))


def test_revoked_token_is_refused_at_once(api):
    account = api.register()
    created = data(api.post("/api/v1/me/tokens", account.session, json={"name": "t", "scopes": ["system:read"]}),
                   201)
    data(api.get("/api/v1/systems/@me", created["token"]))
    assert api.delete(f"/api/v1/me/tokens/{created['id']}", account.session).status_code == 204
    response = api.get("/api/v1/systems/@me", created["token"])
    error(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert data(api.get("/api/v1/me/tokens", account.session)) == []
    error(api.delete(f"/api/v1/me/tokens/{created['id']}", account.session), 404, "NOT_FOUND")


def test_expired_token_is_refused(api):
    account = api.register()
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    token = api.pat(account, "system:read", expires_at=soon)
    data(api.get("/api/v1/systems/@me", token))
    time.sleep(2.2)
    error(api.get("/api/v1/systems/@me", token), 401, "UNAUTHENTICATED")


def test_another_accounts_token_cannot_be_revoked(api):
    owner, other = api.register(), api.register()
    created = data(api.post("/api/v1/me/tokens", owner.session, json={"name": "t", "scopes": ["system:read"]}), 201)
    error(api.delete(f"/api/v1/me/tokens/{created['id']}", other.session), 404, "NOT_FOUND")
    data(api.get("/api/v1/systems/@me", created["token"]))


@pytest.mark.parametrize("body, field", [
    ({"name": "", "scopes": ["system:read"]}, "name"),
    ({"name": "x" * 101, "scopes": ["system:read"]}, "name"),
    ({"name": "t", "scopes": []}, "scopes"),
    ({"name": "t", "scopes": ["account"]}, "scopes"),
    ({"name": "t", "scopes": ["admin:everything"]}, "scopes"),
    ({"name": "t", "scopes": "system:read"}, "scopes"),
    ({"name": "t", "scopes": ["system:read"], "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
    ({"name": "t", "scopes": ["system:read"], "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
    ({"name": "t", "scopes": ["system:read"], "expires_at": "tomorrow"}, "expires_at"),
])
def test_token_creation_refuses_bad_input(api, body, field):
    account = api.register()
    failure = error(api.post("/api/v1/me/tokens", account.session, json=body), 422, "VALIDATION_FAILED")
    assert field in failure["details"]["fields"], failure
    assert data(api.get("/api/v1/me/tokens", account.session)) == []


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "Bearer ps_pat_short",
                                    "Bearer ps_pat_" + "a" * 38, "Token x y"])
def test_malformed_authorization_is_401(api, header):
    response = api.get("/api/v1/systems/@me", headers={"Authorization": header})
    error(response, 401, "UNAUTHENTICATED")
    assert "Bearer" in response.headers["www-authenticate"]


def _last_used(api, account) -> str | None:
    return data(api.get("/api/v1/me/tokens", account.session))[0]["last_used_at"]


def test_last_used_is_recorded_off_the_request_path_once_a_minute(api):
    account = api.register()
    token = api.pat(account, "system:read")
    data(api.get("/api/v1/systems/@me", token))
    deadline = time.monotonic() + 10
    while _last_used(api, account) is None:
        assert time.monotonic() < deadline, "last_used_at was never recorded"
        time.sleep(0.1)
    first = _last_used(api, account)
    for _ in range(5):
        data(api.get("/api/v1/systems/@me", token))
    time.sleep(0.6)  # several flush periods: a second write within the minute would show here
    assert _last_used(api, account) == first


def test_token_list_pages_without_gaps(api):
    account = api.register()
    ids = {data(api.post("/api/v1/me/tokens", account.session, json={"name": f"t{i}", "scopes": ["system:read"]}),
                201)["id"] for i in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = api.get("/api/v1/me/tokens", account.session, params=params)
        body = response.json()
        seen += [t["id"] for t in body["data"]]
        assert body["pagination"]["limit"] == 3
        cursor = body["pagination"]["cursor"]
        assert body["pagination"]["has_more"] == (cursor is not None)
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7 and set(seen) == ids
    error(api.get("/api/v1/me/tokens", account.session, params={"cursor": "garbage!"}), 422, "VALIDATION_FAILED")
    error(api.get("/api/v1/me/tokens", account.session, params={"limit": 0}), 422, "VALIDATION_FAILED")
    error(api.get("/api/v1/me/tokens", account.session, params={"limit": 201}), 422, "VALIDATION_FAILED")

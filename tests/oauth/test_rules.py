"""One test per RFC 9700 rule the server enforces, plus the behaviours around them."""

from __future__ import annotations

import pytest

from ..helpers import data, error
from .common import (
    REDIRECT,
    Browser,
    exchange,
    get_code,
    oauth_error,
    page_forms,
    pkce,
    redirect_params,
    refresh,
    register_app,
)


def test_wrong_redirect_uri_is_an_error_page_never_a_redirect(browser, app):
    _, challenge = pkce()
    for wrong in ("https://evil.example/callback", REDIRECT + "/more", REDIRECT + "?x=1", "https://APP.example/callback"):
        response = browser.authorize(app, challenge=challenge, redirect_uri=wrong)
        assert response.status_code == 400 and "location" not in response.headers, wrong
        assert "invalid_request" in response.text and "frame-ancestors 'none'" in response.headers[
            "content-security-policy"]


def test_unknown_client_is_an_error_page(browser, app):
    _, challenge = pkce()
    app.client_id = "ps_ci_unknown"
    response = browser.authorize(app, challenge=challenge)
    assert response.status_code == 400 and "location" not in response.headers
    assert "invalid_client" in response.text


def test_loopback_redirect_uri_matches_on_any_port(server, api, owner, browser):
    app = register_app(api, owner, redirect_uris=["http://127.0.0.1/callback"])
    verifier, challenge = pkce()
    redirect_uri = "http://127.0.0.1:49152/callback"
    response = browser.decide(browser.authorize(app, challenge=challenge, redirect_uri=redirect_uri))
    code = redirect_params(response, redirect_uri)["code"]
    # The code is bound to the URI actually used, port included.
    oauth_error(exchange(server.url, app, code, verifier, redirect_uri="http://127.0.0.1:1/callback"),
                "invalid_grant")
    assert exchange(server.url, app, code, verifier, redirect_uri=redirect_uri).status_code == 200
    # Only the port is free: another path is refused.
    refused = browser.authorize(app, challenge=challenge, redirect_uri="http://127.0.0.1:49152/elsewhere")
    assert refused.status_code == 400


@pytest.mark.parametrize("pkce_params", [
    {},
    {"code_challenge_method": "S256"},
    {"code_challenge": "a" * 43, "code_challenge_method": "plain"},
    {"code_challenge": "a" * 43},  # no method means plain (RFC 7636 §4.3)
], ids=["missing", "method-only", "plain", "implicit-plain"])
def test_pkce_is_required_and_only_s256(browser, app, pkce_params):
    response = browser.authorize(app, **pkce_params)
    params = redirect_params(response, app.redirect_uri)
    assert params["error"] == "invalid_request" and params["state"] == "st4te"
    assert "code" not in params


def test_wrong_code_verifier_is_invalid_grant(server, browser, app):
    code, verifier = get_code(browser, app)
    other_verifier, _ = pkce()
    oauth_error(exchange(server.url, app, code, other_verifier), "invalid_grant")
    oauth_error(exchange(server.url, app, code, ""), "invalid_request")  # a verifier must be sent
    assert exchange(server.url, app, code, verifier).status_code == 200  # the code was not spent by the failures


def test_code_replay_is_refused_and_revokes_what_the_code_issued(server, api, browser, app):
    code, verifier = get_code(browser, app)
    first = exchange(server.url, app, code, verifier)
    assert first.status_code == 200, first.text
    tokens = first.json()
    data(api.get("/api/v1/systems/@me", tokens["access_token"]))

    oauth_error(exchange(server.url, app, code, verifier), "invalid_grant")
    error(api.get("/api/v1/systems/@me", tokens["access_token"]), 401, "UNAUTHENTICATED")
    oauth_error(refresh(server.url, app, tokens["refresh_token"]), "invalid_grant")


def test_refresh_token_reuse_revokes_the_family(server, api, browser, app):
    code, verifier = get_code(browser, app)
    tokens = exchange(server.url, app, code, verifier).json()
    rotated = refresh(server.url, app, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    current = rotated.json()
    data(api.get("/api/v1/systems/@me", current["access_token"]))

    oauth_error(refresh(server.url, app, tokens["refresh_token"]), "invalid_grant")  # the old one, again
    error(api.get("/api/v1/systems/@me", current["access_token"]), 401, "UNAUTHENTICATED")
    oauth_error(refresh(server.url, app, current["refresh_token"]), "invalid_grant")


def test_refresh_cannot_escalate_scope_but_may_narrow(server, api, browser, app):
    code, verifier = get_code(browser, app, scope="system:read members:read")
    tokens = exchange(server.url, app, code, verifier).json()
    oauth_error(refresh(server.url, app, tokens["refresh_token"], scope="system:read members:write"),
                "invalid_scope")
    narrowed = refresh(server.url, app, tokens["refresh_token"], scope="system:read").json()
    assert narrowed["scope"] == "system:read"
    error(api.get("/api/v1/systems/@me/members", narrowed["access_token"]), 403, "INSUFFICIENT_SCOPE")
    # The refresh token keeps the grant's scope (RFC 6749 §6): the next refresh may ask for all of it again.
    widened = refresh(server.url, app, narrowed["refresh_token"], scope="system:read members:read").json()
    data(api.get("/api/v1/systems/@me/members", widened["access_token"]))
    oauth_error(refresh(server.url, app, widened["refresh_token"], scope="fronts:read"), "invalid_scope")


def test_another_clients_code_is_invalid_grant(server, api, owner, browser, app):
    other = register_app(api, owner, name="Other App")
    code, verifier = get_code(browser, app)
    oauth_error(exchange(server.url, other, code, verifier, redirect_uri=app.redirect_uri), "invalid_grant")
    assert exchange(server.url, app, code, verifier).status_code == 200  # still good for its own client


@pytest.mark.parametrize("csrf", [None, "", "0" * 64], ids=["missing", "empty", "wrong"])
def test_consent_without_the_csrf_token_is_refused(server, browser, app, csrf):
    _, challenge = pkce()
    fields = dict(page_forms(browser.authorize(app, challenge=challenge).text).fields)
    if csrf is None:
        del fields["csrf_token"]
    else:
        fields["csrf_token"] = csrf
    response = browser.http.post("/oauth/authorize", data={**fields, "decision": "allow"})
    assert response.status_code == 403 and "location" not in response.headers


def test_consent_token_is_bound_to_the_session(server, api, owner, browser, app):
    """A consent form from one session cannot be submitted in another (another user's page, a stolen token)."""
    other_browser = Browser(server.url, api.register())
    try:
        _, challenge = pkce()
        consent = browser.authorize(app, challenge=challenge)
        response = other_browser.decide(consent)
        assert response.status_code == 403 and "location" not in response.headers
    finally:
        other_browser.close()


def test_revoked_apps_tokens_are_refused(server, api, owner, browser, app):
    code, verifier = get_code(browser, app)
    tokens = exchange(server.url, app, code, verifier).json()
    unused_code, unused_verifier = get_code(browser, app)  # issued before the revocation, exchanged after
    data(api.get("/api/v1/systems/@me", tokens["access_token"]))

    assert api.delete(f"/api/v1/me/authorizations/{app.client_id}", owner.session).status_code == 204
    error(api.get("/api/v1/systems/@me", tokens["access_token"]), 401, "UNAUTHENTICATED")
    oauth_error(refresh(server.url, app, tokens["refresh_token"]), "invalid_grant")
    oauth_error(exchange(server.url, app, unused_code, unused_verifier), "invalid_grant")
    assert data(api.get("/api/v1/me/authorizations", owner.session)) == []
    events = data(api.get("/api/v1/me/security-log?limit=200", owner.session))
    assert any(e["kind"] == "oauth_revoked" and e["detail"]["client_id"] == app.client_id for e in events)
    # Consent is forgotten too: the next authorization asks again.
    _, challenge = pkce()
    assert browser.authorize(app, challenge=challenge).status_code == 200
    error(api.delete(f"/api/v1/me/authorizations/{app.client_id}", owner.session), 404, "NOT_FOUND")


def test_remembered_consent_skips_the_page_for_the_same_or_fewer_scopes(server, browser, app):
    get_code(browser, app, scope="system:read members:read")
    for scope in ("system:read members:read", "members:read"):
        verifier, challenge = pkce()
        params = redirect_params(browser.authorize(app, scope=scope, challenge=challenge), app.redirect_uri)
        token = exchange(server.url, app, params["code"], verifier).json()
        assert token["scope"] == " ".join(sorted(scope.split()))
    _, challenge = pkce()
    assert browser.authorize(app, scope="system:read fronts:read", challenge=challenge).status_code == 200


def test_deny_redirects_with_access_denied_and_state(browser, app):
    _, challenge = pkce()
    params = redirect_params(browser.decide(browser.authorize(app, challenge=challenge, state="xyz"), "Deny"),
                             app.redirect_uri)
    assert params["error"] == "access_denied" and params["state"] == "xyz" and "code" not in params


@pytest.mark.parametrize("scope", ["", "account", "system:read nonsense"], ids=["none", "account", "unknown"])
def test_invalid_scope_goes_back_to_the_app(browser, app, scope):
    _, challenge = pkce()
    params = redirect_params(browser.authorize(app, scope=scope, challenge=challenge), app.redirect_uri)
    assert params["error"] == "invalid_scope" and params["state"] == "st4te"


def test_only_the_code_response_type(browser, app):
    _, challenge = pkce()
    params = redirect_params(browser.authorize(app, challenge=challenge, response_type="token"), app.redirect_uri)
    assert params["error"] == "unsupported_response_type"


def test_every_authorization_response_names_the_issuer(server, browser, app):
    """RFC 9207: success and error redirects carry iss, the issuer of the metadata document."""
    issuer = server.settings.base_url
    code, _verifier = get_code(browser, app)
    _, challenge = pkce()
    granted = redirect_params(browser.authorize(app, challenge=challenge), app.redirect_uri)  # remembered consent
    refused = redirect_params(browser.authorize(app, scope="nonsense", challenge=challenge), app.redirect_uri)
    assert code.startswith("ps_ac_")
    assert granted["iss"] == issuer and "code" in granted
    assert refused["iss"] == issuer and refused["error"] == "invalid_scope"

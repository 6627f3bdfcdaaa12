"""The whole authorization-code flow, driven by Authlib's OAuth client (its requests integration) against the
running server."""

from __future__ import annotations

import time

import httpx
import pytest
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session as OAuth2Client
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from ..helpers import data, error
from .common import REDIRECT, TOKEN_PATH, Browser, oauth_error, page_forms, pkce, register_app


def oauth_client(server, app, scope: str) -> OAuth2Client:
    return OAuth2Client(app.client_id, app.client_secret, scope=scope, redirect_uri=app.redirect_uri,
                        code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")


def test_authorization_code_flow_with_authlib_client(server, api, owner, browser, app):
    client = oauth_client(server, app, "system:read fronts:read")
    verifier, _ = pkce()
    url, _state = client.create_authorization_url(server.url + "/oauth/authorize", code_verifier=verifier)

    consent = browser.http.get(url)
    assert consent.status_code == 200
    assert "Test App" in consent.text
    assert "See your system&#39;s profile and settings" in consent.text
    assert "See who is fronting and your front history" in consent.text
    assert set(page_forms(consent.text).buttons) == {"Allow", "Deny"}
    assert consent.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in consent.headers["content-security-policy"]

    callback = browser.decide(consent)
    assert callback.status_code == 303
    token = client.fetch_token(server.url + TOKEN_PATH, authorization_response=callback.headers["location"],
                               code_verifier=verifier)
    assert token["access_token"].startswith("ps_at_") and token["refresh_token"].startswith("ps_rt_")
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert set(token["scope"].split()) == {"system:read", "fronts:read"}

    # The token works within its scopes, on the native and the account's own system...
    system = client.get(server.url + "/api/v1/systems/@me")
    assert system.status_code == 200 and system.json()["data"]["id"] == owner.system_id
    # ...and nowhere else: another scope is 403, the account's credentials are session-only.
    failure = error(api.get("/api/v1/systems/@me/members", token["access_token"]), 403, "INSUFFICIENT_SCOPE")
    assert failure["details"]["required"] == ["members:read"]
    error(api.get("/api/v1/me/tokens", token["access_token"]), 403, "INSUFFICIENT_SCOPE")

    # Refresh rotates both tokens; the old pair stops working.
    renewed = client.refresh_token(server.url + TOKEN_PATH)
    assert renewed["refresh_token"] != token["refresh_token"]
    assert renewed["access_token"] != token["access_token"]
    error(api.get("/api/v1/systems/@me", token["access_token"]), 401, "UNAUTHENTICATED")
    assert client.get(server.url + "/api/v1/systems/@me").status_code == 200

    # The account sees the app it authorized, with its scopes and when it was last used.
    deadline = time.monotonic() + 5
    while True:
        listed = data(api.get("/api/v1/me/authorizations", owner.session))
        if (listed and listed[0]["last_used_at"]) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [(a["client_id"], a["name"], a["scopes"]) for a in listed] == [
        (app.client_id, "Test App", ["fronts:read", "system:read"])]
    assert listed[0]["granted_at"] and listed[0]["last_used_at"]
    kinds = [event["kind"] for event in data(api.get("/api/v1/me/security-log?limit=200", owner.session))]
    assert "oauth_granted" in kinds and "oauth_app_created" in kinds


def test_public_client_flow(server, api, owner, browser):
    app = register_app(api, owner, client_type="public", redirect_uris=["com.example.app:/callback"])
    assert app.client_secret is None
    client = OAuth2Client(app.client_id, scope="members:read", redirect_uri=app.redirect_uri,
                          code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier, _ = pkce()
    url, _ = client.create_authorization_url(server.url + "/oauth/authorize", code_verifier=verifier)
    callback = browser.decide(browser.http.get(url))
    assert callback.headers["location"].startswith("com.example.app:/callback?code=ps_ac_")
    token = client.fetch_token(server.url + TOKEN_PATH, authorization_response=callback.headers["location"],
                               code_verifier=verifier)
    assert client.get(server.url + "/api/v1/systems/@me/members").status_code == 200
    error(api.get("/api/v1/systems/@me", token["access_token"]), 403, "INSUFFICIENT_SCOPE")


def test_confidential_client_must_authenticate(server, api, owner, browser, app):
    client = OAuth2Client(app.client_id, "ps_cs_wrong", scope="system:read", redirect_uri=app.redirect_uri,
                          code_challenge_method="S256")
    verifier, _ = pkce()
    url, _ = client.create_authorization_url(server.url + "/oauth/authorize", code_verifier=verifier)
    callback = browser.decide(browser.http.get(url))
    with pytest.raises(OAuthError) as refused:
        client.fetch_token(server.url + TOKEN_PATH, authorization_response=callback.headers["location"],
                           code_verifier=verifier)
    assert refused.value.error == "invalid_client"
    # Saying only who it is (the public clients' method) is not enough for a confidential app either.
    public_style = OAuth2Client(app.client_id, scope="system:read", redirect_uri=app.redirect_uri,
                                token_endpoint_auth_method="none")
    with pytest.raises(OAuthError) as refused:
        public_style.fetch_token(server.url + TOKEN_PATH, authorization_response=callback.headers["location"],
                                 code_verifier=verifier)
    assert refused.value.error == "invalid_client"


def test_signed_out_user_is_sent_to_login_and_back(server, api, owner, app):
    browser = Browser(server.url)
    try:
        _, challenge = pkce()
        response = browser.authorize(app, challenge=challenge)
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith("/login?next=%2Foauth%2Fauthorize%3F")
        signed_in = browser.sign_in(owner, next_path=response.request.url.raw_path.decode())
        assert signed_in.headers["location"].startswith("/oauth/authorize?response_type=code")
        cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert browser.http.get(signed_in.headers["location"]).status_code == 200  # the consent page
    finally:
        browser.close()


def test_login_page_refuses_wrong_password_and_foreign_next(server, owner):
    browser = Browser(server.url)
    try:
        form = dict(page_forms(browser.http.get("/login", params={"next": "//evil.example/x"}).text).fields)
        assert form["next"] == "/"
        wrong = browser.http.post("/login", data={**form, "email": owner.email, "password": "not it"})
        assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
        assert "set-cookie" not in wrong.headers or "ps_session" not in wrong.headers["set-cookie"]
        # The login form carries a CSRF token bound to a cookie of its own.
        forged = browser.http.post("/login", data={**form, "csrf_token": "forged", "email": owner.email,
                                                   "password": owner.password})
        assert forged.status_code == 403
    finally:
        browser.close()


def test_metadata(server, api):
    response = api.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    document = response.json()
    AuthorizationServerMetadata(document).validate()
    base = server.settings.base_url
    assert document["issuer"] == base
    assert document["authorization_endpoint"] == base + "/oauth/authorize"
    assert document["token_endpoint"] == base + "/oauth/token"
    assert document["revocation_endpoint"] == base + "/oauth/revoke"
    assert document["introspection_endpoint"] == base + "/oauth/introspect"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert "none" in document["token_endpoint_auth_methods_supported"]
    assert "none" in document["revocation_endpoint_auth_methods_supported"]
    assert "none" not in document["introspection_endpoint_auth_methods_supported"]
    assert "members:read" in document["scopes_supported"] and "account" not in document["scopes_supported"]
    assert document["authorization_response_iss_parameter_supported"] is True


def test_token_endpoint_errors_are_rfc6749_json(server):
    body = oauth_error(httpx.post(server.url + TOKEN_PATH, data={"grant_type": "password"}),
                       "unsupported_grant_type")
    assert set(body) <= {"error", "error_description", "error_uri"}
    oauth_error(httpx.post(server.url + TOKEN_PATH, data={}), "unsupported_grant_type")


def test_redirect_uri_unused_by_default_is_not_a_fallback(server, api, owner, browser):
    """Several registered URIs, none requested: the request cannot say where to go, so it is refused on the page."""
    app = register_app(api, owner, redirect_uris=[REDIRECT, "https://app.example/other"])
    _, challenge = pkce()
    response = browser.http.get("/oauth/authorize", params={
        "response_type": "code", "client_id": app.client_id, "scope": "system:read", "state": "s",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    assert response.status_code == 400 and "location" not in response.headers

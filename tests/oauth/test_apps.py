"""Developer apps (`/api/v1/me/apps`), revocation (RFC 7009) and introspection (RFC 7662)."""

from __future__ import annotations

import httpx
import pytest

from ..helpers import PASSWORD, data, error
from .common import App, Browser, exchange, get_code, oauth_error, refresh, register_app

APP = {"name": "Tracker", "redirect_uris": ["https://tracker.example/cb"], "client_type": "confidential"}


def post_form(server, path: str, app: App, **form: str) -> httpx.Response:
    auth = (app.client_id, app.client_secret) if app.client_secret else None
    if auth is None:
        form = {"client_id": app.client_id, **form}
    return httpx.post(server.url + path, data=form, auth=auth, timeout=30)


def issue_tokens(server, browser, app: App, scope: str = "system:read") -> dict:
    code, verifier = get_code(browser, app, scope)
    response = exchange(server.url, app, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()


def test_app_crud(api, owner):
    created = data(api.post("/api/v1/me/apps", owner.session, json={**APP, "description": "Tracks fronts",
                                                                     "homepage_url": "https://tracker.example"}), 201)
    assert created["client_id"].startswith("ps_ci_") and created["client_secret"].startswith("ps_cs_")
    assert created["name"] == "Tracker" and created["client_type"] == "confidential"
    client_id = created["client_id"]
    path = f"/api/v1/me/apps/{client_id}"

    shown = data(api.get(path, owner.session))
    assert "client_secret" not in shown and shown["redirect_uris"] == APP["redirect_uris"]
    assert [a["client_id"] for a in data(api.get("/api/v1/me/apps", owner.session))] == [client_id]

    changed = data(api.patch(path, owner.session, json={"name": "Tracker 2", "description": None,
                                                        "redirect_uris": ["http://localhost/cb"]}))
    assert changed["name"] == "Tracker 2" and changed["description"] is None
    assert changed["homepage_url"] == "https://tracker.example" and changed["redirect_uris"] == ["http://localhost/cb"]
    error(api.patch(path, owner.session, json={"client_type": "public"}), 422, "VALIDATION_FAILED")

    # Another account does not see it.
    other = api.register()
    error(api.get(path, other.session), 404, "NOT_FOUND")
    error(api.delete(path, other.session), 404, "NOT_FOUND")
    assert data(api.get("/api/v1/me/apps", other.session)) == []

    assert api.delete(path, owner.session).status_code == 204
    error(api.get(path, owner.session), 404, "NOT_FOUND")
    kinds = {e["kind"] for e in data(api.get("/api/v1/me/security-log?limit=200", owner.session))}
    assert {"oauth_app_created", "oauth_app_deleted"} <= kinds


def test_apps_list_pages(api, owner):
    for index in range(3):
        register_app(api, owner, name=f"App {index}")
    first = api.get("/api/v1/me/apps?limit=2", owner.session).json()
    assert [a["name"] for a in first["data"]] == ["App 2", "App 1"] and first["pagination"]["has_more"]
    rest = data(api.get(f"/api/v1/me/apps?limit=2&cursor={first['pagination']['cursor']}", owner.session))
    assert [a["name"] for a in rest] == ["App 0"]


def test_secret_rotation(server, api, owner, browser, app):
    tokens = issue_tokens(server, browser, app)
    rotated = data(api.post(f"/api/v1/me/apps/{app.client_id}/secret", owner.session))
    assert rotated["client_secret"] != app.client_secret
    old = App(app.client_id, app.client_secret, app.redirect_uri, app.raw)
    new = App(app.client_id, rotated["client_secret"], app.redirect_uri, app.raw)
    oauth_error(refresh(server.url, old, tokens["refresh_token"]), "invalid_client", 401)
    assert refresh(server.url, new, tokens["refresh_token"]).status_code == 200
    kinds = {e["kind"] for e in data(api.get("/api/v1/me/security-log?limit=200", owner.session))}
    assert "oauth_app_secret_rotated" in kinds

    public = register_app(api, owner, client_type="public")
    assert error(api.post(f"/api/v1/me/apps/{public.client_id}/secret", owner.session), 409,
                 "CONFLICT")["details"] == {"reason": "public_client"}


@pytest.mark.parametrize("change, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"client_type": "trusted"}, "client_type"),
    ({"redirect_uris": []}, "redirect_uris"),
    ({"redirect_uris": [f"https://a.example/{i}" for i in range(11)]}, "redirect_uris"),
    ({"redirect_uris": ["http://app.example/cb"]}, "redirect_uris.0"),
    ({"redirect_uris": ["https://app.example/cb#frag"]}, "redirect_uris.0"),
    ({"redirect_uris": ["javascript:alert(1)"]}, "redirect_uris.0"),
    ({"redirect_uris": ["https:///nohost"]}, "redirect_uris.0"),
    ({"redirect_uris": ["http://[::1"]}, "redirect_uris.0"),
    ({"homepage_url": "http://insecure.example"}, "homepage_url"),
    ({"description": "d" * 1001}, "description"),
    ({"secret": "mine"}, "secret"),
], ids=lambda value: str(value)[:40])
def test_app_validation(api, owner, change, field):
    failure = error(api.post("/api/v1/me/apps", owner.session, json={**APP, **change}), 422, "VALIDATION_FAILED")
    assert field in failure["details"]["fields"], failure


def test_valid_redirect_uri_kinds(api, owner):
    uris = ["https://app.example/cb?x=1", "http://127.0.0.1/cb", "http://[::1]:8080/cb", "http://localhost/cb",
            "com.example.app:/oauth", "com.example.app://callback"]
    created = data(api.post("/api/v1/me/apps", owner.session, json={**APP, "redirect_uris": uris}), 201)
    assert created["redirect_uris"] == uris


def test_tokens_other_than_a_session_cannot_manage_apps(server, api, owner, browser, app):
    from ..access.world import GRANTABLE

    pat = api.pat(owner, *GRANTABLE)
    oauth = issue_tokens(server, browser, app)["access_token"]
    for token in (pat, oauth):
        error(api.get("/api/v1/me/apps", token), 403, "INSUFFICIENT_SCOPE")
        error(api.post("/api/v1/me/apps", token, json=APP), 403, "INSUFFICIENT_SCOPE")
        error(api.post(f"/api/v1/me/apps/{app.client_id}/secret", token), 403, "INSUFFICIENT_SCOPE")
        error(api.get("/api/v1/me/authorizations", token), 403, "INSUFFICIENT_SCOPE")
        error(api.delete(f"/api/v1/me/authorizations/{app.client_id}", token), 403, "INSUFFICIENT_SCOPE")
    error(api.get("/api/v1/me/apps"), 401, "UNAUTHENTICATED")


def test_deleting_an_app_revokes_its_tokens(server, api, owner, browser, app):
    tokens = issue_tokens(server, browser, app)
    data(api.get("/api/v1/systems/@me", tokens["access_token"]))
    assert api.delete(f"/api/v1/me/apps/{app.client_id}", owner.session).status_code == 204
    error(api.get("/api/v1/systems/@me", tokens["access_token"]), 401, "UNAUTHENTICATED")
    oauth_error(refresh(server.url, app, tokens["refresh_token"]), "invalid_client", 401)
    assert data(api.get("/api/v1/me/authorizations", owner.session)) == []


def test_deleting_the_developer_account_revokes_what_its_apps_hold(server, api, owner):
    developer = api.register()
    app = register_app(api, developer)
    user_browser = Browser(server.url, owner)
    try:
        tokens = issue_tokens(server, user_browser, app)
    finally:
        user_browser.close()
    data(api.get("/api/v1/systems/@me", tokens["access_token"]))
    assert api.delete("/api/v1/me", developer.session, json={"current_password": PASSWORD}).status_code == 204
    error(api.get("/api/v1/systems/@me", tokens["access_token"]), 401, "UNAUTHENTICATED")
    assert data(api.get("/api/v1/me/authorizations", owner.session)) == []


def test_introspection_shows_a_client_only_its_own_tokens(server, api, owner, browser, app):
    tokens = issue_tokens(server, browser, app, "system:read members:read")
    answer = post_form(server, "/oauth/introspect", app, token=tokens["access_token"]).json()
    assert answer["active"] is True and answer["client_id"] == app.client_id
    assert answer["scope"] == "members:read system:read" and answer["sub"] == owner.account_id
    assert answer["token_type"] == "Bearer" and answer["exp"] > answer["iat"]
    by_refresh = post_form(server, "/oauth/introspect", app, token=tokens["refresh_token"],
                           token_type_hint="refresh_token").json()
    assert by_refresh["active"] is True and by_refresh["exp"] > answer["exp"]

    other = register_app(api, owner, name="Other")
    assert post_form(server, "/oauth/introspect", other, token=tokens["access_token"]).json() == {"active": False}
    # Not OAuth tokens at all, or nonsense: inactive.
    assert post_form(server, "/oauth/introspect", app, token=owner.session).json() == {"active": False}
    assert post_form(server, "/oauth/introspect", app, token="nonsense").json() == {"active": False}
    # Public clients cannot introspect; a confidential one must authenticate.
    public = register_app(api, owner, client_type="public", name="Public")
    oauth_error(post_form(server, "/oauth/introspect", public, token=tokens["access_token"]), "invalid_client", 401)
    stranger = App(app.client_id, "ps_cs_wrong", app.redirect_uri, app.raw)
    oauth_error(post_form(server, "/oauth/introspect", stranger, token=tokens["access_token"]), "invalid_client",
                401)


def test_revocation_by_a_public_client(server, api, owner, browser):
    app = register_app(api, owner, client_type="public", name="Native")
    tokens = issue_tokens(server, browser, app)
    data(api.get("/api/v1/systems/@me", tokens["access_token"]))
    revoked = post_form(server, "/oauth/revoke", app, token=tokens["refresh_token"], token_type_hint="refresh_token")
    assert revoked.status_code == 200 and revoked.json() == {}
    error(api.get("/api/v1/systems/@me", tokens["access_token"]), 401, "UNAUTHENTICATED")
    oauth_error(refresh(server.url, app, tokens["refresh_token"]), "invalid_grant")
    # Unknown tokens are answered the same way (RFC 7009 §2.2).
    assert post_form(server, "/oauth/revoke", app, token="unknown").status_code == 200
    events = data(api.get("/api/v1/me/security-log?limit=200", owner.session))
    assert any(e["kind"] == "oauth_revoked" and e["detail"]["reason"] == "client_revoked" for e in events)


def test_revocation_of_another_clients_token_does_nothing(server, api, owner, browser, app):
    tokens = issue_tokens(server, browser, app)
    other = register_app(api, owner, name="Other")
    assert post_form(server, "/oauth/revoke", other, token=tokens["access_token"]).status_code == 200
    data(api.get("/api/v1/systems/@me", tokens["access_token"]))
    # Its own client revokes it by the access token: the grant's refresh token goes with it.
    assert post_form(server, "/oauth/revoke", app, token=tokens["access_token"]).status_code == 200
    error(api.get("/api/v1/systems/@me", tokens["access_token"]), 401, "UNAUTHENTICATED")
    oauth_error(refresh(server.url, app, tokens["refresh_token"]), "invalid_grant")


def test_oauth_tokens_work_on_the_pluralkit_api_within_their_scopes(server, api, owner, browser, app):
    tokens = issue_tokens(server, browser, app, "system:read")
    for header in (tokens["access_token"], f"Bearer {tokens['access_token']}"):
        response = api.get("/pk/v2/systems/@me", headers={"Authorization": header})
        assert response.status_code == 200, response.text
        assert response.json()["id"] == owner.system_id
    # Outside the granted scopes the PluralKit surface refuses, in its own error format.
    refused = api.get("/pk/v2/systems/@me/members", headers={"Authorization": tokens["access_token"]})
    assert refused.status_code == 403 and isinstance(refused.json()["code"], int)

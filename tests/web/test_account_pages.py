"""Register, dashboard, settings (personal access tokens and authorized apps) and sign-out pages, over HTTP.

The same pages in a real browser are in test_pages.py."""

from __future__ import annotations

import re
import secrets

import pytest

from ..helpers import PASSWORD, data, error
from ..oauth.common import Browser, exchange, get_code, page_forms, register_app


def _register(browser: Browser, **fields: str):
    form = dict(page_forms(browser.http.get("/register").text).fields)
    email = f"page-{secrets.token_hex(6)}@example.org"
    values = {"email": email, "password": PASSWORD, "password_again": PASSWORD, "system_name": "The Hollow"}
    return email, browser.http.post("/register", data={**form, **values, **fields})


def _csrf(browser: Browser, path: str = "/settings") -> str:
    return dict(page_forms(browser.http.get(path).text).fields)["csrf_token"]


@pytest.fixture
def browser(server):
    agent = Browser(server.url)
    yield agent
    agent.close()


def test_register_signs_in_and_shows_the_dashboard(browser, api):
    email, registered = _register(browser)
    assert registered.status_code == 303 and registered.headers["location"] == "/"
    assert "ps_session=" in registered.headers["set-cookie"]
    dashboard = browser.http.get("/")
    assert dashboard.status_code == 200 and "<h1>The Hollow</h1>" in dashboard.text
    assert dashboard.headers["x-frame-options"] == "DENY" and dashboard.headers["cache-control"] == "no-store"
    assert "Nobody is logged as fronting" in dashboard.text
    assert api.login(email, PASSWORD)["token_type"] == "Bearer"  # a real account, usable on the API


def test_register_explains_what_is_wrong_and_creates_nothing(browser, api):
    owner = api.register()
    cases = [
        ({"password_again": "something else"}, 422, "not the same"),
        ({"password": "short", "password_again": "short"}, 422, "Password"),
        ({"email": "not an email"}, 422, "Email"),
        ({"email": owner.email}, 409, "exists"),
        ({"csrf_token": "forged"}, 403, "expired"),
    ]
    for fields, status, words in cases:
        email, response = _register(browser, **fields)
        assert response.status_code == status, (fields, response.text)
        assert words in response.text and "ps_session=" not in response.headers.get("set-cookie", "")
        if "email" not in fields:
            error(api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 401,
                  "UNAUTHENTICATED")


def test_closed_registration_has_no_page(make_server):
    closed = make_server(registration="closed")
    agent = Browser(closed.url)
    try:
        assert agent.http.get("/register").status_code == 403
        login_page = agent.http.get("/login")
        assert login_page.status_code == 200 and "/register" not in login_page.text
    finally:
        agent.close()


def test_signed_out_visitors_are_sent_to_sign_in(browser):
    for path in ("/", "/settings"):
        response = browser.http.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    refused = browser.http.post("/settings/tokens", data={"name": "x", "scopes": "system:read"})
    assert refused.status_code == 401


def test_dashboard_shows_who_is_fronting(browser, api):
    owner = api.register()
    member = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Juniper"}), 201)
    data(api.put("/api/v1/systems/@me/fronters", owner.session, json={"member_ids": [member["id"]]}))
    browser.sign_in(owner)
    assert "<strong>Juniper</strong>" in browser.http.get("/").text


def test_a_token_made_on_the_settings_page_is_shown_once_works_and_can_be_revoked(browser, api):
    owner = api.register()
    browser.sign_in(owner)
    created = browser.http.post("/settings/tokens", data={
        "csrf_token": _csrf(browser), "name": "my bot", "scopes": ["members:read", "system:read"],
        "expires_in_days": "30"})
    # POST/redirect/GET: the form's answer is a redirect, and the token text is not in its URL.
    assert created.status_code == 303 and created.headers["location"] == "/settings"
    shown = browser.http.get("/settings")
    token = re.search(r'id="new-token">(ps_pat_[^<]+)<', shown.text).group(1)
    assert token not in created.headers["location"] and token not in created.headers["set-cookie"]
    assert data(api.get("/api/v1/systems/@me", token))["id"] == owner.system_id
    error(api.get("/api/v1/systems/@me/fronters", token), 403, "INSUFFICIENT_SCOPE")
    listed = data(api.get("/api/v1/me/tokens", owner.session))
    assert [(t["name"], t["scopes"], t["expires_at"] is not None) for t in listed] == [
        ("my bot", ["members:read", "system:read"], True)]

    settings = browser.http.get("/settings").text  # a reload
    assert "my bot" in settings and token not in settings  # listed, never shown again
    assert f"<code>{token[:15]}…</code>" in settings and token[:16] not in settings  # told apart by its prefix
    assert listed[0]["prefix"] == token[:15]
    assert len(data(api.get("/api/v1/me/tokens", owner.session))) == 1  # the reload made no second token
    forged = browser.http.post(f"/settings/tokens/{listed[0]['id']}/revoke", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and api.get("/api/v1/systems/@me", token).status_code == 200
    revoked = browser.http.post(f"/settings/tokens/{listed[0]['id']}/revoke", data={"csrf_token": _csrf(browser)})
    assert revoked.status_code == 303 and revoked.headers["location"] == "/settings"
    error(api.get("/api/v1/systems/@me", token), 401, "UNAUTHENTICATED")


def test_token_form_problems_are_explained(browser, api):
    owner = api.register()
    browser.sign_in(owner)
    csrf = _csrf(browser)
    for fields, words in [({"name": "no scopes"}, "Scopes"), ({"name": "", "scopes": "system:read"}, "Name"),
                          ({"name": "bad", "scopes": "account"}, "Scopes"),
                          ({"name": "x" * 101, "scopes": "system:read"}, "Name")]:
        response = browser.http.post("/settings/tokens", data={"csrf_token": csrf, **fields})
        assert response.status_code == 422 and words in response.text, (fields, response.text)
    assert data(api.get("/api/v1/me/tokens", owner.session)) == []


def test_another_accounts_token_cannot_be_revoked_from_my_settings(browser, api):
    owner, other = api.register(), api.register()
    theirs = api.pat(other, "system:read")
    their_id = data(api.get("/api/v1/me/tokens", other.session))[0]["id"]
    browser.sign_in(owner)
    for target in (their_id, "not-a-uuid"):
        response = browser.http.post(f"/settings/tokens/{target}/revoke", data={"csrf_token": _csrf(browser)})
        assert response.status_code == 404
    assert api.get("/api/v1/systems/@me", theirs).status_code == 200


def test_authorized_apps_are_listed_and_revoked(server, browser, api):
    owner = api.register()
    developer = api.register()
    app = register_app(api, developer, name="Front Tracker")
    browser.sign_in(owner)
    code, verifier = get_code(browser, app)
    access = exchange(server.url, app, code, verifier).json()["access_token"]
    settings = browser.http.get("/settings").text
    assert "Front Tracker" in settings
    revoked = browser.http.post(f"/settings/apps/{app.client_id}/revoke", data={"csrf_token": _csrf(browser)})
    assert revoked.status_code == 303
    error(api.get("/api/v1/systems/@me", access), 401, "UNAUTHENTICATED")
    assert 'aria-label="Revoke Front Tracker"' not in browser.http.get("/settings").text  # (the log still names it)
    again = browser.http.post(f"/settings/apps/{app.client_id}/revoke", data={"csrf_token": _csrf(browser)})
    assert again.status_code == 404


def test_sign_out_ends_the_session(browser, api):
    owner = api.register()
    browser.sign_in(owner)
    session_token = browser.http.cookies["ps_session"]
    assert browser.http.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert api.get("/api/v1/me", session_token).status_code == 200
    signed_out = browser.http.post("/logout", data={"csrf_token": _csrf(browser, "/")})
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
    error(api.get("/api/v1/me", session_token), 401, "UNAUTHENTICATED")
    assert browser.http.get("/").status_code == 303


def test_password_change_on_the_settings_page(browser, api):
    owner = api.register()
    browser.sign_in(owner)
    new_password = "another long passphrase"

    def change(**fields):
        values = {"current_password": owner.password, "password": new_password, "password_again": new_password}
        return browser.http.post("/settings/password", data={"csrf_token": _csrf(browser), **{**values, **fields}})

    for fields, words in [({"current_password": "not the password"}, "Current password"),
                          ({"password_again": "something else entirely"}, "not the same"),
                          ({"password": "short", "password_again": "short"}, "Password")]:
        refused = change(**fields)
        assert refused.status_code == 422 and words in refused.text, (fields, refused.text)
    assert api.get("/api/v1/me", owner.session).status_code == 200  # nothing changed yet
    assert browser.http.post("/settings/password", data={"current_password": owner.password,
                                                          "password": new_password, "password_again": new_password,
                                                          "csrf_token": "forged"}).status_code == 403

    changed = change()
    assert changed.status_code == 303 and changed.headers["location"] == "/settings"
    shown = browser.http.get("/settings").text
    assert "Password changed" in shown
    assert "password changed" in shown  # the security events table
    assert "Password changed" not in browser.http.get("/settings").text  # shown once
    error(api.get("/api/v1/me", owner.session), 401, "UNAUTHENTICATED")  # the other session ended
    assert browser.http.get("/settings").status_code == 200  # this one goes on
    error(api.post("/api/v1/auth/login", json={"email": owner.email, "password": owner.password}), 401,
          "UNAUTHENTICATED")
    assert api.login(owner.email, new_password)["token_type"] == "Bearer"


def test_the_flash_of_a_new_token_is_only_readable_by_its_session(browser, api, server):
    """The redirect carries the new token's text in a cookie sealed with a key bound to the session: another
    session (or a forged cookie) reads nothing, and the page that shows it clears it."""
    owner = api.register()
    browser.sign_in(owner)
    created = browser.http.post("/settings/tokens", data={"csrf_token": _csrf(browser), "name": "sealed",
                                                          "scopes": "system:read"})
    sealed = created.cookies["ps_flash"]
    other = Browser(server.url)
    try:
        other.sign_in(owner)  # the same account, another session
        other.http.cookies.set("ps_flash", sealed, path="/settings")
        assert 'id="new-token"' not in other.http.get("/settings").text
        other.http.cookies.set("ps_flash", "bm90IGEgZmxhc2g=", path="/settings")
        assert other.http.get("/settings").status_code == 200
    finally:
        other.close()
    shown = browser.http.get("/settings")
    assert 'id="new-token"' in shown.text and 'ps_flash=""' in shown.headers["set-cookie"]


def test_the_security_log_names_the_token_and_the_app(server, browser, api):
    owner, developer = api.register(), api.register()
    app = register_app(api, developer, name="Named Tracker")
    browser.sign_in(owner)
    get_code(browser, app)
    browser.http.post("/settings/tokens", data={"csrf_token": _csrf(browser), "name": "logged bot",
                                                "scopes": "system:read"})
    token = data(api.get("/api/v1/me/tokens", owner.session))[0]
    browser.http.post(f"/settings/tokens/{token['id']}/revoke", data={"csrf_token": _csrf(browser)})
    browser.http.post(f"/settings/apps/{app.client_id}/revoke", data={"csrf_token": _csrf(browser)})
    events = data(api.get("/api/v1/me/security-log", owner.session))
    named = {(e["kind"], e["detail"].get("name"), e["detail"].get("prefix")) for e in events}
    assert {("token_created", "logged bot", token["prefix"]), ("token_revoked", "logged bot", token["prefix"]),
            ("oauth_granted", "Named Tracker", None), ("oauth_revoked", "Named Tracker", None)} <= named
    page = browser.http.get("/settings").text
    assert "logged bot" in page and f"<code>{token['prefix']}…</code>" in page and "Named Tracker" in page

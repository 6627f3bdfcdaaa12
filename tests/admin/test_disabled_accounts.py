"""A disabled account: every credential refused at once on every surface (403 ACCOUNT_DISABLED natively, PluralKit's
403 code 0 on /pk), its system gone for everyone else, nothing deleted; restoring brings all of it back."""

from __future__ import annotations

import pytest

from ..helpers import Account, Api, data, error
from ..oauth.common import Browser, exchange, get_code, oauth_error, page_forms, refresh, register_app
from ..pk.helpers import Pk, pk_error
from .common import as_admin


@pytest.fixture
def victim(admin_server, admin_api: Api):
    """An account with a public member, and one credential of every kind."""
    account = admin_api.register(system_name="Quiet System")
    data(admin_api.patch("/api/v1/systems/@me", account.session, json={"privacy": {"member_list": "public"}}))
    member = data(admin_api.post("/api/v1/systems/@me/members", account.session, json={
        "name": "Visible", "privacy": {"visibility": "public", "name": "public"}}), 201)
    app = register_app(admin_api, admin_api.register())
    browser = Browser(admin_server.url, account)
    code, verifier = get_code(browser, app, "system:read members:read")
    grant = exchange(admin_server.url, app, code, verifier).json()
    second = admin_api.login(account.email, account.password)
    tokens = {
        "session": account.session,
        "pat": admin_api.pat(account, "system:read", "members:read"),
        "oauth": grant["access_token"],
    }
    yield account, member, tokens, browser, (app, grant["refresh_token"]), second["refresh_token"]
    browser.close()


def disable(api: Api, account: Account) -> None:
    data(as_admin(api, "POST", f"/api/v1/admin/accounts/{account.account_id}/disable", json={"reason": "abuse"}))


def restore(api: Api, account: Account) -> None:
    data(as_admin(api, "POST", f"/api/v1/admin/accounts/{account.account_id}/restore"))


def test_every_token_kind_is_refused_on_both_apis_and_comes_back(admin_server, admin_api, victim):
    account, member, tokens, browser, (app, oauth_refresh), session_refresh = victim
    pk_v2, pk_v1 = Pk(admin_api), Pk(admin_api, "v1")
    for token in tokens.values():
        data(admin_api.get("/api/v1/systems/@me", token))
    code, verifier = get_code(browser, app, "system:read")

    disable(admin_api, account)
    oauth_error(exchange(admin_server.url, app, code, verifier), "invalid_grant")
    for kind, token in tokens.items():
        failure = error(admin_api.get("/api/v1/systems/@me", token), 403, "ACCOUNT_DISABLED")
        assert "disabled" in failure["message"], kind
        error(admin_api.get(f"/api/v1/systems/@me/members/{member['id']}", token), 403, "ACCOUNT_DISABLED")
        error(admin_api.post("/api/v1/systems/@me/members", token, json={"name": "New"}), 403, "ACCOUNT_DISABLED")
        pk_error(pk_v2("GET", "/systems/@me", token), 403, 0)
        pk_error(pk_v2("GET", f"/members/{member['id']}", token), 403, 0)  # not the public view, either
        response = pk_v1("GET", "/s", token)
        assert response.status_code == 403 and "disabled" in response.text, (kind, response.text)
    error(admin_api.get("/api/v1/me", tokens["session"]), 403, "ACCOUNT_DISABLED")
    error(admin_api.post("/api/v1/auth/refresh", json={"refresh_token": session_refresh}), 403, "ACCOUNT_DISABLED")
    oauth_error(refresh(admin_server.url, app, oauth_refresh), "invalid_request")
    error(admin_api.post("/api/v1/auth/login", json={"email": account.email, "password": account.password}), 403,
          "ACCOUNT_DISABLED")
    # The web session is signed out; signing in again says why.
    assert browser.http.get("/settings").status_code == 303
    login_form = browser.http.get("/login")
    assert login_form.status_code == 200
    refused = browser.http.post("/login", data={**dict(page_forms(login_form.text).fields), "email": account.email,
                                                 "password": account.password})
    assert refused.status_code == 403 and "disabled" in refused.text

    restore(admin_api, account)
    for token in tokens.values():
        assert data(admin_api.get("/api/v1/systems/@me", token))["name"] == "Quiet System"
    assert pk_v2("GET", "/systems/@me", tokens["pat"]).status_code == 200
    data(admin_api.post("/api/v1/auth/refresh", json={"refresh_token": session_refresh}))
    assert refresh(admin_server.url, app, oauth_refresh).status_code == 200
    assert browser.http.get("/settings").status_code == 200  # the cookie's session was never ended


def test_the_public_profile_is_gone_and_nothing_is_deleted(admin_api, victim):
    account, member, _tokens, *_ = victim
    stranger = admin_api.register()
    pk = Pk(admin_api)
    public_paths = [f"/api/v1/systems/{account.system_id}", f"/api/v1/systems/{account.system_uuid}",
                    f"/api/v1/systems/{account.system_id}/members",
                    f"/api/v1/systems/{account.system_id}/members/{member['id']}"]
    for path in public_paths:
        data(admin_api.get(path))
    before = data(as_admin(admin_api, "GET", f"/api/v1/admin/accounts/{account.account_id}"))

    disable(admin_api, account)
    unknown_system = admin_api.get("/api/v1/systems/zzzzzz").json()["error"]
    for path in public_paths:
        for token in (None, stranger.session):
            failure = error(admin_api.get(path, token), 404, "NOT_FOUND")
            assert failure["message"] == unknown_system["message"]  # exactly as if it did not exist
    pk_error(pk("GET", f"/systems/{account.system_id}"), 404, 20001)
    pk_error(pk("GET", f"/members/{member['id']}"), 404, 20002)
    shown = data(as_admin(admin_api, "GET", f"/api/v1/admin/accounts/{account.account_id}"))
    assert shown["disabled"] and shown["disabled_reason"] == "abuse" and shown["disabled_at"]
    assert shown["usage"] == before["usage"]  # nothing deleted: members, sessions, tokens, apps all kept

    restore(admin_api, account)
    for path in public_paths:
        data(admin_api.get(path))
    assert data(as_admin(admin_api, "GET", f"/api/v1/admin/accounts/{account.account_id}"))["disabled"] is False

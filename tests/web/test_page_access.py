"""Who may use the system's pages: another account's session finds nothing of this system there (its ids answer
exactly like ids never issued, and change nothing), a signed-out visitor is sent to sign in, and a form without its
CSRF token is refused. Every page route is in page_routes.PAGE_ROUTES."""

from __future__ import annotations

import re

import httpx
import pytest

from pluralspace.web.routes import ROUTERS

from ..helpers import data
from ..oauth.common import Browser, page_forms
from .page_routes import PAGE_ROUTES, PageRoute

UNKNOWN = {"member": "zzzzzz", "front": "00000000-0000-4000-8000-000000000000",
           "entry": "00000000-0000-4000-8000-000000000001"}


def test_every_page_route_is_listed():
    served = {(method, route.path) for router in ROUTERS for route in router.routes for method in route.methods
              if method != "HEAD"}
    assert sorted(served ^ {row.route for row in PAGE_ROUTES}) == []


@pytest.fixture
def owned(api):
    """An account with a member fronting now and a journal entry: (account, {target: id})."""
    owner = api.register()
    member = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Wren"}), 201)
    front = data(api.post("/api/v1/systems/@me/fronts", owner.session, json={"member_id": member["id"]}), 201)
    entry = data(api.post("/api/v1/systems/@me/journal", owner.session, json={"body": "Wren's diary"}), 201)
    return owner, {"member": member["id"], "front": front["id"], "entry": entry["id"], "started": front["started_at"]}


def _url(row: PageRoute, value: str) -> str:
    return re.sub(r"\{[a-z_]+\}", value, row.path) if row.target else row.path.replace("{name}", "app.css")


def _send(browser: Browser, row: PageRoute, value: str, csrf: str | None) -> httpx.Response:
    if row.method == "GET":
        return browser.http.get(_url(row, value))
    fields = {key: text.replace("{member}", value) for key, text in row.form}
    return browser.http.post(_url(row, value), data={**fields, **({"csrf_token": csrf} if csrf else {})})


def _without_tokens(text: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", text)


def test_another_accounts_session_finds_nothing(server, api, owned):
    owner, theirs = owned
    member_id, front_id = theirs["member"], theirs["front"]
    other = api.register()
    browser = Browser(server.url, other)
    csrf = dict(page_forms(browser.http.get("/").text).fields)["csrf_token"]
    try:
        for row in PAGE_ROUTES:
            if row.target is None:
                continue
            seen = _send(browser, row, theirs[row.target], csrf)
            unknown = _send(browser, row, UNKNOWN[row.target], csrf)
            assert seen.status_code in (404, 422), (row, seen.status_code)
            assert (seen.status_code, _without_tokens(seen.text).replace(theirs[row.target], "ID")) == \
                (unknown.status_code, _without_tokens(unknown.text).replace(UNKNOWN[row.target], "ID")), row
            assert "Wren" not in seen.text
    finally:
        browser.http.close()
    member = data(api.get(f"/api/v1/systems/@me/members/{member_id}", owner.session))
    assert member["name"] == "Wren" and not member["archived"]
    fronters = data(api.get("/api/v1/systems/@me/fronters", owner.session))
    assert [(f["id"], f["comment"], f["started_at"]) for f in fronters] == [(front_id, None, theirs["started"])]
    entry = data(api.get(f"/api/v1/systems/@me/journal/{theirs['entry']}", owner.session))
    assert (entry["body"], entry["pinned"]) == ("Wren's diary", False)
    assert [f["id"] for f in data(api.get("/api/v1/systems/@me/fronts", owner.session))] == [front_id]


def test_signed_out_visitors_are_sent_to_sign_in(server, owned):
    _owner, theirs = owned
    with httpx.Client(base_url=server.url, follow_redirects=False) as anonymous:
        for row in PAGE_ROUTES:
            if row.path.startswith("/static"):
                assert anonymous.get(_url(row, "")).status_code == 200
                continue
            value = theirs.get(row.target or "", "")
            response = anonymous.request(row.method, _url(row, value), data=dict(row.form) or None)
            if row.method == "GET":
                assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
            else:
                assert response.status_code == 401, row


def test_forms_without_their_csrf_token_are_refused(server, owned):
    owner, theirs = owned
    member_id = theirs["member"]
    browser = Browser(server.url, owner)
    try:
        for row in PAGE_ROUTES:
            if row.method != "POST":
                continue
            value = theirs.get(row.target or "", "")
            for csrf in (None, "forged"):
                refused = _send(browser, row, value, csrf)
                assert refused.status_code == 403 and "did not come from this site" in refused.text, row
        page = browser.http.get(f"/members/{member_id}")
        assert page.status_code == 200 and "Wren" in page.text and "Archived" not in page.text
        assert "Nobody is logged as fronting" not in browser.http.get("/").text
        assert browser.http.get("/members").text.count('href="/members/' + member_id + '"') == 1
        assert "pinned</span>" not in browser.http.get("/journal").text
    finally:
        browser.http.close()

"""The system's forms without JavaScript, over plain HTTP: a refused form answers with the page again, each problem
in words beside its field and what was typed kept, and changes nothing; a form that works answers with a redirect
(POST/redirect/GET). Page headers: the Content-Security-Policy allows this server's files only."""

from __future__ import annotations

import re

import pytest

from ..helpers import data
from ..oauth.common import Browser, page_forms


@pytest.fixture
def signed_in(server, api):
    owner = api.register()
    browser = Browser(server.url, owner)
    csrf = dict(page_forms(browser.http.get("/").text).fields)["csrf_token"]
    yield owner, browser, csrf
    browser.http.close()


def problem(html: str, field: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">([^<]*)</p>', html)
    return found.group(1) if found else None


def value_of(html: str, field: str) -> str | None:
    found = re.search(rf'<input id="{re.escape(field)}"[^>]* value="([^"]*)"', html)
    return found.group(1) if found else None


def test_a_refused_member_form_says_why_beside_each_field_and_keeps_the_values(signed_in, api):
    owner, browser, csrf = signed_in
    height = data(api.post("/api/v1/systems/@me/fields", owner.session, json={"name": "Height", "type": "number"}),
                  201)["id"]
    refused = browser.http.post("/members/new", data={
        "csrf_token": csrf, "name": "", "color": "teal", "pronouns": "x" * 101, f"field-{height}": "tall",
        "avatar_url": "http://example.org/a.png"})
    assert refused.status_code == 422
    page = refused.text
    assert problem(page, "name") == "This cannot be empty."
    assert problem(page, "color") == "Must be a colour as rrggbb or #rrggbb."
    assert problem(page, "pronouns") == "Keep it to 100 characters or fewer."
    assert problem(page, "avatar_url") == "Must be an https:// URL."
    assert value_of(page, "color") == "teal" and value_of(page, "avatar_url") == "http://example.org/a.png"
    assert 'id="color" name="color" type="text" maxlength="7" value="teal" aria-invalid="true" ' \
           'aria-describedby="color-error"' in page
    assert data(api.get("/api/v1/systems/@me/members", owner.session)) == []

    # A value the custom field's type cannot take: said beside that field (the service checks the field's type).
    typed = browser.http.post("/members/new", data={"csrf_token": csrf, "name": "Ivy", f"field-{height}": "tall"})
    assert typed.status_code == 422 and problem(typed.text, f"field-{height}") == "Must be a number."
    assert value_of(typed.text, "name") == "Ivy"
    assert data(api.get("/api/v1/systems/@me/members", owner.session)) == []

    made = browser.http.post("/members/new", data={"csrf_token": csrf, "name": "Ivy", f"field-{height}": "1.6"})
    assert made.status_code == 303 and re.fullmatch(r"/members/[a-z]{6}", made.headers["location"])
    shown = browser.http.get(made.headers["location"])
    assert shown.status_code == 200 and "<h1>Ivy</h1>" in shown.text and "1.6" in shown.text


def test_switching_answers_with_a_redirect_and_a_refusal_in_words(signed_in, api):
    owner, browser, csrf = signed_in
    ivy = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Ivy"}), 201)["id"]
    switched = browser.http.post("/front/switch", data={"csrf_token": csrf, "member_id": ivy})
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    again = browser.http.post("/front/add", data={"csrf_token": csrf, "member_id": ivy})
    assert again.status_code == 409 and "already fronts" in again.text
    unknown = browser.http.post("/front/switch", data={"csrf_token": csrf, "member_id": "zzzzzz"})
    assert unknown.status_code == 422 and problem(unknown.text, "member")
    assert [f["member_id"] for f in data(api.get("/api/v1/systems/@me/fronters", owner.session))] == [ivy]


def test_the_journal_preview_is_rendered_here_and_saves_nothing(signed_in, api):
    owner, browser, csrf = signed_in
    body = "Some **bold** words <img src=x onerror=alert(1)> [a](javascript:alert(1))"
    preview = browser.http.post("/journal/new", data={"csrf_token": csrf, "body": body, "tags": "a, b",
                                                      "action": "preview"})
    assert preview.status_code == 200 and "<strong>bold</strong>" in preview.text
    assert "<img" not in preview.text and 'href="javascript' not in preview.text
    assert 'value="a, b"' in preview.text
    assert data(api.get("/api/v1/systems/@me/journal", owner.session)) == []
    empty = browser.http.post("/journal/new", data={"csrf_token": csrf, "body": "", "action": "save"})
    assert empty.status_code == 422 and problem(empty.text, "body") == "This cannot be empty."
    saved = browser.http.post("/journal/new", data={"csrf_token": csrf, "body": body, "action": "save"})
    assert saved.status_code == 303 and saved.headers["location"].startswith("/journal/")


def test_a_back_dated_front_that_ends_before_it_starts_is_refused(signed_in, api):
    owner, browser, csrf = signed_in
    ivy = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Ivy"}), 201)["id"]
    refused = browser.http.post("/history/fronts/new", data={
        "csrf_token": csrf, "member_id": ivy, "started_at": "2024-03-01T10:00", "ended_at": "2024-03-01T09:00"})
    assert refused.status_code == 422 and problem(refused.text, "ended_at")
    assert value_of(refused.text, "started_at") == "2024-03-01T10:00"
    garbled = browser.http.post("/history/fronts/new", data={"csrf_token": csrf, "member_id": ivy,
                                                             "started_at": "yesterday"})
    assert garbled.status_code == 422 and problem(garbled.text, "started_at") == "Give a date and a time."
    assert data(api.get("/api/v1/systems/@me/fronts", owner.session)) == []
    added = browser.http.post("/history/fronts/new", data={
        "csrf_token": csrf, "member_id": ivy, "started_at": "2024-03-01T10:00", "ended_at": "2024-03-01T11:00"})
    assert added.status_code == 303 and added.headers["location"] == "/history?day=2024-03-01"
    [front] = data(api.get("/api/v1/systems/@me/fronts", owner.session))
    assert (front["started_at"], front["ended_at"]) == ("2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z")  # UTC zone


def test_pages_allow_only_this_servers_files(signed_in):
    _owner, browser, _csrf = signed_in
    for path in ("/", "/members", "/journal", "/history", "/settings", "/login"):
        policy = browser.http.get(path).headers["content-security-policy"]
        assert "default-src 'none'" in policy and "style-src 'self'" in policy and "unsafe" not in policy
    sheet = browser.http.get("/static/app.css")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert browser.http.get("/static/nothing.js").status_code == 404

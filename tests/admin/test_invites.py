"""Registration by invitation: each code registers one account before it expires, also when many try at once."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from pluralspace.accounts.models import Invite

from ..helpers import PASSWORD, at_once, data, error, unit_of_work
from ..oauth.common import Browser, page_forms
from .common import ADMIN_TOKEN, as_admin


def new_email() -> str:
    return f"invited-{secrets.token_hex(6)}@example.org"


@pytest.fixture
def invite_only(make_server):
    running = make_server(admin_token=ADMIN_TOKEN, registration="invite", admin_rate_limit=1_000_000)
    api = running.api()
    yield running, api
    api.close()


def invite(api, **body) -> dict:
    return data(as_admin(api, "POST", "/api/v1/admin/invites", json=body), 201)


def register(api, code: str | None = None, email: str | None = None):
    body = {"email": email or new_email(), "password": PASSWORD}
    if code is not None:
        body["invite_code"] = code
    return api.post("/api/v1/auth/register", json=body)


def test_a_code_registers_one_account(invite_only):
    _, api = invite_only
    made = invite(api, note="for Ash")
    assert made["code"].startswith("ps_inv_") and made["url"].endswith(f"/register?invite={made['code']}")
    assert made["status"] == "active" and made["used_at"] is None and made["note"] == "for Ash"
    for code in (None, "", "ps_inv_madeup"):
        failure = error(register(api, code), 422, "VALIDATION_FAILED")
        assert "invite_code" in failure["details"]["fields"]
    registered = data(register(api, made["code"]), 201)
    again = error(register(api, made["code"]), 422, "VALIDATION_FAILED")
    assert "invite_code" in again["details"]["fields"]
    listed = {i["id"]: i for i in data(as_admin(api, "GET", "/api/v1/admin/invites"))}
    assert listed[made["id"]]["status"] == "used" and listed[made["id"]]["used_by"] == registered["id"]
    assert "code" not in listed[made["id"]]  # shown once, at creation
    assert made["code"] not in as_admin(api, "GET", "/api/v1/admin/audit-logs?limit=200").text


def test_expired_and_revoked_codes_register_nobody(invite_only):
    running, api = invite_only
    soon = invite(api, expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    # An hour later, as far as the invitation knows.
    unit_of_work(running, lambda session: session.execute(
        update(Invite).where(Invite.id == uuid.UUID(soon["id"])).values(expires_at=datetime.now(UTC))), write=True)
    revoked = invite(api)
    assert as_admin(api, "DELETE", f"/api/v1/admin/invites/{revoked['id']}").status_code == 204
    error(as_admin(api, "DELETE", f"/api/v1/admin/invites/{revoked['id']}"), 404, "NOT_FOUND")
    listed = {i["id"]: i for i in data(as_admin(api, "GET", "/api/v1/admin/invites"))}
    assert listed[soon["id"]]["status"] == "expired" and revoked["id"] not in listed
    for code in (soon["code"], revoked["code"]):
        error(register(api, code), 422, "VALIDATION_FAILED")


def test_a_code_is_single_use_under_concurrency(invite_only):
    _, api = invite_only
    made = invite(api)
    emails = [new_email() for _ in range(8)]
    results = {}
    at_once(*[lambda email=email: results.update({email: register(api, made["code"], email)}) for email in emails])
    assert sorted(response.status_code for response in results.values()) == [201] + [422] * 7
    winner = next(response.json()["data"] for response in results.values() if response.status_code == 201)
    listed = {i["id"]: i for i in data(as_admin(api, "GET", "/api/v1/admin/invites"))}
    assert listed[made["id"]]["used_by"] == winner["id"]
    for email, response in results.items():  # the refused registrations left no account behind
        found = data(as_admin(api, "GET", "/api/v1/admin/accounts", params={"q": email}))
        assert [a["email"] for a in found] == ([email] if response.status_code == 201 else [])


def test_the_register_page_takes_the_code(invite_only):
    running, api = invite_only
    made = invite(api)
    browser = Browser(running.url)
    page = browser.http.get(made["url"].removeprefix(running.settings.base_url))
    assert page.status_code == 200 and f'value="{made["code"]}"' in page.text
    form = dict(page_forms(page.text).fields)
    fields = {"email": new_email(), "password": PASSWORD, "password_again": PASSWORD}
    refused = browser.http.post("/register", data={**form, **fields, "invite_code": "ps_inv_wrong"})
    assert refused.status_code == 422 and "invitation" in refused.text
    form = dict(page_forms(refused.text).fields)
    done = browser.http.post("/register", data={**form, **fields, "invite_code": made["code"]})
    assert done.status_code == 303, done.text
    browser.close()


def test_open_registration_needs_no_code_and_closed_takes_none(make_server):
    opened = make_server(registration="open").api()
    data(register(opened), 201)
    data(register(opened, "anything"), 201)  # an open server ignores the code
    opened.close()
    closed = make_server(registration="closed").api()
    error(register(closed, "anything"), 403, "FORBIDDEN")
    closed.close()

"""The instance audit log: one record per security-relevant event, with actor, account, address and request id;
filters and cursor pages; retention; and never a token, a password or anything a system wrote."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from pluralspace.audit.models import AuditEvent

from ..helpers import PASSWORD, Api, data
from ..imports.common import send, wait
from ..oauth.common import Browser, exchange, get_code, register_app
from .common import ADMIN_TOKEN, as_admin, audit_records, run_on

SECRET_NAME = "Hidden Grove of Moss"


def test_each_event_kind_is_recorded_once_with_who_where_and_which_request(admin_server, admin_api: Api):
    api = admin_api
    account = api.register(system_name=SECRET_NAME)
    data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "Private Rowan",
                                                                         "description": "my own words"}), 201)
    secrets_seen = [PASSWORD, ADMIN_TOKEN, account.session, account.refresh]

    wrong = api.post("/api/v1/auth/login", json={"email": account.email, "password": "not the password"})
    assert wrong.status_code == 401
    logged_in = api.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD},
                         headers={"X-Request-ID": "audit-login-1", "User-Agent": "audit-test/1.0"})
    session = logged_in.json()["data"]["access_token"]
    secrets_seen += [session, logged_in.json()["data"]["refresh_token"]]
    token = data(api.post("/api/v1/me/tokens", account.session, json={"name": "bot", "scopes": ["system:read"]}), 201)
    secrets_seen.append(token["token"])
    assert api.delete(f"/api/v1/me/tokens/{token['id']}", account.session).status_code == 204
    app = register_app(api, account)
    secrets_seen.append(app.client_secret)
    browser = Browser(admin_server.url, account)
    code, verifier = get_code(browser, app)
    grant = exchange(admin_server.url, app, code, verifier).json()
    browser.close()
    secrets_seen += [code, verifier, grant["access_token"], grant["refresh_token"]]
    assert api.delete(f"/api/v1/me/authorizations/{app.client_id}", account.session).status_code == 204
    exported = api.get("/api/v1/systems/@me/export", account.session)
    assert exported.status_code == 200
    job = data(send(api, account.session, exported.json(), dry_run=True), 202)
    assert wait(api, account.session, job["id"])["status"] == "succeeded"
    new_password = "another long passphrase"
    secrets_seen.append(new_password)
    data(api.patch("/api/v1/me", account.session, json={"current_password": PASSWORD, "password": new_password}))
    new_email = f"moved-{uuid.uuid4().hex[:8]}@example.org"
    data(api.patch("/api/v1/me", account.session, json={"current_password": new_password, "email": new_email}))
    assert api.post("/api/v1/auth/logout", account.session).status_code == 204
    data(as_admin(api, "POST", f"/api/v1/admin/accounts/{account.account_id}/disable", json={"reason": "test"}))
    data(as_admin(api, "POST", f"/api/v1/admin/accounts/{account.account_id}/restore"))
    assert as_admin(api, "GET", "/api/v1/admin/overview", token="wrong-token").status_code == 401
    session = api.login(new_email, new_password)["access_token"]
    assert api.delete("/api/v1/me", session, json={"current_password": new_password}).status_code == 204

    records = audit_records(api, account_id=account.account_id)
    kinds = [record["kind"] for record in reversed(records)]  # oldest first
    expected = ["account_created", "login", "login_failed", "login", "token_created", "token_revoked",
                "oauth_app_created", "login", "oauth_granted", "oauth_revoked", "data_exported", "data_imported",
                "password_changed",
                "email_changed", "logout", "account_disabled", "account_restored", "login", "account_deleted"]
    assert kinds == expected
    by_kind = {record["kind"]: record for record in records}
    assert by_kind["login_failed"]["actor"] == "anonymous"
    assert {by_kind[k]["actor"] for k in ("account_disabled", "account_restored")} == {"admin"}
    assert by_kind["account_deleted"]["actor"] == "account"
    assert by_kind["data_exported"]["detail"] == {"format": "pluralspace", "credential": "session"}
    assert by_kind["data_imported"]["detail"] == {"format": "auto", "dry_run": True, "credential": "session",
                                                  "job_id": job["id"]}
    first_login = next(r for r in records if r["request_id"] == "audit-login-1")
    assert first_login["kind"] == "login" and first_login["ip"] == "127.0.0.1"
    assert first_login["user_agent"] == "audit-test/1.0" and first_login["account_id"] == account.account_id
    single = data(as_admin(api, "GET", f"/api/v1/admin/audit-logs/{first_login['id']}"))
    assert single == first_login
    refused = audit_records(api, kind="admin_token_refused")[0]
    assert refused["detail"] == {"method": "GET", "path": "/api/v1/admin/overview"}

    everything = json.dumps(audit_records(api))
    for secret in secrets_seen:
        assert secret not in everything
    for private in (SECRET_NAME, "Private Rowan", "my own words", account.email, new_email, "$argon2"):
        assert private not in everything


def test_filters_and_cursor_pages(admin_api: Api):
    api = admin_api
    start = datetime.now(UTC)
    accounts = [api.register() for _ in range(3)]
    for account in accounts:
        api.post("/api/v1/auth/login", json={"email": account.email, "password": "wrong password!"})
    failed = audit_records(api, kind="login_failed", since=start.isoformat())
    assert {record["account_id"] for record in failed} == {account.account_id for account in accounts}
    earlier = audit_records(api, kind="login_failed", until=start.isoformat())
    assert not {record["id"] for record in earlier} & {record["id"] for record in failed}
    first = as_admin(api, "GET", "/api/v1/admin/audit-logs", params={"limit": 2, "since": start.isoformat()})
    page_one = data(first)
    assert len(page_one) == 2 and first.json()["pagination"]["has_more"] is True
    second = data(as_admin(api, "GET", "/api/v1/admin/audit-logs",
                           params={"limit": 2, "since": start.isoformat(),
                                   "cursor": first.json()["pagination"]["cursor"]}))
    assert not {r["id"] for r in page_one} & {r["id"] for r in second}
    assert page_one[0]["created_at"] >= page_one[1]["created_at"] >= second[0]["created_at"]
    assert data(as_admin(api, "GET", "/api/v1/admin/audit-logs", params={"kind": "no_such_kind"})) == []


def test_the_security_log_and_the_audit_log_are_one_recording(admin_api: Api):
    account = admin_api.register()
    data(admin_api.post("/api/v1/me/tokens", account.session, json={"name": "x", "scopes": ["system:read"]}), 201)
    own = data(admin_api.get("/api/v1/me/security-log", account.session))
    audited = [r for r in audit_records(admin_api, account_id=account.account_id)]
    assert [e["kind"] for e in own] == [r["kind"] for r in audited] == ["token_created", "login", "account_created"]
    assert [e["detail"] for e in own] == [r["detail"] for r in audited]


def test_records_past_the_retention_are_removed(make_server, migrated):
    old_id, recent_id = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)

    def write(session):
        session.add(AuditEvent(id=old_id, kind="login", actor="account", detail={}, created_at=now - timedelta(days=3)))
        session.add(AuditEvent(id=recent_id, kind="login", actor="account", detail={}, created_at=now))

    run_on(migrated.database_url, write)
    running = make_server(admin_token=ADMIN_TOKEN, audit_retention_days=2)  # pruned at start
    api = running.api()
    deadline = time.monotonic() + 10
    while as_admin(api, "GET", f"/api/v1/admin/audit-logs/{old_id}").status_code != 404:
        assert time.monotonic() < deadline, "the old record was not removed"
        time.sleep(0.1)
    data(as_admin(api, "GET", f"/api/v1/admin/audit-logs/{recent_id}"))
    api.close()

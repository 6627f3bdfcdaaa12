"""Seed 004's operational paths, /metrics with the admin token, the admin budgets, and the admin command line."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from pluralspace.cli import app
from pluralspace.config import settings_from_env

from ..helpers import PASSWORD, data, error
from ..oauth.common import Browser, page_forms
from .common import ADMIN_TOKEN, as_admin, audit_records

ALIASES = ["/api/v1/system", "/system"]


@pytest.mark.parametrize("prefix", ALIASES)
def test_health_ready_and_version_answer_at_the_aliases(api, prefix):
    for name in ("health", "ready", "version"):
        assert data(api.get(f"{prefix}/{name}")) == data(api.get(f"/api/v1/{name}"))
        assert "x-ratelimit-limit" not in api.get(f"{prefix}/{name}").headers  # unmetered, like the originals


def test_metrics_take_the_admin_token_when_no_metrics_token_is_set(make_server):
    metered = make_server(metrics_enabled=True, admin_token=ADMIN_TOKEN).api()
    error(metered.get("/metrics"), 401, "ADMIN_TOKEN_REQUIRED")
    error(metered.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "ADMIN_TOKEN_REQUIRED")
    for headers in ({"Authorization": f"Bearer {ADMIN_TOKEN}"}, {"X-Admin-Token": ADMIN_TOKEN}):
        response = metered.get("/metrics", headers=headers)
        assert response.status_code == 200 and "pluralspace_http_requests_total" in response.text
    metered.close()
    own_token = make_server(metrics_enabled=True, metrics_token="metrics-only", admin_token=ADMIN_TOKEN).api()
    error(own_token.get("/metrics", headers={"X-Admin-Token": ADMIN_TOKEN}), 401, "UNAUTHENTICATED")
    assert own_token.get("/metrics", headers={"Authorization": "Bearer metrics-only"}).status_code == 200
    own_token.close()
    off = make_server(admin_token=ADMIN_TOKEN).api()
    error(off.get("/metrics", headers={"X-Admin-Token": ADMIN_TOKEN}), 404, "FEATURE_DISABLED")
    off.close()


def test_wrong_admin_tokens_and_admin_requests_are_throttled(make_server):
    guarded = make_server(admin_token=ADMIN_TOKEN, admin_failures_per_ip=3, admin_rate_limit=5).api()
    for _ in range(3):
        error(as_admin(guarded, "GET", "/api/v1/admin/overview", token="guess"), 401, "ADMIN_TOKEN_REQUIRED")
    throttled = error(as_admin(guarded, "GET", "/api/v1/admin/overview"), 429, "RATE_LIMITED")
    assert throttled["details"]["retry_after"] > 0
    guarded.close()
    budget = make_server(admin_token=ADMIN_TOKEN, admin_rate_limit=5).api()
    answers = [as_admin(budget, "GET", "/api/v1/admin/overview").status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    budget.close()


def test_overview_counts_the_instance(admin_api):
    owner = admin_api.register()
    data(admin_api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Counted"}), 201)
    overview = data(as_admin(admin_api, "GET", "/api/v1/admin/overview"))
    counts = overview["counts"]
    assert counts["accounts"] >= 1 and counts["systems"] == counts["accounts"] and counts["members"] >= 1
    assert set(counts) == {"accounts", "disabled_accounts", "systems", "members", "fronts", "journal_entries"}
    assert overview["database"]["engine"] in ("sqlite", "postgresql") and overview["database"]["size_bytes"] > 0
    assert overview["version"] and overview["api_version"] == "v1" and overview["registration"] == "open"
    assert overview["uptime_seconds"] >= 0


def test_accounts_search_by_email_and_system_id(admin_api):
    owner = admin_api.register()
    for q in (owner.email.split("@")[0].upper(), owner.system_id, owner.system_uuid, owner.account_id):
        found = data(as_admin(admin_api, "GET", "/api/v1/admin/accounts", params={"q": q}))
        assert [a["id"] for a in found] == [owner.account_id], q
        assert set(found[0]) == {"id", "email", "system_id", "system_uuid", "created_at", "updated_at", "disabled",
                                 "disabled_at", "disabled_reason"}
    assert data(as_admin(admin_api, "GET", "/api/v1/admin/accounts", params={"q": "%"})) == []  # not a wildcard


def cli(monkeypatch, server, *args: str, input: str | None = None):
    monkeypatch.setenv("PLURALSPACE_DATABASE_URL", server.settings.resolved_database_url)
    monkeypatch.setenv("PLURALSPACE_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("PLURALSPACE_SECRET_KEY", server.settings.secret_key)
    monkeypatch.setenv("PLURALSPACE_BASE_URL", server.url)
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, list(args), input=input)
    return result


def test_the_admin_command_line(admin_server, admin_api, monkeypatch):
    owner = admin_api.register()
    listed = cli(monkeypatch, admin_server, "admin", "accounts", "list", "--search", owner.email)
    assert listed.exit_code == 0 and owner.email in listed.output and owner.system_id in listed.output
    shown = cli(monkeypatch, admin_server, "admin", "accounts", "show", owner.email)
    assert shown.exit_code == 0 and owner.account_id in shown.output and "active" in shown.output
    disabled = cli(monkeypatch, admin_server, "admin", "accounts", "disable", owner.account_id, "--reason", "spam")
    assert disabled.exit_code == 0, disabled.output
    error(admin_api.get("/api/v1/systems/@me", owner.session), 403, "ACCOUNT_DISABLED")
    again = cli(monkeypatch, admin_server, "admin", "accounts", "disable", owner.email, "--reason", "spam")
    assert again.exit_code == 1 and "already" in again.output
    assert cli(monkeypatch, admin_server, "admin", "accounts", "restore", owner.email).exit_code == 0
    data(admin_api.get("/api/v1/systems/@me", owner.session))
    audit = cli(monkeypatch, admin_server, "admin", "audit", "--account", owner.email, "--since", "1h")
    assert audit.exit_code == 0 and "account_disabled" in audit.output and "operator" in audit.output
    created = cli(monkeypatch, admin_server, "admin", "invites", "create", "--days", "2", "--note", "for Kit")
    code = re.search(r"code: (ps_inv_\w+)", created.output).group(1)
    invite_id = next(i["id"] for i in data(as_admin(admin_api, "GET", "/api/v1/admin/invites"))
                     if i["note"] == "for Kit")
    assert invite_id in cli(monkeypatch, admin_server, "admin", "invites", "list").output
    assert cli(monkeypatch, admin_server, "admin", "invites", "revoke", invite_id).exit_code == 0
    assert code not in cli(monkeypatch, admin_server, "admin", "audit").output
    kept = cli(monkeypatch, admin_server, "admin", "accounts", "delete", owner.email, input="n\n")
    assert kept.exit_code == 1
    data(admin_api.get("/api/v1/systems/@me", owner.session))
    deleted = cli(monkeypatch, admin_server, "admin", "accounts", "delete", owner.email, "--yes")
    assert deleted.exit_code == 0
    error(admin_api.get("/api/v1/systems/@me", owner.session), 401, "UNAUTHENTICATED")
    assert audit_records(admin_api, account_id=owner.account_id)[0]["kind"] == "account_deleted"
    missing = cli(monkeypatch, admin_server, "admin", "accounts", "show", "nobody@example.org")
    assert missing.exit_code == 1 and "No account" in missing.output


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(admin_server, admin_api, monkeypatch):
    owner = admin_api.register()
    made = cli(monkeypatch, admin_server, "admin", "reset-link", owner.email)
    assert made.exit_code == 0, made.output
    link = made.output.strip()
    assert link.startswith(f"{admin_server.url}/reset-password/")
    browser = Browser(admin_server.url)
    path = link.removeprefix(admin_server.url)
    page = browser.http.get(path)
    assert page.status_code == 200
    form = dict(page_forms(page.text).fields)
    short = browser.http.post(path, data={**form, "password": "short", "password_again": "short"})
    assert short.status_code == 422
    new_password = "a brand new passphrase"
    done = browser.http.post(path, data={**dict(page_forms(short.text).fields), "password": new_password,
                                         "password_again": new_password})
    assert done.status_code == 200 and "new password is set" in done.text
    error(admin_api.get("/api/v1/me", owner.session), 401, "UNAUTHENTICATED")  # every session ended
    error(admin_api.post("/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}), 401,
          "UNAUTHENTICATED")
    admin_api.login(owner.email, new_password)
    assert browser.http.get(path).status_code == 404  # used up
    assert browser.http.get("/reset-password/not-a-real-link").status_code == 404
    second = cli(monkeypatch, admin_server, "admin", "reset-link", owner.email).output.strip()
    third = cli(monkeypatch, admin_server, "admin", "reset-link", owner.email).output.strip()
    assert browser.http.get(second.removeprefix(admin_server.url)).status_code == 404  # a newer link voids it
    assert browser.http.get(third.removeprefix(admin_server.url)).status_code == 200
    browser.close()
    kinds = [r["kind"] for r in audit_records(admin_api, account_id=owner.account_id)]
    assert kinds.count("password_reset") == 1 and kinds.count("password_reset_link_created") == 3
    assert link.rsplit("/", 1)[1] not in str(audit_records(admin_api, account_id=owner.account_id))


def test_settings_for_administration(tmp_path):
    secret = tmp_path / "admin-token"
    secret.write_text("from-a-file-0123456789\n")
    from_file = settings_from_env({"PLURALSPACE_ADMIN_TOKEN_FILE": str(secret), "PLURALSPACE_REGISTRATION": "Invite",
                                   "PLURALSPACE_AUDIT_RETENTION_DAYS": "30"})
    assert from_file.admin_token == "from-a-file-0123456789" and from_file.registration_needs_invite
    assert from_file.registration_open and from_file.audit_retention_days == 30
    both = settings_from_env({"PLURALSPACE_ADMIN_TOKEN": "from-env", "PLURALSPACE_ADMIN_TOKEN_FILE": str(secret)})
    assert both.admin_token == "from-env"
    assert settings_from_env({}).admin_token == "" and settings_from_env({}).registration == "open"
    with pytest.raises(ValueError, match="open, closed, invite"):
        settings_from_env({"PLURALSPACE_REGISTRATION": "sometimes"})

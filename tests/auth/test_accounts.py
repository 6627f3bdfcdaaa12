from __future__ import annotations

import secrets

import pytest

from ..helpers import PASSWORD, data, error


def new_email() -> str:
    return f"Someone-{secrets.token_hex(5)}@Example.ORG"


def test_register_normalises_email_and_creates_a_private_system(api):
    email = new_email()
    created = data(api.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD,
                                                           "system_name": "The Lighthouse"}), 201)
    assert created["email"] == email.lower()
    system = created["system"]
    assert system["name"] == "The Lighthouse" and len(system["id"]) == 6 and system["id"].isalpha()
    assert set(system["privacy"].values()) == {"private"}
    assert system["timezone"] == "UTC"
    assert "password" not in str(created) and "hash" not in str(created)


def test_email_is_unique_whatever_its_case(api):
    email = new_email()
    data(api.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}), 201)
    again = api.post("/api/v1/auth/register", json={"email": email.upper(), "password": PASSWORD})
    assert error(again, 409, "CONFLICT")["details"]["reason"] == "email_taken"


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-email", "password": PASSWORD}, "email"),
    ({"email": "a@example.org", "password": "short9char"[:9]}, "password"),
    ({"email": "a@example.org", "password": "x" * 1025}, "password"),
    ({"email": "a@example.org", "password": PASSWORD, "system_name": "n" * 101}, "system_name"),
    ({"email": "a@example.org", "password": 1234567890123}, "password"),
    ({"email": "a@example.org", "password": PASSWORD, "admin": True}, "admin"),
    ({"password": PASSWORD}, "email"),
])
def test_register_refuses_bad_input(api, body, field):
    failure = error(api.post("/api/v1/auth/register", json=body), 422, "VALIDATION_FAILED")
    assert field in failure["details"]["fields"]


def test_registration_can_be_closed(make_server):
    closed = make_server(registration="closed").api()
    failure = error(closed.post("/api/v1/auth/register", json={"email": new_email(), "password": PASSWORD}),
                    403, "FORBIDDEN")
    assert "closed" in failure["message"]


def test_login_returns_a_session_that_holds_every_scope(api):
    account = api.register()
    me = data(api.get("/api/v1/me", account.session))
    assert me["email"] == account.email and me["system_id"] == account.system_id
    tokens = api.login(account.email.upper(), PASSWORD)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["access_token"].startswith("ps_sess_") and tokens["refresh_token"].startswith("ps_rt_")
    assert data(api.get("/api/v1/systems/@me", tokens["access_token"]))["id"] == account.system_id


def test_wrong_password_and_unknown_email_look_the_same(api):
    account = api.register()
    wrong = error(api.post("/api/v1/auth/login", json={"email": account.email, "password": "wrong password!"}),
                  401, "UNAUTHENTICATED")
    unknown = error(api.post("/api/v1/auth/login", json={"email": new_email(), "password": "wrong password!"}),
                    401, "UNAUTHENTICATED")
    assert wrong["message"] == unknown["message"]


def test_failed_logins_are_throttled_per_account(api):
    account = api.register()
    for _ in range(5):
        error(api.post("/api/v1/auth/login", json={"email": account.email, "password": "not it at all"}),
              401, "UNAUTHENTICATED")
    blocked = api.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    error(blocked, 429, "RATE_LIMITED")
    assert int(blocked.headers["retry-after"]) > 0
    kinds = [event["kind"] for event in data(api.get("/api/v1/me/security-log", account.session))]
    assert kinds.count("login_failed") == 5


def test_failed_logins_are_throttled_per_address(make_server):
    throttled = make_server(login_failures_per_ip=3, login_failures_per_account=100).api()
    accounts = [throttled.register() for _ in range(2)]
    for attempt in range(3):
        target = accounts[attempt % 2]
        error(throttled.post("/api/v1/auth/login", json={"email": target.email, "password": "nope nope nope"}),
              401, "UNAUTHENTICATED")
    error(throttled.post("/api/v1/auth/login", json={"email": accounts[1].email, "password": PASSWORD}),
          429, "RATE_LIMITED")


def test_refresh_rotates_and_reuse_revokes_the_whole_session(api):
    account = api.register()
    first = data(api.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh}))
    assert first["refresh_token"] != account.refresh
    # The rotated-away pair stops working at once.
    error(api.get("/api/v1/me", account.session), 401, "UNAUTHENTICATED")
    data(api.get("/api/v1/me", first["access_token"]))
    # Someone replays the old refresh token: the whole family, including the newest pair, is revoked.
    error(api.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh}), 401, "UNAUTHENTICATED")
    error(api.get("/api/v1/me", first["access_token"]), 401, "UNAUTHENTICATED")
    error(api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}), 401, "UNAUTHENTICATED")
    other = api.login(account.email, PASSWORD)
    kinds = [event["kind"] for event in data(api.get("/api/v1/me/security-log", other["access_token"]))]
    assert "refresh_token_reuse" in kinds


def test_refresh_refuses_unknown_tokens(api):
    error(api.post("/api/v1/auth/refresh", json={"refresh_token": "ps_rt_nonsense"}), 401, "UNAUTHENTICATED")
    error(api.post("/api/v1/auth/refresh", json={}), 422, "VALIDATION_FAILED")


def test_logout_by_bearer_and_by_refresh_token(api):
    account = api.register()
    assert api.post("/api/v1/auth/logout", account.session).status_code == 204
    error(api.get("/api/v1/me", account.session), 401, "UNAUTHENTICATED")
    error(api.post("/api/v1/auth/refresh", json={"refresh_token": account.refresh}), 401, "UNAUTHENTICATED")
    second = api.login(account.email, PASSWORD)
    assert api.post("/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]}).status_code == 204
    error(api.get("/api/v1/me", second["access_token"]), 401, "UNAUTHENTICATED")
    error(api.post("/api/v1/auth/logout"), 401, "UNAUTHENTICATED")


def test_a_personal_token_cannot_log_out_a_session(api):
    account = api.register()
    pat = api.pat(account, "system:read")
    failure = error(api.post("/api/v1/auth/logout", pat), 403, "INSUFFICIENT_SCOPE")
    assert failure["details"]["required"] == ["account"]


def test_password_change_needs_the_old_password_and_ends_other_sessions(api):
    account = api.register()
    other_session = api.login(account.email, PASSWORD)["access_token"]
    pat = api.pat(account, "system:read")
    failure = error(api.patch("/api/v1/me", account.session,
                              json={"password": "a brand new password", "current_password": "wrong one!"}),
                    422, "VALIDATION_FAILED")
    assert "current_password" in failure["details"]["fields"]
    error(api.patch("/api/v1/me", account.session, json={"password": "a brand new password"}),
          422, "VALIDATION_FAILED")
    data(api.patch("/api/v1/me", account.session,
                   json={"password": "a brand new password", "current_password": PASSWORD}))
    data(api.get("/api/v1/me", account.session))
    error(api.get("/api/v1/me", other_session), 401, "UNAUTHENTICATED")
    data(api.get("/api/v1/systems/@me", pat))  # tokens the owner made on purpose keep working
    api.login(account.email, "a brand new password")
    error(api.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}),
          401, "UNAUTHENTICATED")


def test_email_change_keeps_uniqueness(api):
    first, second = api.register(), api.register()
    taken = api.patch("/api/v1/me", first.session, json={"email": second.email, "current_password": PASSWORD})
    error(taken, 409, "CONFLICT")
    new = new_email()
    assert data(api.patch("/api/v1/me", first.session, json={"email": new, "current_password": PASSWORD})
                )["email"] == new.lower()
    api.login(new, PASSWORD)


def test_deleting_the_account_removes_everything(api):
    account = api.register()
    pat = api.pat(account, "system:read")
    assert api.delete("/api/v1/me", account.session, json={"current_password": PASSWORD}).status_code == 204
    error(api.get("/api/v1/systems/@me", pat), 401, "UNAUTHENTICATED")
    error(api.get(f"/api/v1/systems/{account.system_id}"), 404, "NOT_FOUND")
    error(api.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}),
          401, "UNAUTHENTICATED")
    # The email is free again.
    data(api.post("/api/v1/auth/register", json={"email": account.email, "password": PASSWORD}), 201)


def test_security_log_records_logins_and_tokens(api):
    account = api.register()
    token_id = data(api.post("/api/v1/me/tokens", account.session,
                             json={"name": "bot", "scopes": ["members:read"]}), 201)["id"]
    assert api.delete(f"/api/v1/me/tokens/{token_id}", account.session).status_code == 204
    events = data(api.get("/api/v1/me/security-log", account.session))
    kinds = [event["kind"] for event in events]
    assert kinds[:3] == ["token_revoked", "token_created", "login"]
    assert kinds[-1] == "account_created"
    assert events[0]["ip"] == "127.0.0.1" and events[0]["detail"]["token_id"] == token_id


@pytest.mark.parametrize("trusted, seen", [("127.0.0.1", "203.0.113.9"), ("10.0.0.0/8", "127.0.0.1"),
                                           ("", "127.0.0.1")])
def test_a_forwarded_client_address_is_believed_only_from_listed_proxies(make_server, trusted, seen):
    """Login throttling, budgets and the security log key on the client address: a proxy not listed in
    PLURALSPACE_FORWARDED_ALLOW_IPS cannot choose it."""
    server = make_server(forwarded_allow_ips=trusted).api()
    account = server.register()
    signed_in = server.post("/api/v1/auth/login", json={"email": account.email, "password": account.password},
                            headers={"X-Forwarded-For": "203.0.113.9"})
    session = data(signed_in)["access_token"]
    logins = [event for event in data(server.get("/api/v1/me/security-log", session)) if event["kind"] == "login"]
    assert logins[0]["ip"] == seen  # the newest login
    assert {event["ip"] for event in logins[1:]} == {"127.0.0.1"}


def test_deleting_the_account_needs_its_password(api):
    account = api.register()
    for body, why in [(None, "missing"), ({}, "missing"), ({"current_password": "not the password"}, "wrong")]:
        failure = error(api.delete("/api/v1/me", account.session, json=body), 422, "VALIDATION_FAILED")
        assert "current_password" in failure["details"]["fields"], (why, failure)
    assert data(api.get("/api/v1/me", account.session))["email"] == account.email  # nothing deleted
    assert api.delete("/api/v1/me", account.session, json={"current_password": PASSWORD}).status_code == 204

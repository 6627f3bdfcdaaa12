"""Every admin route asked the same questions, one table row per route:

    no admin token configured -> 403 ADMIN_TOKEN_NOT_CONFIGURED, whatever is sent;
    no token, a wrong one, or a user's token of any kind (session, PAT) -> 401 ADMIN_TOKEN_REQUIRED, nothing changed;
    the admin token (X-Admin-Token or Bearer) -> the route's answer, and an audit record carrying the request id;
    bad input -> the contract's error, nothing changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from ..helpers import Api, error
from .common import ADMIN_TOKEN, as_admin, audit_records

UNKNOWN = str(uuid.uuid4())


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None


@dataclass(frozen=True)
class Bad:
    call: Callable[[Api], Call]
    status: int
    code: str
    why: str


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as the OpenAPI document spells it
    build: Callable[[Api], Call]  # a call that succeeds with the admin token (fresh objects each time)
    status: int
    kind: str  # the audit record it leaves
    bad: list[Bad] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def fresh_account(api: Api) -> str:
    return api.register().account_id


def disabled_account(api: Api) -> str:
    account_id = fresh_account(api)
    assert as_admin(api, "POST", f"/api/v1/admin/accounts/{account_id}/disable",
                    json={"reason": "set up"}).status_code == 200
    return account_id


def fresh_invite(api: Api) -> str:
    return as_admin(api, "POST", "/api/v1/admin/invites", json={}).json()["data"]["id"]


def some_audit_record(api: Api) -> str:
    fresh_account(api)
    return audit_records(api, kind="account_created")[0]["id"]


ACCOUNTS = "/api/v1/admin/accounts"
ROUTES = [
    Route("GET", "/api/v1/admin/overview", lambda api: Call("/api/v1/admin/overview"), 200, "admin_overview_viewed"),
    Route("GET", ACCOUNTS, lambda api: Call(ACCOUNTS + "?limit=5"), 200, "admin_accounts_listed", [
        Bad(lambda api: Call(ACCOUNTS + "?limit=0"), 422, "VALIDATION_FAILED", "limit out of range"),
        Bad(lambda api: Call(ACCOUNTS + "?q="), 422, "VALIDATION_FAILED", "empty search"),
        Bad(lambda api: Call(ACCOUNTS + "?cursor=nonsense"), 422, "VALIDATION_FAILED", "foreign cursor"),
    ]),
    Route("GET", ACCOUNTS + "/{account_id}", lambda api: Call(f"{ACCOUNTS}/{fresh_account(api)}"), 200,
          "admin_account_viewed", [
              Bad(lambda api: Call(f"{ACCOUNTS}/not-an-id"), 422, "VALIDATION_FAILED", "malformed id"),
              Bad(lambda api: Call(f"{ACCOUNTS}/{UNKNOWN}"), 404, "NOT_FOUND", "unknown id"),
          ]),
    Route("POST", ACCOUNTS + "/{account_id}/disable",
          lambda api: Call(f"{ACCOUNTS}/{fresh_account(api)}/disable", {"reason": "spam"}), 200, "account_disabled", [
              Bad(lambda api: Call(f"{ACCOUNTS}/{fresh_account(api)}/disable", {}), 422, "VALIDATION_FAILED",
                  "no reason"),
              Bad(lambda api: Call(f"{ACCOUNTS}/{fresh_account(api)}/disable", {"reason": ""}), 422,
                  "VALIDATION_FAILED", "empty reason"),
              Bad(lambda api: Call(f"{ACCOUNTS}/{fresh_account(api)}/disable", {"reason": "x", "extra": 1}), 422,
                  "VALIDATION_FAILED", "unknown key"),
              Bad(lambda api: Call(f"{ACCOUNTS}/{disabled_account(api)}/disable", {"reason": "again"}), 409,
                  "CONFLICT", "disabled already"),
              Bad(lambda api: Call(f"{ACCOUNTS}/{UNKNOWN}/disable", {"reason": "x"}), 404, "NOT_FOUND", "unknown"),
          ]),
    Route("POST", ACCOUNTS + "/{account_id}/restore",
          lambda api: Call(f"{ACCOUNTS}/{disabled_account(api)}/restore"), 200, "account_restored", [
              Bad(lambda api: Call(f"{ACCOUNTS}/{fresh_account(api)}/restore"), 409, "CONFLICT", "not disabled"),
              Bad(lambda api: Call(f"{ACCOUNTS}/x/restore"), 422, "VALIDATION_FAILED", "malformed id"),
          ]),
    Route("DELETE", ACCOUNTS + "/{account_id}", lambda api: Call(f"{ACCOUNTS}/{fresh_account(api)}"), 204,
          "account_deleted", [
              Bad(lambda api: Call(f"{ACCOUNTS}/{UNKNOWN}"), 404, "NOT_FOUND", "unknown id"),
              Bad(lambda api: Call(f"{ACCOUNTS}/123"), 422, "VALIDATION_FAILED", "malformed id"),
          ]),
    Route("GET", "/api/v1/admin/audit-logs", lambda api: Call("/api/v1/admin/audit-logs?limit=3"), 200,
          "admin_audit_listed", [
              Bad(lambda api: Call("/api/v1/admin/audit-logs?since=yesterday"), 422, "VALIDATION_FAILED", "time"),
              Bad(lambda api: Call("/api/v1/admin/audit-logs?since=2026-01-01T00:00:00"), 422, "VALIDATION_FAILED",
                  "time without offset"),
              Bad(lambda api: Call("/api/v1/admin/audit-logs?account_id=me"), 422, "VALIDATION_FAILED", "account"),
          ]),
    Route("GET", "/api/v1/admin/audit-logs/{audit_id}",
          lambda api: Call(f"/api/v1/admin/audit-logs/{some_audit_record(api)}"), 200, "admin_audit_viewed", [
              Bad(lambda api: Call(f"/api/v1/admin/audit-logs/{UNKNOWN}"), 404, "NOT_FOUND", "unknown id"),
              Bad(lambda api: Call("/api/v1/admin/audit-logs/zzz"), 422, "VALIDATION_FAILED", "malformed id"),
          ]),
    Route("GET", "/api/v1/admin/invites", lambda api: Call("/api/v1/admin/invites"), 200, "admin_invites_listed", [
        Bad(lambda api: Call("/api/v1/admin/invites?limit=201"), 422, "VALIDATION_FAILED", "limit out of range"),
    ]),
    Route("POST", "/api/v1/admin/invites", lambda api: Call("/api/v1/admin/invites", {"note": "for Ash"}), 201,
          "invite_created", [
              Bad(lambda api: Call("/api/v1/admin/invites", {"expires_at": "2001-01-01T00:00:00Z"}), 422,
                  "VALIDATION_FAILED", "expired already"),
              Bad(lambda api: Call("/api/v1/admin/invites", {"expires_at": "2999-01-01T00:00:00Z"}), 422,
                  "VALIDATION_FAILED", "too far away"),
              Bad(lambda api: Call("/api/v1/admin/invites", {"code": "mine"}), 422, "VALIDATION_FAILED",
                  "unknown key"),
          ]),
    Route("DELETE", "/api/v1/admin/invites/{invite_id}",
          lambda api: Call(f"/api/v1/admin/invites/{fresh_invite(api)}"), 204, "invite_revoked", [
              Bad(lambda api: Call(f"/api/v1/admin/invites/{UNKNOWN}"), 404, "NOT_FOUND", "unknown id"),
          ]),
]
BAD_CASES = [(route, bad) for route in ROUTES for bad in route.bad]


def send(api: Api, route: Route, call: Call, headers: dict[str, str] | None = None) -> httpx.Response:
    return api.request(route.method, call.path, json=call.json, headers=headers or {})


def test_the_table_covers_every_admin_route(admin_server, admin_api):
    spec = admin_api.get("/api/v1/openapi.json").json()
    documented = {(method.upper(), path) for path, operations in spec["paths"].items() for method in operations
                  if path.startswith("/api/v1/admin/")}
    assert documented == {(route.method, route.path) for route in ROUTES}
    for route in ROUTES:
        operation = spec["paths"][route.path][route.method.lower()]
        assert operation["security"] == [{"admin": []}], route.id
        assert {"401", "403"} <= set(operation["responses"]), route.id


@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_without_a_configured_token_every_admin_route_is_403(api, route):
    call = Call(route.path.replace("{account_id}", UNKNOWN).replace("{audit_id}", UNKNOWN)
                .replace("{invite_id}", UNKNOWN), {"reason": "x"} if route.path.endswith("disable") else None)
    for headers in ({}, {"X-Admin-Token": ADMIN_TOKEN}, {"Authorization": f"Bearer {ADMIN_TOKEN}"}):
        error(send(api, route, call, headers), 403, "ADMIN_TOKEN_NOT_CONFIGURED")


@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_without_the_admin_token_every_admin_route_is_401_and_changes_nothing(admin_api, route):
    user = admin_api.register()
    call = route.build(admin_api)
    before = as_admin(admin_api, "GET", "/api/v1/admin/overview").json()["data"]["counts"]
    refusals = {
        "no token": {},
        "wrong X-Admin-Token": {"X-Admin-Token": ADMIN_TOKEN + "x"},
        "wrong Bearer": {"Authorization": "Bearer not-the-admin-token"},
        "a prefix of the token": {"X-Admin-Token": ADMIN_TOKEN[:-1]},
        "a login session": {"Authorization": f"Bearer {user.session}"},
        "a PAT with every scope": {"Authorization": f"Bearer {admin_api.pat(user, 'system:write', 'members:write')}"},
        "X-Admin-Token empty": {"X-Admin-Token": ""},
    }
    for why, headers in refusals.items():
        response = send(admin_api, route, call, headers)
        failure = error(response, 401, "ADMIN_TOKEN_REQUIRED")
        assert response.headers["www-authenticate"].startswith("Bearer"), why
        assert ADMIN_TOKEN not in response.text and failure["details"] is None, why
    assert as_admin(admin_api, "GET", "/api/v1/admin/overview").json()["data"]["counts"] == before
    refused = audit_records(admin_api, kind="admin_token_refused", since=_moment(admin_api))
    assert refused and all(record["actor"] == "anonymous" and record["account_id"] is None for record in refused)


def _moment(api: Api) -> str:
    """A minute ago, as the filters take it (the records above are newer)."""
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(minutes=1)).isoformat()


@pytest.mark.parametrize("scheme", ["X-Admin-Token", "Bearer"])
@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_with_the_admin_token_each_route_answers_and_is_audited(admin_api, route, scheme):
    call = route.build(admin_api)
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    headers = {"X-Admin-Token": ADMIN_TOKEN} if scheme == "X-Admin-Token" else bearer
    response = send(admin_api, route, call, {**headers, "X-Request-ID": f"admin-{uuid.uuid4().hex}"})
    assert response.status_code == route.status, response.text
    if route.status != 204:
        body = response.json()
        assert body["request_id"] == response.headers["x-request-id"]
        assert "password_hash" not in response.text and "$argon2" not in response.text
    recorded = [record for record in audit_records(admin_api, kind=route.kind)
                if record["request_id"] == response.headers["x-request-id"]]
    assert len(recorded) == 1, (route.kind, response.headers["x-request-id"])
    assert recorded[0]["actor"] == "admin"


@pytest.mark.parametrize("route,bad", BAD_CASES, ids=[f"{route.id} [{bad.why}]" for route, bad in BAD_CASES])
def test_bad_input_is_the_contracts_error(admin_api, route, bad):
    call = bad.call(admin_api)
    before = as_admin(admin_api, "GET", "/api/v1/admin/overview").json()["data"]["counts"]
    error(send(admin_api, route, call, {"X-Admin-Token": ADMIN_TOKEN}), bad.status, bad.code)
    assert as_admin(admin_api, "GET", "/api/v1/admin/overview").json()["data"]["counts"] == before

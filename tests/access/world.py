"""The access matrix's vocabulary: the two accounts (`World`), a request (`Call`), a table row (`Row`) and the
checks several domains' rows share."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..helpers import Account, Api, data, error

# The contract's scopes (docs/API.md §2); `account` is held by login sessions only and is never grantable.
GRANTABLE = sorted([
    "system:read", "system:write", "members:read", "members:write", "groups:read", "groups:write", "fields:read",
    "fields:write", "relationships:read", "relationships:write", "fronts:read", "fronts:write", "journal:read",
    "journal:write", "polls:read", "polls:write", "thoughts:read", "thoughts:write", "wrapped:read", "webhooks",
])
ACCOUNT = "account"
OWNER_DESCRIPTION = "Only the owner reads this."


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def new_email() -> str:
    return f"matrix-{secrets.token_hex(6)}@example.org"


@dataclass
class Call:
    """A request the owner could send; `keep` holds what the row's checks need (ids, token text)."""

    method: str
    path: str
    json: Any = None
    keep: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] | None = None  # a multipart body (image uploads) instead of JSON
    stream: bool = False  # a Server-Sent Events stream: only its head is read (and the body of a refusal)

    def send(self, api: Api, token: str | None) -> httpx.Response:
        if not self.stream:
            return api.request(self.method, self.path, token, json=self.json, files=self.files)
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        with api.client.stream(self.method, self.path, headers=headers) as response:
            if response.status_code != 200:
                response.read()
            return response


@dataclass
class World:
    """An owner and another account on one server, with the tokens the cases need."""

    api: Api
    owner: Account
    other: Account
    pats: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, api: Api) -> World:
        return cls(api, api.register(system_name="Owner System"), api.register(system_name="Other System"))

    def pat(self, account: Account, *scopes: str) -> str:
        key = (account.account_id, tuple(sorted(scopes)))
        if key not in self.pats:
            self.pats[key] = self.api.pat(account, *scopes)
        return self.pats[key]

    # Shortcuts the rows use to look at the owner's and the other account's data with their own sessions.
    def owner_get(self, path: str) -> httpx.Response:
        return self.api.get(path, self.owner.session)

    def other_get(self, path: str) -> httpx.Response:
        return self.api.get(path, self.other.session)


Check = Callable[[World, Call, httpx.Response], None]
Effect = Callable[[World, Call], None]


def _no_effect(world: World, call: Call) -> None:
    return None


def _unchecked(world: World, call: Call, response: httpx.Response) -> None:
    raise AssertionError("every row states what the owner's success shows")


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as the OpenAPI document (or the app's route) spells it
    scope: str | None  # the scope the endpoint needs; ACCOUNT for session-only endpoints; None: it takes no token
    public: bool  # answers without a token
    build: Callable[[World], Call]
    status: int = 200
    check: Check = _unchecked  # what the owner's success must show (every row sets it)
    as_other: Check | None = None  # (c): another account's token, holding the scope, sends the owner's request
    as_public: Check | None = None  # (d) on public endpoints when it differs from the owner's: asserts the status
    unchanged: Effect = _no_effect  # after a refused request: nothing of the owner's changed
    fresh: str = ""  # "session" or "account" when the call ends the caller's: (a) and (c) get a new one
    variant: str = ""
    also: tuple[str, ...] = ()  # scopes a token needs besides `scope`: the answer is made of another area's objects
    # The scopes the OpenAPI document states, when the route decides itself (the event stream: by `?types=`).
    declared: tuple[str, ...] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")


# --- checks shared by several rows -------------------------------------------------------------------------------

def envelope_equals(expected: Any) -> Check:
    def check(world: World, call: Call, response: httpx.Response) -> None:
        assert data(response) == expected

    return check


def session_works(world: World, token: str) -> bool:
    response = world.api.get("/api/v1/me", token)
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def owner_still_signed_in(world: World, call: Call) -> None:
    assert session_works(world, world.owner.session)


def owner_email_unchanged(world: World, call: Call) -> None:
    assert data(world.owner_get("/api/v1/me"))["email"] == world.owner.email


def owner_system_not_named(world: World, call: Call) -> None:
    assert data(world.owner_get("/api/v1/systems/@me"))["name"] != call.json["name"]


def owner_has_no_token_named(world: World, call: Call) -> None:
    names = [t["name"] for t in data(world.owner_get("/api/v1/me/tokens?limit=200"))]
    assert call.json["name"] not in names


def kept_token_still_works(world: World, call: Call) -> None:
    data(world.api.get("/api/v1/systems/@me", call.keep["token"]))


def is_forbidden(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 403, "FORBIDDEN")


def simple(method: str, path: str) -> Callable[[World], Call]:
    return lambda world: Call(method, path)


def ids(rows: list[Row]) -> list[str]:
    return [row.id for row in rows]

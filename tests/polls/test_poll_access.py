"""Every polls endpoint, asked the same questions: scope, ownership, public viewers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from ..helpers import data, error

READ, WRITE = "polls:read", "polls:write"
UNRELATED = sorted(["members:read", "members:write", "thoughts:read", "thoughts:write", "system:read"])


@dataclass
class Target:
    """A fresh poll of the owner's with one vote (by `voter`) and a member who has not voted (`newcomer`)."""

    base: str
    poll: dict
    voter: dict
    newcomer: dict
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # relative to the system; {poll} and {voter} are filled in
    scope: str
    status: int
    body: Callable[[Target], dict] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def send(self, api, target: Target, token: str | None):
        path = self.path.format(poll=target.poll["id"], voter=target.voter["id"])
        return api.request(self.method, target.base + path, token,
                           json=self.body(target) if self.body else None)


ENDPOINTS = [
    Endpoint("GET", "/polls", READ, 200),
    Endpoint("POST", "/polls", WRITE, 201, lambda t: {"title": "new", "options": [{"label": "a"}, {"label": "b"}]}),
    Endpoint("GET", "/polls/{poll}", READ, 200),
    Endpoint("PATCH", "/polls/{poll}", WRITE, 200, lambda t: {"title": "changed"}),
    Endpoint("DELETE", "/polls/{poll}", WRITE, 204),
    Endpoint("POST", "/polls/{poll}/close", WRITE, 200),
    Endpoint("GET", "/polls/{poll}/votes", READ, 200),
    Endpoint("POST", "/polls/{poll}/votes", WRITE, 201,
             lambda t: {"member_id": t.newcomer["id"], "kind": "choice", "option_ids": [t.poll["options"][1]["id"]]}),
    Endpoint("DELETE", "/polls/{poll}/votes/{voter}", WRITE, 204),
]
WRITES = [e for e in ENDPOINTS if e.scope == WRITE]
READS = [e for e in ENDPOINTS if e.scope == READ]


@dataclass
class World:
    owner: Any
    other: Any
    tokens: dict[tuple, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def client(server):
    api = server.api()
    yield api
    api.close()


@pytest.fixture(scope="module")
def world(client) -> World:
    return World(client.register(), client.register())


def pat(api, world: World, account, *scopes: str) -> str:
    key = (account.account_id, scopes)
    if key not in world.tokens:
        world.tokens[key] = api.pat(account, *scopes)
    return world.tokens[key]


def target(api, world: World) -> Target:
    token = world.owner.session
    voter = data(api.post("/api/v1/systems/@me/members", token, json={"name": "Voter"}), 201)
    newcomer = data(api.post("/api/v1/systems/@me/members", token, json={"name": "Newcomer"}), 201)
    poll = data(api.post("/api/v1/systems/@me/polls", token,
                         json={"title": "Q", "options": [{"label": "a"}, {"label": "b"}]}), 201)
    data(api.post(f"/api/v1/systems/@me/polls/{poll['id']}/votes", token,
                  json={"member_id": voter["id"], "kind": "choice", "option_ids": [poll["options"][0]["id"]]}), 201)
    return Target(f"/api/v1/systems/{world.owner.system_id}", poll, voter, newcomer)


def snapshot(api, world: World, t: Target) -> tuple:
    token = world.owner.session
    polls = data(api.get(f"{t.base}/polls?limit=200", token))
    votes = data(api.get(f"{t.base}/polls/{t.poll['id']}/votes", token))
    return polls, votes


def set_public(api, world: World, value: str) -> None:
    data(api.patch("/api/v1/systems/@me", world.owner.session, json={"privacy": {"polls": value}}))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_owner_with_the_scope_succeeds(client, world, endpoint):
    t = target(client, world)
    for token in (pat(client, world, world.owner, endpoint.scope), pat(client, world, world.owner, WRITE)):
        response = endpoint.send(client, t, token)
        assert response.status_code in (endpoint.status, 200), response.text  # a repeated vote replaces: 200
        if endpoint.method == "DELETE":
            break  # gone now


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_token_without_the_scope_is_403(client, world, endpoint):
    t = target(client, world)
    before = snapshot(client, world, t)
    failure = error(endpoint.send(client, t, pat(client, world, world.owner, *UNRELATED)), 403, "INSUFFICIENT_SCOPE")
    assert failure["details"] == {"required": [endpoint.scope], "granted": UNRELATED}
    if endpoint.scope == WRITE:
        failure = error(endpoint.send(client, t, pat(client, world, world.owner, READ)), 403, "INSUFFICIENT_SCOPE")
        assert failure["details"]["required"] == [WRITE]
    assert snapshot(client, world, t) == before


@pytest.mark.parametrize("endpoint", WRITES, ids=lambda e: e.id)
def test_writes_need_a_token_and_ownership(client, world, endpoint):
    set_public(client, world, "public")  # even a public area is not writable by others
    try:
        t = target(client, world)
        before = snapshot(client, world, t)
        response = endpoint.send(client, t, None)
        error(response, 401, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"].startswith("Bearer")
        for token in (world.other.session, pat(client, world, world.other, WRITE)):
            error(endpoint.send(client, t, token), 403, "FORBIDDEN")
        assert snapshot(client, world, t) == before
    finally:
        set_public(client, world, "private")


@pytest.mark.parametrize("endpoint", READS, ids=lambda e: e.id)
def test_reads_follow_the_polls_privacy(client, world, endpoint):
    t = target(client, world)
    viewers = (None, world.other.session, pat(client, world, world.other, READ))
    for token in viewers:
        error(endpoint.send(client, t, token), 403, "FORBIDDEN")
    set_public(client, world, "public")
    try:
        for token in viewers:
            assert endpoint.send(client, t, token).status_code == 200
    finally:
        set_public(client, world, "private")


def test_other_systems_ids_in_bodies_are_422(client, world):
    t = target(client, world)
    theirs = data(client.post("/api/v1/systems/@me/members", world.other.session, json={"name": "Theirs"}), 201)
    body = {"member_id": theirs["id"], "kind": "choice", "option_ids": [t.poll["options"][0]["id"]]}
    failure = error(client.post(f"{t.base}/polls/{t.poll['id']}/votes", world.owner.session, json=body), 422,
                    "VALIDATION_FAILED")
    assert "member_id" in failure["details"]["fields"]
    failure = error(client.post(f"{t.base}/polls", world.owner.session,
                                json={"title": "x", "options": [{"label": "a"}, {"label": "b"}],
                                      "created_by": theirs["uuid"]}), 422, "VALIDATION_FAILED")
    assert "created_by" in failure["details"]["fields"]
    # A member of another system is not found in this system's path either.
    error(client.delete(f"{t.base}/polls/{t.poll['id']}/votes/{theirs['id']}", world.owner.session), 404,
          "NOT_FOUND")

"""The matrix's world: an owner with data (something private in each area) and another account, on the session
server, with the owner's dead tokens. Expiry needs no waiting: the server's clock is moved past it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from ..conftest import MovableClock, RunningServer
from ..helpers import PASSWORD, Api, data
from .rows_resources import RESOURCES
from .world import ACCOUNT, GRANTABLE, OWNER_DESCRIPTION, Row, World, session_works

# How long the expiring personal access token is valid; the clock is moved past it and past a session's lifetime.
PAT_LIFETIME = timedelta(minutes=1)


def setup_owner_data(world: World) -> None:
    """Owner data with something private in it, so that (c) and (d) can tell the public view from the owner's."""
    api, owner = world.api, world.owner
    data(api.patch("/api/v1/systems/@me", owner.session,
                   json={"description": OWNER_DESCRIPTION, "privacy": {"member_list": "public"}}))
    world.extra["public_member"] = data(api.post(
        "/api/v1/systems/@me/members", owner.session,
        json={"name": "Open", "description": "private words", "privacy": {"visibility": "public", "name": "public"}}),
        201)
    world.extra["members"] = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Hidden"}),
                                  201)
    for resource in RESOURCES[1:]:
        world.extra[resource.collection] = resource.new_item(world)
    world.extra["owner_token_id"] = data(api.post("/api/v1/me/tokens", owner.session,
                                                  json={"name": "listed", "scopes": ["system:read"]}), 201)["id"]


@dataclass
class DeadTokens:
    """Tokens of the owner that once worked: revoked ones, and a session and a token that expire, which are dead
    while the server's clock is moved past both their expiries."""

    revoked_session: str
    revoked_pat: str
    expiring_session: str
    expiring_pat: str
    clock: MovableClock
    past_expiry: timedelta

    @contextmanager
    def token(self, state: str, row: Row) -> Iterator[str]:
        """The row's kind of token ("revoked" or "expired"); an expired one only inside the block."""
        session, pat = ((self.revoked_session, self.revoked_pat) if state == "revoked"
                        else (self.expiring_session, self.expiring_pat))
        token = session if row.scope == ACCOUNT else pat
        if state == "revoked":
            yield token
            return
        with self.clock.moved(self.past_expiry):
            yield token


@pytest.fixture(scope="module")
def client(server: RunningServer):
    api = server.api()
    yield api
    api.close()


@pytest.fixture(scope="module")
def world(client: Api, server: RunningServer):
    world = World.create(client)
    world.extra["dead"] = dead_tokens(world, server)
    setup_owner_data(world)
    yield world
    if "browser" in world.extra:
        world.extra["browser"].close()


@pytest.fixture
def dead(world: World) -> DeadTokens:
    return world.extra["dead"]


def dead_tokens(world: World, server: RunningServer) -> DeadTokens:
    api, owner = world.api, world.owner
    expiring_session = api.login(owner.email, PASSWORD)["access_token"]
    expiring_pat = api.pat(owner, *GRANTABLE, expires_at=(datetime.now(UTC) + PAT_LIFETIME).isoformat())
    assert session_works(world, expiring_session)  # alive until the clock moves
    data(api.get("/api/v1/systems/@me", expiring_pat))

    revoked_session = api.login(owner.email, PASSWORD)["access_token"]
    assert session_works(world, revoked_session)
    assert api.post("/api/v1/auth/logout", revoked_session).status_code == 204
    created = data(api.post("/api/v1/me/tokens", owner.session, json={"name": "revoked", "scopes": GRANTABLE}), 201)
    data(api.get("/api/v1/systems/@me", created["token"]))
    assert api.delete(f"/api/v1/me/tokens/{created['id']}", owner.session).status_code == 204
    past_expiry = timedelta(seconds=server.settings.session_ttl_seconds) + PAT_LIFETIME
    return DeadTokens(revoked_session, created["token"], expiring_session, expiring_pat, server.clock, past_expiry)

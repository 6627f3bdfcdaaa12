from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pluralspace.auth.principal import Principal
from pluralspace.kit.db import Database
from pluralspace.thoughts import service
from pluralspace.thoughts.schemas import ThoughtSet

from ..helpers import data, error

THOUGHT = "/api/v1/systems/@me/thought"
THOUGHTS = "/api/v1/systems/@me/thoughts"
MEMBERS = "/api/v1/systems/@me/members"


def set_thought(api, token, text="Be kind to yourself.", **extra) -> dict:
    return data(api.put(THOUGHT, token, json={"text": text} | extra))


def set_timezone(api, account, zone: str) -> None:
    assert data(api.patch("/api/v1/systems/@me", account.session, json={"timezone": zone}))["timezone"] == zone


# --- the local day ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("moment, zone, expected", [
    ("2026-03-01T14:30:00+00:00", "Asia/Tokyo", "2026-03-01"),  # 23:30 in Tokyo: still that Tokyo day
    ("2026-03-01T15:00:00+00:00", "Asia/Tokyo", "2026-03-02"),  # midnight in Tokyo: the next day
    ("2026-03-01T14:30:00+00:00", "UTC", "2026-03-01"),
    ("2026-03-01T03:00:00+00:00", "America/Los_Angeles", "2026-02-28"),
    ("2026-03-01T10:30:00+00:00", "Pacific/Kiritimati", "2026-03-02"),  # UTC+14
    ("2026-12-31T23:59:59+00:00", "Etc/GMT-14", "2027-01-01"),
    ("2026-03-01T14:30:00+00:00", "Not/AZone", "2026-03-01"),  # unknown: UTC
])
def test_local_date(moment, zone, expected):
    assert service.local_date(datetime.fromisoformat(moment), zone) == expected


def _principal(account) -> Principal:
    return Principal(credential_id=uuid.uuid4(), kind="session", account_id=uuid.UUID(account.account_id),
                     system_uuid=uuid.UUID(account.system_uuid), system_hid=account.system_id,
                     scopes=frozenset({"thoughts:read", "thoughts:write"}), granted=(), family_id=uuid.uuid4(),
                     client_id=None, last_used_at=None)


def test_the_tokyo_day_boundary_with_an_injected_clock(api, migrated):
    """Set at 23:30 Tokyo time (14:30 UTC), a thought belongs to that Tokyo day, and is today's until midnight."""
    account = api.register()
    set_timezone(api, account, "Asia/Tokyo")
    principal = _principal(account)
    late = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    database = Database(migrated.database_url, pool_size=1)

    async def run():
        try:
            made = await database.write(service.set_thought, "@me", principal, ThoughtSet(text="late"), late)
            same_day = await database.read(service.today_thought, "@me", principal, late + timedelta(minutes=29))
            next_day = await database.read(service.today_thought, "@me", principal, late + timedelta(minutes=31))
            utc_day = service.local_date(late, "UTC")
            return made, same_day, next_day, utc_day
        finally:
            await database.dispose()

    made, same_day, next_day, utc_day = asyncio.run(run())
    assert made.date == "2026-03-01" and utc_day == "2026-03-01"
    assert same_day is not None and same_day.id == made.id
    assert next_day is None  # past midnight in Tokyo: a new day without a thought
    listed = data(api.get(THOUGHTS, account.session, params={"date": "2026-03-01"}))
    assert [t["id"] for t in listed] == [made.id]


def test_http_thought_takes_the_systems_local_date(api):
    account = api.register()
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):  # UTC+14 and UTC-12: at most one of them shares UTC's date
        set_timezone(api, account, zone)
        before = datetime.now(ZoneInfo(zone)).date().isoformat()
        thought = set_thought(api, account.session, f"in {zone}")
        after = datetime.now(ZoneInfo(zone)).date().isoformat()
        assert thought["date"] in {before, after}
        if before == after:  # not straddling local midnight: it is today's thought there
            assert data(api.get(THOUGHT, account.session)) == thought
    dates = {t["date"] for t in data(api.get(THOUGHTS, account.session))}
    assert len(dates) == 2  # 26 hours apart: never the same calendar date


# --- set, get, history, delete ---------------------------------------------------------------------------------

def test_thought_has_every_key_and_today_is_the_latest(api):
    account = api.register()
    assert data(api.get(THOUGHT, account.session)) is None
    sage = data(api.post(MEMBERS, account.session, json={"name": "Sage"}), 201)
    before = datetime.now(UTC).date().isoformat()
    first = set_thought(api, account.session, "first", member_id=sage["id"])
    assert set(first) == {"id", "text", "member_id", "date", "created_at"}
    uuid.UUID(first["id"])
    assert first["text"] == "first" and first["member_id"] == sage["id"]
    assert first["date"] in {before, datetime.now(UTC).date().isoformat()}  # a new system's timezone is UTC
    assert first["created_at"].endswith("Z")
    assert data(api.get(THOUGHT, account.session)) == first
    second = set_thought(api, account.session, "second", member_id=sage["uuid"])
    assert second["member_id"] == sage["id"]
    assert data(api.get(THOUGHT, account.session)) == second
    third = set_thought(api, account.session, "third")
    assert third["member_id"] is None
    history = data(api.get(THOUGHTS, account.session))
    assert [t["id"] for t in history] == [third["id"], second["id"], first["id"]]
    assert data(api.get(THOUGHTS, account.session, params={"date": first["date"]})) == history
    assert data(api.get(THOUGHTS, account.session, params={"date": "2001-01-01"})) == []
    # Pages, newest first.
    page = api.get(THOUGHTS, account.session, params={"limit": 2}).json()
    assert [t["id"] for t in page["data"]] == [third["id"], second["id"]] and page["pagination"]["has_more"]
    rest = data(api.get(THOUGHTS, account.session, params={"limit": 2, "cursor": page["pagination"]["cursor"]}))
    assert [t["id"] for t in rest] == [first["id"]]
    # Deleting today's latest makes the one before it today's.
    assert api.delete(f"{THOUGHTS}/{third['id']}", account.session).status_code == 204
    assert data(api.get(THOUGHT, account.session)) == second
    error(api.delete(f"{THOUGHTS}/{third['id']}", account.session), 404, "NOT_FOUND")
    error(api.delete(f"{THOUGHTS}/not-a-uuid", account.session), 422, "VALIDATION_FAILED")
    # A deleted member leaves its thoughts without a member.
    assert api.delete(f"{MEMBERS}/{sage['id']}", account.session).status_code == 204
    assert data(api.get(THOUGHT, account.session))["member_id"] is None


@pytest.mark.parametrize("body, key", [
    ({"text": ""}, "text"),
    ({"text": "   "}, "text"),
    ({"text": "t" * 501}, "text"),
    ({"text": None}, "text"),
    ({"text": 5}, "text"),
    ({}, "text"),
    ({"text": "ok", "member_id": ""}, "member_id"),
    ({"text": "ok", "member_id": "qqqqqq"}, "member_id"),
    ({"text": "ok", "member_id": str(uuid.uuid4())}, "member_id"),
    ({"text": "ok", "member_id": "x" * 65}, "member_id"),
    ({"text": "ok", "date": "2001-01-01"}, "date"),
])
def test_thought_rules(api, body, key):
    account = api.register()
    failure = error(api.put(THOUGHT, account.session, json=body), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert data(api.get(THOUGHTS, account.session)) == []


def test_member_of_another_system_is_422_and_query_rules(api):
    account, other = api.register(), api.register()
    theirs = data(api.post(MEMBERS, other.session, json={"name": "Theirs"}), 201)
    for ident in (theirs["id"], theirs["uuid"]):
        failure = error(api.put(THOUGHT, account.session, json={"text": "x", "member_id": ident}), 422,
                        "VALIDATION_FAILED")
        assert "member_id" in failure["details"]["fields"]
    for params in ({"date": "2026-02-30"}, {"date": "yesterday"}, {"limit": 0}, {"limit": 201},
                   {"cursor": "garbage"}):
        error(api.get(THOUGHTS, account.session, params=params), 422, "VALIDATION_FAILED")
    # Another system's thought is not reachable through one's own system.
    theirs_thought = set_thought(api, other.session)
    error(api.delete(f"{THOUGHTS}/{theirs_thought['id']}", account.session), 404, "NOT_FOUND")
    assert data(api.get(THOUGHT, other.session)) == theirs_thought


def test_public_viewers_follow_thoughts_privacy(api):
    owner, stranger = api.register(), api.register()
    hidden = data(api.post(MEMBERS, owner.session, json={"name": "Hidden"}), 201)
    shown = data(api.post(MEMBERS, owner.session, json={"name": "Shown", "privacy": {"visibility": "public"}}), 201)
    by_shown = set_thought(api, owner.session, "shown's", member_id=shown["id"])
    unsigned = set_thought(api, owner.session, "nobody's")
    by_hidden = set_thought(api, owner.session, "hidden's", member_id=hidden["id"])  # today's latest
    base = f"/api/v1/systems/{owner.system_id}"
    viewers = (None, stranger.session, api.pat(stranger, "thoughts:read"))
    for token in viewers:
        error(api.get(f"{base}/thought", token), 403, "FORBIDDEN")
        error(api.get(f"{base}/thoughts", token), 403, "FORBIDDEN")
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"thoughts": "public"}}))
    # A hidden member's thought does not exist for other viewers: today's thought is the latest they may see.
    for token in viewers:
        assert data(api.get(f"{base}/thought", token)) == unsigned
        listed = api.get(f"{base}/thoughts", token, params={"date": by_hidden["date"]})
        assert data(listed) == [unsigned, by_shown]
        assert "hidden's" not in listed.text and hidden["id"] not in listed.text
    assert data(api.get(f"{base}/thought", owner.session)) == by_hidden
    assert data(api.get(f"{base}/thoughts", owner.session)) == [by_hidden, unsigned, by_shown]
    # When the hidden member's is the day's only thought, the day has none for other viewers.
    for thought in (unsigned, by_shown):
        assert api.delete(f"{THOUGHTS}/{thought['id']}", owner.session).status_code == 204
    for token in viewers:
        assert data(api.get(f"{base}/thought", token)) is None and data(api.get(f"{base}/thoughts", token)) == []


# --- every endpoint: scope, ownership, public viewers ------------------------------------------------------------

READ, WRITE = "thoughts:read", "thoughts:write"
UNRELATED = sorted(["members:read", "polls:read", "polls:write", "system:read"])


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # relative to the system; {thought} is filled in
    scope: str
    status: int
    body: dict | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def send(self, api, base: str, thought: dict, token: str | None):
        return api.request(self.method, base + self.path.format(thought=thought["id"]), token, json=self.body)


ENDPOINTS = [
    Endpoint("GET", "/thought", READ, 200),
    Endpoint("PUT", "/thought", WRITE, 200, {"text": "a new thought"}),
    Endpoint("GET", "/thoughts", READ, 200),
    Endpoint("DELETE", "/thoughts/{thought}", WRITE, 204),
]


@dataclass
class World:
    owner: Any
    other: Any
    tokens: dict[tuple, str] = field(default_factory=dict)

    def pat(self, api, account, *scopes: str) -> str:
        key = (account.account_id, scopes)
        if key not in self.tokens:
            self.tokens[key] = api.pat(account, *scopes)
        return self.tokens[key]


@pytest.fixture(scope="module")
def client(server):
    api = server.api()
    yield api
    api.close()


@pytest.fixture(scope="module")
def world(client) -> World:
    return World(client.register(), client.register())


def _setup(client, world: World) -> tuple[str, dict, list]:
    thought = set_thought(client, world.owner.session, "seed")
    return f"/api/v1/systems/{world.owner.system_id}", thought, _history(client, world)


def _history(client, world: World) -> list:
    return data(client.get(THOUGHTS, world.owner.session, params={"limit": 200}))


def _set_public(client, world: World, value: str) -> None:
    data(client.patch("/api/v1/systems/@me", world.owner.session, json={"privacy": {"thoughts": value}}))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_access_owner_with_the_scope_succeeds(client, world, endpoint):
    base, thought, _ = _setup(client, world)
    response = endpoint.send(client, base, thought, world.pat(client, world.owner, endpoint.scope))
    assert response.status_code == endpoint.status, response.text
    if endpoint.id == "GET /thought":
        assert data(response) == thought
    if endpoint.method == "DELETE":
        assert thought["id"] not in [t["id"] for t in _history(client, world)]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_access_token_without_the_scope_is_403(client, world, endpoint):
    base, thought, before = _setup(client, world)
    failure = error(endpoint.send(client, base, thought, world.pat(client, world.owner, *UNRELATED)), 403,
                    "INSUFFICIENT_SCOPE")
    assert failure["details"] == {"required": [endpoint.scope], "granted": UNRELATED}
    if endpoint.scope == WRITE:
        error(endpoint.send(client, base, thought, world.pat(client, world.owner, READ)), 403, "INSUFFICIENT_SCOPE")
    assert _history(client, world) == before


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.scope == WRITE], ids=lambda e: e.id)
def test_access_writes_need_a_token_and_ownership(client, world, endpoint):
    _set_public(client, world, "public")
    try:
        base, thought, before = _setup(client, world)
        response = endpoint.send(client, base, thought, None)
        error(response, 401, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"].startswith("Bearer")
        for token in (world.other.session, world.pat(client, world.other, WRITE)):
            error(endpoint.send(client, base, thought, token), 403, "FORBIDDEN")
        assert _history(client, world) == before
    finally:
        _set_public(client, world, "private")


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.scope == READ], ids=lambda e: e.id)
def test_access_reads_follow_the_thoughts_privacy(client, world, endpoint):
    base, thought, _ = _setup(client, world)
    viewers = (None, world.other.session, world.pat(client, world.other, READ))
    for token in viewers:
        error(endpoint.send(client, base, thought, token), 403, "FORBIDDEN")
    _set_public(client, world, "public")
    try:
        for token in viewers:
            assert endpoint.send(client, base, thought, token).status_code == 200
    finally:
        _set_public(client, world, "private")

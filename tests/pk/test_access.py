"""Who may call what on /pk: one row per PluralKit route, the same questions asked of every row.

    (a) the owner's token (raw, as PluralKit clients send it) holding the row's scope succeeds;
    (b) the owner's token without that scope is 403 (code 0);
    (c) another account's token with the scope sees the public view of the owner's data and changes nothing of it;
    (d) no token: the public view on public routes, 401 (code 0) elsewhere;
    (e) a revoked token is treated as PluralKit treats an unknown token: like no token at all.

These routes are left out of tests/access/ (its checks assume the native envelope); the coverage
test below keeps this table complete instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from ..access.table import app_routes
from ..access.world import GRANTABLE
from ..helpers import Account, Api, data
from .helpers import Pk, link_account, ok, owner_token, pk_error, record_message


@dataclass
class World:
    api: Api
    owner: Account
    other: Account
    token: str
    ids: dict[str, Any] = field(default_factory=dict)
    tokens: dict[tuple, str] = field(default_factory=dict)

    def pat(self, account: Account, *scopes: str) -> str:
        key = (account.account_id, scopes)
        if key not in self.tokens:
            self.tokens[key] = self.api.pat(account, *scopes)
        return self.tokens[key]

    def v2(self, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        return Pk(self.api)(method, path, token, **kwargs)

    def member(self, name: str, **extra) -> dict:
        return ok(self.v2("POST", "/members", self.token, json={"name": name, **extra}))

    def fronting(self) -> set[str]:
        response = self.v2("GET", "/systems/@me/fronters", self.token)
        return set() if response.status_code == 204 else {m["id"] for m in ok(response)["members"]}

    def new_switch(self, *, unlike: list[set[str]] = ()) -> tuple[dict, set[str]]:
        """A switch now, with a member set different from the current one and from every set in `unlike`."""
        pool = [set(), {self.ids["a"]}, {self.ids["b"]}, {self.ids["a"], self.ids["b"]}]
        members = next(s for s in pool if s != self.fronting() and s not in unlike)
        return ok(self.v2("POST", "/systems/@me/switches", self.token, json={"members": sorted(members)})), members


@pytest.fixture(scope="module")
def world(server) -> World:
    api = server.api()
    owner, other = api.register(system_name="PK Owner"), api.register(system_name="PK Other")
    world = World(api, owner, other, owner_token(api, owner))
    ok(world.v2("PATCH", "/systems/@me", world.token, json={"description": "owner only", "privacy": {
        "member_list_privacy": "public", "front_privacy": "public"}}))
    world.ids["a"] = world.member("Open", privacy={"visibility": "public"})["id"]
    world.ids["b"] = world.member("Hidden")["id"]
    world.ids["c"] = world.member("Also open", privacy={"visibility": "public"})["id"]
    world.ids["group"] = ok(world.v2("POST", "/groups", world.token, json={"name": "Group"}))["id"]
    world.ids["switch"] = world.new_switch()[0]["id"]
    discord_id = str(10 ** 17 + secrets.randbelow(10 ** 17))
    message_id = str(10 ** 18 + secrets.randbelow(10 ** 17))
    world.ids.update(discord=discord_id, message=message_id)
    link_account(server, owner, discord_id)
    record_message(server, owner, message_id, sender=discord_id)
    yield world
    api.close()


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: Any = None


@dataclass(frozen=True)
class Row:
    method: str
    route: str  # the route's path as the app declares it
    scope: str
    build: Callable[[World], Call]
    status: int = 200
    other: tuple[int, int] = (200, 0)  # (status, code) for another account's token; code 0 = not an error
    public: tuple[int, int] | None = (200, 0)  # the same without a token; None: 401
    own: bool = False  # the route names the caller's own system: another account gets its own, in full
    also: tuple[str, ...] = ()  # scopes a token needs besides `scope`: the answer is made of another area's objects

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


MEMBERS = ("members:read",)  # the answer is made of member objects


def fixed(method: str, path: str, json: Any = None) -> Callable[[World], Call]:
    return lambda world: Call(method, path.format(**world.ids), json)


PUBLIC = {"privacy": {"visibility": "public"}}


def fresh_member(method: str, suffix: str = "", json: Any = None) -> Callable[[World], Call]:
    return lambda world: Call(method, f"/pk/v2/members/{world.member('Temp', **PUBLIC)['id']}{suffix}", json)


def fresh_v1_member(method: str, json: Any = None) -> Callable[[World], Call]:
    return lambda world: Call(method, f"/pk/v1/m/{world.member('Temp', **PUBLIC)['id']}", json)


def fresh_group(method: str) -> Callable[[World], Call]:
    def build(world: World) -> Call:
        group = ok(world.v2("POST", "/groups", world.token, json={"name": "Temp", **PUBLIC}))
        return Call(method, f"/pk/v2/groups/{group['id']}")
    return build


def new_switch_body(world: World) -> Call:
    members = next(s for s in ([], [world.ids["a"]]) if set(s) != world.fronting())
    return Call("POST", "/pk/v2/systems/@me/switches", {"members": members})


def v1_switch_body(world: World) -> Call:
    members = next(s for s in ([world.ids["a"]], [world.ids["a"], world.ids["c"]]) if set(s) != world.fronting())
    return Call("POST", "/pk/v1/s/switches", {"members": members})


def switch_move(world: World) -> Call:
    switch, _ = world.new_switch()
    return Call("PATCH", f"/pk/v2/systems/@me/switches/{switch['id']}",
                {"timestamp": (datetime.fromisoformat(switch["timestamp"]) - timedelta(microseconds=1)).isoformat()})


def switch_members(world: World) -> Call:
    before = world.fronting()
    switch, members = world.new_switch()
    target = next(s for s in ([], [world.ids["a"]], [world.ids["b"]]) if set(s) not in (before, members))
    return Call("PATCH", f"/pk/v2/systems/@me/switches/{switch['id']}/members", target)


def switch_delete(world: World) -> Call:
    switch, _ = world.new_switch()
    return Call("DELETE", f"/pk/v2/systems/@me/switches/{switch['id']}")


SYSTEM = "/pk/v2/systems/{ref}"
ROWS = [
    Row("GET", SYSTEM, "system:read", fixed("GET", "/pk/v2/systems/@me")),
    Row("PATCH", SYSTEM, "system:write", fixed("PATCH", "/pk/v2/systems/@me", {"tag": "[t]"}), other=(403, 0),
        public=None),
    Row("GET", SYSTEM + "/settings", "system:read", fixed("GET", "/pk/v2/systems/@me/settings"), other=(403, 0),
        public=(403, 0)),
    Row("PATCH", SYSTEM + "/settings", "system:write",
        fixed("PATCH", "/pk/v2/systems/@me/settings", {"timezone": "Europe/Berlin"}), other=(403, 0), public=None),
    Row("GET", SYSTEM + "/members", "members:read", fixed("GET", "/pk/v2/systems/@me/members")),
    Row("POST", "/pk/v2/members", "members:write", fixed("POST", "/pk/v2/members", {"name": "New"}), public=None),
    Row("GET", "/pk/v2/members/{ref}", "members:read", fixed("GET", "/pk/v2/members/{a}")),
    Row("PATCH", "/pk/v2/members/{ref}", "members:write", fixed("PATCH", "/pk/v2/members/{a}", {"pronouns": "x"}),
        other=(403, 30006), public=None),
    Row("DELETE", "/pk/v2/members/{ref}", "members:write", fresh_member("DELETE"), status=204, other=(403, 30006),
        public=None),
    Row("GET", "/pk/v2/members/{ref}/groups", "groups:read", fixed("GET", "/pk/v2/members/{a}/groups"),
        other=(403, 30002), public=(403, 30002)),
    Row("POST", "/pk/v2/members/{ref}/groups/{mode}", "groups:write",
        lambda w: Call("POST", f"/pk/v2/members/{w.ids['a']}/groups/add", [w.ids["group"]]), status=204,
        other=(403, 30006), public=None),
    Row("GET", SYSTEM + "/groups", "groups:read", fixed("GET", "/pk/v2/systems/@me/groups?with_members=true"),
        other=(403, 30002), public=(403, 30002)),
    Row("POST", "/pk/v2/groups", "groups:write", fixed("POST", "/pk/v2/groups", {"name": "New"}), public=None),
    Row("GET", "/pk/v2/groups/{ref}", "groups:read", fixed("GET", "/pk/v2/groups/{group}"), other=(404, 20004),
        public=(404, 20004)),
    Row("PATCH", "/pk/v2/groups/{ref}", "groups:write", fixed("PATCH", "/pk/v2/groups/{group}", {"icon": None}),
        other=(404, 20004), public=None),  # the group is private: as if it did not exist
    Row("DELETE", "/pk/v2/groups/{ref}", "groups:write", fresh_group("DELETE"), status=204, other=(403, 30007),
        public=None),
    Row("GET", "/pk/v2/groups/{ref}/members", "groups:read", fixed("GET", "/pk/v2/groups/{group}/members"),
        other=(404, 20004), public=(404, 20004), also=MEMBERS),
    Row("POST", "/pk/v2/groups/{ref}/members/{mode}", "groups:write",
        lambda w: Call("POST", f"/pk/v2/groups/{w.ids['group']}/members/overwrite", [w.ids["a"]]), status=204,
        other=(404, 20004), public=None),
    Row("GET", SYSTEM + "/switches", "fronts:read", fixed("GET", "/pk/v2/systems/@me/switches?limit=5"),
        other=(403, 30005), public=(403, 30005)),
    Row("POST", SYSTEM + "/switches", "fronts:write", new_switch_body, other=(403, 0), public=None),
    Row("GET", SYSTEM + "/fronters", "fronts:read", fixed("GET", "/pk/v2/systems/@me/fronters"), also=MEMBERS),
    Row("GET", SYSTEM + "/switches/{switch}", "fronts:read", fixed("GET", "/pk/v2/systems/@me/switches/{switch}"),
        other=(404, 20008), public=(404, 20008), also=MEMBERS),
    Row("PATCH", SYSTEM + "/switches/{switch}", "fronts:write", switch_move, other=(403, 0), public=None),
    Row("PATCH", SYSTEM + "/switches/{switch}/members", "fronts:write", switch_members, other=(403, 0),
        public=None),
    Row("DELETE", SYSTEM + "/switches/{switch}", "fronts:write", switch_delete, status=204, other=(403, 0),
        public=None),
    Row("GET", "/pk/v2/messages/{ident}", "system:read", fixed("GET", "/pk/v2/messages/{message}")),
    # v1
    Row("GET", "/pk/v1/s", "system:read", fixed("GET", "/pk/v1/s"), public=None, own=True),
    Row("PATCH", "/pk/v1/s", "system:write", fixed("PATCH", "/pk/v1/s", {"tag": "[v1]"}), public=None),
    Row("POST", "/pk/v1/s/switches", "fronts:write", v1_switch_body, status=204, other=(403, 30008), public=None),
    Row("GET", "/pk/v1/s/{ref}", "system:read", fixed("GET", "/pk/v1/s/@me")),
    Row("GET", "/pk/v1/s/{ref}/members", "members:read", fixed("GET", "/pk/v1/s/@me/members")),
    Row("GET", "/pk/v1/s/{ref}/switches", "fronts:read", fixed("GET", "/pk/v1/s/@me/switches"), other=(403, 30005),
        public=(403, 30005)),
    Row("GET", "/pk/v1/s/{ref}/fronters", "fronts:read", fixed("GET", "/pk/v1/s/@me/fronters"), also=MEMBERS),
    Row("POST", "/pk/v1/m", "members:write", fixed("POST", "/pk/v1/m", {"name": "V1"}), public=None),
    Row("GET", "/pk/v1/m/{ref}", "members:read", fixed("GET", "/pk/v1/m/{a}")),
    Row("PATCH", "/pk/v1/m/{ref}", "members:write", fixed("PATCH", "/pk/v1/m/{a}", {"pronouns": "v1"}),
        other=(403, 30006), public=None),
    Row("DELETE", "/pk/v1/m/{ref}", "members:write", fresh_v1_member("DELETE"), status=204, other=(403, 30006),
        public=None),
    Row("GET", "/pk/v1/a/{discord_id}", "system:read", fixed("GET", "/pk/v1/a/{discord}")),
    Row("GET", "/pk/v1/msg/{ident}", "system:read", fixed("GET", "/pk/v1/msg/{message}")),
]
ROW_IDS = [row.id for row in ROWS]
SYSTEM_REFS = ("/systems/@me", "/pk/v1/s/@me", "/pk/v1/s")  # paths that name the caller's own system


def for_other(call: Call, world: World) -> Call:
    """The owner's request as another account sends it: naming the owner's system, not its own."""
    path = call.path.replace("/systems/@me", f"/systems/{world.owner.system_id}")
    path = path.replace("/pk/v1/s/@me", f"/pk/v1/s/{world.owner.system_id}")
    return Call(call.method, path, call.json)


def send(world: World, call: Call, token: str | None) -> httpx.Response:
    headers = {"Authorization": token} if token else {}
    return world.api.client.request(call.method, call.path, json=call.json, headers=headers)


def snapshot(world: World) -> Any:
    """What a refused write must leave untouched."""
    return [ok(world.v2("GET", path, world.token)) for path in
            ("/systems/@me", "/systems/@me/members", "/systems/@me/groups?with_members=true",
             "/systems/@me/switches")]


def assert_public_view(body: Any) -> None:
    """Nobody but the owner sees privacy settings (PluralKit: `privacy` null; v1: every flat key null)."""
    if isinstance(body, list):
        for item in body:
            assert_public_view(item)
    elif isinstance(body, dict):
        for key, value in body.items():
            if key in ("privacy", "visibility") or key.endswith("_privacy"):
                assert value is None, (key, body)
            else:
                assert_public_view(value)


def expect(response: httpx.Response, status: int, code: int) -> None:
    if code and not response.request.url.path.startswith("/pk/v1/"):  # v1 errors are plain text
        pk_error(response, status, code)
    else:
        assert response.status_code == status, response.text
        if status == 200 and response.request.method == "GET":
            assert_public_view(response.json())


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_a_owner_with_the_scope(world, row):
    call = row.build(world)
    response = send(world, call, world.pat(world.owner, row.scope, *row.also))
    assert response.status_code == row.status, response.text


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_b_token_without_the_scope(world, row):
    implied_by = {row.scope, row.scope.replace(":read", ":write")}
    token = world.pat(world.owner, *[scope for scope in GRANTABLE if scope not in implied_by])
    call = row.build(world)
    before = snapshot(world)
    response = send(world, call, token)
    assert response.status_code == 403, response.text
    if not call.path.startswith("/pk/v1/"):
        assert row.scope in pk_error(response, 403, 0)["message"]
    assert snapshot(world) == before


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_c_another_accounts_token(world, row):
    call = for_other(row.build(world), world)
    writes = call.method != "GET"
    before = snapshot(world) if writes else None
    response = send(world, call, world.pat(world.other, row.scope, *row.also))
    status, code = row.other
    if row.own:
        assert response.status_code == status and response.json()["id"] == world.other.system_id
    else:
        expect(response, status, code)
    if writes and call.path not in ("/pk/v2/members", "/pk/v2/groups", "/pk/v1/m", "/pk/v1/s"):
        assert snapshot(world) == before  # the owner's data is untouched (creates land in the caller's system)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
@pytest.mark.parametrize("token", ["none", "revoked"])
def test_d_e_no_token_or_an_unknown_one(world, row, token):
    call = for_other(row.build(world), world)
    before = snapshot(world) if call.method != "GET" else None
    response = send(world, call, world.ids.setdefault("revoked", _revoked(world)) if token == "revoked" else None)
    if row.public is None:
        if call.path.startswith("/pk/v1/"):
            assert response.status_code == 401, response.text
        else:
            pk_error(response, 401, 0)
        assert before is None or snapshot(world) == before
    else:
        expect(response, *row.public)


def _revoked(world: World) -> str:
    created = data(world.api.post("/api/v1/me/tokens", world.owner.session,
                                  json={"name": "revoked", "scopes": GRANTABLE}), 201)
    assert world.api.delete(f"/api/v1/me/tokens/{created['id']}", world.owner.session).status_code == 204
    return created["token"]


def test_the_table_covers_every_pluralkit_route(server):
    served = {route for route in app_routes(server.app) if route[1].startswith("/pk/")}
    assert served == {(row.method, row.route) for row in ROWS}
    assert len(set(ROW_IDS)) == len(ROWS)

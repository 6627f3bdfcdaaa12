"""Rows of everything inside a system: the collections (one factory for their five operations), fronts and
switches, polls, thoughts, wrapped, and a group's member list."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ..helpers import data, error
from .world import Call, Check, Row, World, is_forbidden, unique

# --- resources inside a system: one factory for their five operations ---------------------------------------------

@dataclass(frozen=True)
class Resource:
    """A collection under /systems/{sid}/ with the usual list, create, get, change and delete.

    `create` builds the body of a new item of the owner's (making what it refers to); `key` is the field a change
    sets and that tells items apart. What a public viewer gets from the list and from the seeded item (private, in a
    system whose areas are private except those `setup_owner_data` opens) is stated per resource.
    """

    collection: str
    item: str
    family: str
    create: Callable[[World], dict]
    key: str
    public_list: Check
    public_get: Check

    def path(self, world: World) -> str:
        return f"/api/v1/systems/{world.owner.system_id}/{self.collection}"

    def seed(self, world: World) -> dict:
        return world.extra[self.collection]

    def item_path(self, world: World, item: dict) -> str:
        return f"{self.path(world)}/{item['id']}"

    def owner_items(self, world: World) -> list[dict]:
        return data(world.owner_get(self.path(world) + "?limit=200"))

    def new_item(self, world: World) -> dict:
        return data(world.api.post(self.path(world), world.owner.session, json=self.create(world)), 201)

    def rows(self) -> list[Row]:
        template = f"/api/v1/systems/{{sid}}/{self.collection}"
        read, write = f"{self.family}:read", f"{self.family}:write"

        def list_call(world: World) -> Call:
            return Call("GET", self.path(world) + "?limit=200")

        def lists_seed(world: World, call: Call, response: httpx.Response) -> None:
            assert self.seed(world)["id"] in [item["id"] for item in data(response)]

        def create_call(world: World) -> Call:
            return Call("POST", self.path(world), {**self.create(world), self.key: unique("new")})

        def created(world: World, call: Call, response: httpx.Response) -> None:
            item = data(response, 201)
            assert item[self.key] == call.json[self.key]
            assert item["id"] in [i["id"] for i in self.owner_items(world)]

        def not_created(world: World, call: Call) -> None:
            assert call.json[self.key] not in [item[self.key] for item in self.owner_items(world)]

        def refused_and_not_created(world: World, call: Call, response: httpx.Response) -> None:
            error(response, 403, "FORBIDDEN")
            not_created(world, call)

        def get_call(world: World) -> Call:
            return Call("GET", self.item_path(world, self.seed(world)))

        def got_seed(world: World, call: Call, response: httpx.Response) -> None:
            assert data(response)["id"] == self.seed(world)["id"]

        def item_call(method: str) -> Callable[[World], Call]:
            def build(world: World) -> Call:
                item = self.new_item(world)
                return Call(method, self.item_path(world, item),
                            {self.key: unique("changed")} if method == "PATCH" else None, keep={"item": item})

            return build

        def unchanged(world: World, call: Call) -> None:
            assert data(world.owner_get(call.path))[self.key] == call.keep["item"][self.key]

        def changed(world: World, call: Call, response: httpx.Response) -> None:
            assert data(response)[self.key] == call.json[self.key]
            assert data(world.owner_get(call.path))[self.key] == call.json[self.key]

        def deleted(world: World, call: Call, response: httpx.Response) -> None:
            assert response.status_code == 204, response.text
            error(world.owner_get(call.path), 404, "NOT_FOUND")

        def refused_and_unchanged(world: World, call: Call, response: httpx.Response) -> None:
            error(response, 403, "FORBIDDEN")
            unchanged(world, call)

        return [
            Row("GET", template, read, True, list_call, check=lists_seed, as_other=self.public_list,
                as_public=self.public_list),
            Row("POST", template, write, False, create_call, 201, check=created, as_other=refused_and_not_created,
                unchanged=not_created),
            Row("GET", f"{template}/{self.item}", read, True, get_call, check=got_seed, as_other=self.public_get,
                as_public=self.public_get),
            Row("PATCH", f"{template}/{self.item}", write, False, item_call("PATCH"), check=changed,
                as_other=refused_and_unchanged, unchanged=unchanged),
            Row("DELETE", f"{template}/{self.item}", write, False, item_call("DELETE"), 204, check=deleted,
                as_other=refused_and_unchanged, unchanged=unchanged),
        ]


def is_404(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 404, "NOT_FOUND")


def public_members_only(world: World, call: Call, response: httpx.Response) -> None:
    members = data(response)
    assert [m["id"] for m in members] == [world.extra["public_member"]["id"]]
    assert members[0]["name"] == "Open" and members[0]["description"] is None and members[0]["privacy"] is None


def member_body(world: World) -> dict:
    return {"name": unique("member")}


def new_member_id(world: World) -> str:
    return data(world.api.post("/api/v1/systems/@me/members", world.owner.session, json=member_body(world)),
                201)["id"]


def relationship_body(world: World) -> dict:
    return {"type_id": world.extra["relationship-types"]["id"], "source_member_id": new_member_id(world),
            "target_member_id": new_member_id(world), "note": unique("note")}


def past_front(world: World, **extra: Any) -> dict:
    return {"member_id": new_member_id(world), "started_at": "2020-01-01T00:00:00Z",
            "ended_at": "2020-01-01T01:00:00Z", **extra}


def poll_body(world: World) -> dict:
    return {"title": unique("poll"), "options": [{"label": "yes"}, {"label": "no"}]}


# What a public viewer sees: the owner opened the member list only, and the seeded items are private.
MEMBERS = Resource("members", "{mid}", "members", member_body, "name", public_list=public_members_only,
                   public_get=is_404)
FIELDS = Resource("fields", "{field_id}", "fields", lambda w: {"name": unique("field"), "type": "text"}, "name",
                  public_list=is_forbidden, public_get=is_forbidden)
GROUPS = Resource("groups", "{gid}", "groups", lambda w: {"name": unique("group")}, "name",
                  public_list=is_forbidden, public_get=is_404)
RELATIONSHIP_TYPES = Resource("relationship-types", "{type_id}", "relationships",
                              lambda w: {"name": unique("type"), "inverse_name": "reverse"}, "name",
                              public_list=is_forbidden, public_get=is_forbidden)
RELATIONSHIPS = Resource("relationships", "{relationship_id}", "relationships", relationship_body, "note",
                         public_list=is_forbidden, public_get=is_forbidden)
FRONTS = Resource("fronts", "{front_id}", "fronts", lambda w: past_front(w, comment=unique("front")), "comment",
                  public_list=is_forbidden, public_get=is_forbidden)
POLLS = Resource("polls", "{poll_id}", "polls", poll_body, "title", public_list=is_forbidden,
                 public_get=is_forbidden)
JOURNAL = Resource("journal", "{entry_id}", "journal", lambda w: {"title": unique("entry"), "body": "Dear diary"},
                   "title", public_list=is_forbidden, public_get=is_forbidden)
RESOURCES = [MEMBERS, FIELDS, GROUPS, RELATIONSHIP_TYPES, RELATIONSHIPS, FRONTS, POLLS, JOURNAL]  # seeded in order


def read_call(suffix: str) -> Callable[[World], Call]:
    return lambda world: Call("GET", f"/api/v1/systems/{world.owner.system_id}/{suffix}")


NOW = datetime.now(UTC)


def wrapped_index(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)[0]["period"] == f"{NOW.year:04d}-{NOW.month:02d}"


def wrapped_recap(kind: str) -> Check:
    def check(world: World, call: Call, response: httpx.Response) -> None:
        recap = data(response)
        assert recap["kind"] == kind and recap["final"] is False and recap["members"] is not None  # the owner's

    return check


def answers_a_list(world: World, call: Call, response: httpx.Response) -> None:
    assert isinstance(data(response), list)


def system_read_row(suffix: str, family: str, check: Check = answers_a_list) -> Row:
    """A read of an area the owner keeps private: 403 FORBIDDEN for anyone else."""
    return Row("GET", f"/api/v1/systems/{{sid}}/{suffix}", f"{family}:read", True, read_call(suffix), check=check,
               as_other=is_forbidden, as_public=is_forbidden)


def owner_state(world: World, path: str) -> Any:
    return data(world.owner_get(path))


def write_row(method: str, path: str, family: str, build: Callable[[World], Call], status: int,
              done: Callable[[World, Call], None], not_done: Callable[[World, Call], None]) -> Row:
    """A change inside the owner's system: `done` and `not_done` look at the owner's data afterwards."""

    def check(world: World, call: Call, response: httpx.Response) -> None:
        assert response.status_code == status, response.text
        done(world, call)

    def as_other(world: World, call: Call, response: httpx.Response) -> None:
        error(response, 403, "FORBIDDEN")
        not_done(world, call)

    return Row(method, path, f"{family}:write", False, build, status, check=check, as_other=as_other,
               unchanged=not_done)


# Fronts beyond their collection.
def end_front_call(world: World) -> Call:
    front = data(world.api.post(
        FRONTS.path(world), world.owner.session,
        json={"member_id": new_member_id(world), "started_at": "2020-01-01T00:00:00Z"}), 201)
    path = FRONTS.item_path(world, front)
    return Call("POST", f"{path}/end", {}, keep={"path": path})


def front_ended(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["ended_at"] is not None


def front_open(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["ended_at"] is None


def fronters_call(world: World) -> Call:
    return Call("PUT", f"/api/v1/systems/{world.owner.system_id}/fronters", {"member_ids": [new_member_id(world)]})


def current_fronters(world: World) -> list[str]:
    return [front["member_id"] for front in owner_state(world, "/api/v1/systems/@me/fronters")]


def fronting(world: World, call: Call) -> None:
    assert current_fronters(world) == call.json["member_ids"]


def not_fronting(world: World, call: Call) -> None:
    assert call.json["member_ids"][0] not in current_fronters(world)


# One switch: its id is its timestamp; each call gets a change point of its own (a new member's past front).
SWITCHES = "/api/v1/systems/{sid}/switches"


def unique_moment() -> datetime:
    return datetime(2010, 1, 1, tzinfo=UTC) + timedelta(seconds=secrets.randbelow(10 ** 8))


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def switch_call(method: str) -> Callable[[World], Call]:
    """A switch at a moment of its own; PATCH moves it 30 seconds later, POST adds one at another moment."""

    def build(world: World) -> Call:
        moment, member_id = unique_moment(), new_member_id(world)
        data(world.api.post(FRONTS.path(world), world.owner.session, json={
            "member_id": member_id, "started_at": stamp(moment), "ended_at": stamp(moment + timedelta(minutes=1))}),
            201)
        base = SWITCHES.format(sid=world.owner.system_id)
        body: dict[str, Any] | None = None
        if method == "POST":
            moment = unique_moment()
            body = {"timestamp": stamp(moment), "member_ids": [new_member_id(world)]}
        elif method == "PATCH":
            body = {"timestamp": stamp(moment + timedelta(seconds=30))}
        path = base if method == "POST" else f"{base}/{stamp(moment)}"
        return Call(method, path, body, keep={"switch": f"{base}/{stamp(moment)}", "member_id": member_id})

    return build


def switch_shown(world: World, call: Call, response: httpx.Response) -> None:
    shown = data(response)  # other rows' switches may front across this moment too
    assert shown["timestamp"] == call.path.rsplit("/", 1)[1] and call.keep["member_id"] in shown["member_ids"]


def switch_at(world: World, path: str) -> int:
    return world.owner_get(path).status_code


def switch_added(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 200


def switch_not_added(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 404


def switch_moved(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 404
    assert switch_at(world, call.keep["switch"].rsplit("/", 1)[0] + "/" + call.json["timestamp"]) == 200


def switch_kept(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 200


def switch_gone(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 404


# Polls beyond their collection.
def poll_call(suffix: str, method: str, voted: bool = False) -> Callable[[World], Call]:
    def build(world: World) -> Call:
        poll = POLLS.new_item(world)
        path = POLLS.item_path(world, poll)
        member_id = new_member_id(world)
        vote = {"member_id": member_id, "option_ids": [poll["options"][0]["id"]]}
        if voted:
            data(world.api.post(f"{path}/votes", world.owner.session, json=vote), 201)
        url = f"{path}/{suffix}".replace("{member_id}", member_id)
        return Call(method, url, vote if method == "POST" and suffix == "votes" else None, keep={"path": path})

    return build


def one_vote_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert len(data(response)) == 1


def poll_closed(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["closed"] is True


def poll_open(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["closed"] is False


def one_vote(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["vote_count"] == 1


def no_vote(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["vote_count"] == 0


# Thoughts.
def set_thought_call(world: World) -> Call:
    return Call("PUT", f"/api/v1/systems/{world.owner.system_id}/thought", {"text": unique("thought")})


def thought_set(world: World, call: Call) -> None:
    assert owner_state(world, "/api/v1/systems/@me/thought")["text"] == call.json["text"]


def thought_not_set(world: World, call: Call) -> None:
    current = owner_state(world, "/api/v1/systems/@me/thought")
    assert current is None or current["text"] != call.json["text"]


def delete_thought_call(world: World) -> Call:
    thought = data(world.api.put("/api/v1/systems/@me/thought", world.owner.session, json={"text": unique("t")}))
    return Call("DELETE", f"/api/v1/systems/{world.owner.system_id}/thoughts/{thought['id']}",
                keep={"id": thought["id"]})


def thought_ids(world: World) -> list[str]:
    return [t["id"] for t in owner_state(world, "/api/v1/systems/@me/thoughts?limit=200")]


def thought_gone(world: World, call: Call) -> None:
    assert call.keep["id"] not in thought_ids(world)


def thought_kept(world: World, call: Call) -> None:
    assert call.keep["id"] in thought_ids(world)


def thought_or_nothing(world: World, call: Call, response: httpx.Response) -> None:
    today = data(response)
    assert today is None or set(today) >= {"id", "text", "date"}


SYSTEM = "/api/v1/systems/{sid}"
MORE_ROWS = [
    write_row("POST", f"{SYSTEM}/fronts/{{front_id}}/end", "fronts", end_front_call, 200, front_ended, front_open),
    system_read_row("fronters", "fronts"),
    write_row("PUT", f"{SYSTEM}/fronters", "fronts", fronters_call, 200, fronting, not_fronting),
    system_read_row("switches", "fronts"),
    write_row("POST", SWITCHES, "fronts", switch_call("POST"), 201, switch_added, switch_not_added),
    Row("GET", f"{SWITCHES}/{{timestamp}}", "fronts:read", True, switch_call("GET"), check=switch_shown,
        as_other=is_forbidden, as_public=is_forbidden),
    write_row("PATCH", f"{SWITCHES}/{{timestamp}}", "fronts", switch_call("PATCH"), 200, switch_moved, switch_kept),
    write_row("DELETE", f"{SWITCHES}/{{timestamp}}", "fronts", switch_call("DELETE"), 204, switch_gone,
              switch_kept),
    write_row("POST", f"{SYSTEM}/polls/{{poll_id}}/close", "polls", poll_call("close", "POST"), 200, poll_closed,
              poll_open),
    Row("GET", f"{SYSTEM}/polls/{{poll_id}}/votes", "polls:read", True, poll_call("votes", "GET", voted=True),
        check=one_vote_listed, as_other=is_forbidden, as_public=is_forbidden),
    write_row("POST", f"{SYSTEM}/polls/{{poll_id}}/votes", "polls", poll_call("votes", "POST"), 201, one_vote,
              no_vote),
    write_row("DELETE", f"{SYSTEM}/polls/{{poll_id}}/votes/{{member_id}}", "polls",
              poll_call("votes/{member_id}", "DELETE", voted=True), 204, no_vote, one_vote),
    system_read_row("thought", "thoughts", check=thought_or_nothing),
    write_row("PUT", f"{SYSTEM}/thought", "thoughts", set_thought_call, 200, thought_set, thought_not_set),
    system_read_row("thoughts", "thoughts"),
    Row("GET", "/api/v1/systems/{sid}/wrapped", "wrapped:read", True, read_call("wrapped"), check=wrapped_index,
        as_other=is_forbidden, as_public=is_forbidden),
    Row("GET", "/api/v1/systems/{sid}/wrapped/{year}", "wrapped:read", True, read_call(f"wrapped/{NOW.year}"),
        check=wrapped_recap("year"), as_other=is_forbidden, as_public=is_forbidden),
    Row("GET", "/api/v1/systems/{sid}/wrapped/{year}/{month}", "wrapped:read", True,
        read_call(f"wrapped/{NOW.year}/{NOW.month}"), check=wrapped_recap("month"), as_other=is_forbidden,
        as_public=is_forbidden),
    write_row("DELETE", f"{SYSTEM}/thoughts/{{thought_id}}", "thoughts", delete_thought_call, 204, thought_gone,
              thought_kept),
]


# --- a group's member list ---------------------------------------------------------------------------------------

GROUP_MEMBERS = "/api/v1/systems/{sid}/groups/{gid}/members"


def group_members_call(method: str) -> Callable[[World], Call]:
    """A new group of the owner's and a new member, already in the group when the call removes it."""

    def build(world: World) -> Call:
        member_id = new_member_id(world)
        body = {"name": unique("group")} | ({"member_ids": [member_id]} if method == "DELETE" else {})
        group = data(world.api.post(GROUPS.path(world), world.owner.session, json=body), 201)
        path = GROUPS.item_path(world, group)
        return Call(method, f"{path}/members", None if method == "GET" else {"member_ids": [member_id]},
                    keep={"group_path": path, "member_id": member_id, "before": group["member_ids"]})

    return build


def group_member_ids(world: World, call: Call) -> list[str]:
    return data(world.owner_get(call.keep["group_path"]))["member_ids"]


def group_list_unchanged(world: World, call: Call) -> None:
    assert group_member_ids(world, call) == call.keep["before"]


def group_members_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response) == []


def group_now_holds_member(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["member_ids"] == [call.keep["member_id"]] == group_member_ids(world, call)


def group_lost_member(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["member_ids"] == [] == group_member_ids(world, call)


def refused_and_group_unchanged(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 403, "FORBIDDEN")
    group_list_unchanged(world, call)


RESOURCE_ROWS = [
    *[row for resource in RESOURCES for row in resource.rows()],
    Row("GET", GROUP_MEMBERS, "groups:read", True, group_members_call("GET"), check=group_members_listed,
        as_other=is_forbidden, as_public=is_forbidden, also=("members:read",)),
    Row("POST", GROUP_MEMBERS, "groups:write", False, group_members_call("POST"), check=group_now_holds_member,
        as_other=refused_and_group_unchanged, unchanged=group_list_unchanged),
    Row("PUT", GROUP_MEMBERS, "groups:write", False, group_members_call("PUT"), check=group_now_holds_member,
        as_other=refused_and_group_unchanged, unchanged=group_list_unchanged),
    Row("DELETE", GROUP_MEMBERS, "groups:write", False, group_members_call("DELETE"), check=group_lost_member,
        as_other=refused_and_group_unchanged, unchanged=group_list_unchanged),
    *MORE_ROWS,
]

"""On /pk, what a caller may not see does not exist (docs/API.md §8 "Privacy").

* Front data: members hidden from a viewer are left out of fronters and switches, and a change point that only
  they make is no switch (the same history as tests/fronts/test_privacy.py, read through PluralKit's paths).
* Writes: another system's private member or group answers exactly like a ref that names nothing (PluralKit's
  403 30006-30009 would confirm that it exists); a public one keeps PluralKit's 403.
* Settings are the owner's only.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from pluralspace.pk.switches import switch_id

from ..fronts.common import BASE, OWNER_SWITCHES, PUBLIC_SWITCHES, at, front, hidden_history, member
from ..helpers import answer, data
from .helpers import Pk, ok, owner_token, pk_error

UNKNOWN_HID = "zzzzzz"


@pytest.fixture(scope="module")
def history(server):
    """HIDDEN_HISTORY (tests/fronts/common.py), and a stranger with a PluralKit token of every scope."""
    api = server.api()
    owner, stranger = api.register(), api.register()
    members, _ = hidden_history(api, owner.session)
    yield api, owner, owner_token(api, stranger), members
    api.close()


def _pk_switches(owner, members: dict, expected: list[tuple[int, list[str]]]) -> list[dict]:
    return [{"id": switch_id(uuid.UUID(owner.system_uuid), BASE + timedelta(minutes=minute)),
             "timestamp": at(minute), "members": [members[name]["id"] for name in names]}
            for minute, names in expected]


def test_fronters_and_switches_leave_hidden_members_out(history):
    api, owner, stranger, members = history
    v2, v1 = Pk(api), Pk(api, "v1")
    hidden = members["H"]
    public = _pk_switches(owner, members, PUBLIC_SWITCHES)
    assert ok(v2("GET", f"/systems/{owner.system_id}/switches", owner_token(api, owner))) == _pk_switches(
        owner, members, OWNER_SWITCHES)
    for token in (None, stranger):
        bodies = []

        def get(pk: Pk, path: str):
            response = pk("GET", path, token)
            bodies.append(response.text)
            return ok(response)

        assert get(v2, f"/systems/{owner.system_id}/switches") == public
        assert get(v2, f"/systems/{owner.system_id}/switches?limit=1&before={at(45)}") == public[1:2]
        fronters = get(v2, f"/systems/{owner.system_id}/fronters")
        assert (fronters["id"], fronters["timestamp"]) == (public[0]["id"], at(50))  # not H's end at 60
        assert [m["id"] for m in fronters["members"]] == [members["S"]["id"]]
        assert get(v2, f"/systems/{owner.system_id}/switches/{public[1]['id']}")["members"] == []
        assert [s["members"] for s in get(v1, f"/s/{owner.system_id}/switches")] == [s["members"] for s in public]
        v1_fronters = get(v1, f"/s/{owner.system_id}/fronters")
        assert v1_fronters["timestamp"] == at(50) and [m["id"] for m in v1_fronters["members"]] == [
            members["S"]["id"]]
        for text in (hidden["id"], hidden["uuid"], "Hidden Marker", "H marker"):
            assert not any(text in body for body in bodies), text
        # a change point only the hidden member makes is a switch that does not exist
        never = switch_id(uuid.UUID(owner.system_uuid), BASE + timedelta(minutes=7))
        unknown = answer(v2("GET", f"/systems/{owner.system_id}/switches/{never}", token), never)
        assert unknown[0] == 404
        for minute in (10, 20, 40, 45, 60):
            ref = switch_id(uuid.UUID(owner.system_uuid), BASE + timedelta(minutes=minute))
            assert answer(v2("GET", f"/systems/{owner.system_id}/switches/{ref}", token), ref) == unknown, minute


def test_fronters_time_without_a_public_history_is_the_latest_visible_switch(api):
    owner = api.register()
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"front": "public"}}))
    shown = member(api, owner.session, "Shown", privacy={"visibility": "public"})
    hidden = member(api, owner.session, "Hidden")
    front(api, owner.session, shown["id"], 0)
    front(api, owner.session, hidden["id"], 10, 20)
    v2 = Pk(api)
    pk_error(v2("GET", f"/systems/{owner.system_id}/switches"), 403, 30005)
    assert ok(v2("GET", f"/systems/{owner.system_id}/fronters"))["timestamp"] == at(0)
    assert ok(v2("GET", "/systems/@me/fronters", owner_token(api, owner)))["timestamp"] == at(20)
    only_hidden = api.register()
    data(api.patch("/api/v1/systems/@me", only_hidden.session, json={"privacy": {"front": "public"}}))
    front(api, only_hidden.session, member(api, only_hidden.session, "Hidden")["id"], 0)
    assert v2("GET", f"/systems/{only_hidden.system_id}/fronters").status_code == 204  # no switch it may see


@pytest.fixture
def two_systems(api):
    """An owner with a private and a public member and group, a switch, and a stranger with a system of its own."""
    v2 = Pk(api)
    owner, stranger = api.register(), api.register()
    token, theirs = owner_token(api, owner), owner_token(api, stranger)
    public = {"privacy": {"visibility": "public"}}
    made = {
        "hidden member": ok(v2("POST", "/members", token, json={"name": "Hidden"})),
        "public member": ok(v2("POST", "/members", token, json={"name": "Open", **public})),
        "hidden group": ok(v2("POST", "/groups", token, json={"name": "Hidden group"})),
        "public group": ok(v2("POST", "/groups", token, json={"name": "Open group", **public})),
        "own member": ok(v2("POST", "/members", theirs, json={"name": "Mine"})),
        "own group": ok(v2("POST", "/groups", theirs, json={"name": "Mine"})),
    }
    made["own switch"] = ok(v2("POST", "/systems/@me/switches", theirs, json={"members": [made["own member"]["id"]]}))
    return v2, token, theirs, made


def _snapshot(v2: Pk, token: str) -> list:
    return [ok(v2("GET", path, token)) for path in ("/systems/@me/members", "/systems/@me/groups?with_members=true",
                                                    "/systems/@me/switches")]


# (method, path, body) with {ref} where the other system's member or group goes; what a hidden one and an unknown
# one are answered, and what a public one is answered.
WRITES = [
    ("member", "PATCH", "/pk/v2/members/{ref}", {"pronouns": "x"}, (404, 20002), (403, 30006)),
    ("member", "DELETE", "/pk/v2/members/{ref}", None, (404, 20002), (403, 30006)),
    ("member", "POST", "/pk/v2/members/{ref}/groups/add", ["{own group}"], (404, 20002), (403, 30006)),
    ("group", "POST", "/pk/v2/members/{own member}/groups/add", ["{ref}"], (404, 20005), (403, 30009)),
    ("group", "POST", "/pk/v2/members/{own member}/groups/overwrite", ["{ref}"], (404, 20005), (403, 30009)),
    ("group", "PATCH", "/pk/v2/groups/{ref}", {"icon": None}, (404, 20004), (403, 30007)),
    ("group", "DELETE", "/pk/v2/groups/{ref}", None, (404, 20004), (403, 30007)),
    ("group", "POST", "/pk/v2/groups/{ref}/members/add", ["{own member}"], (404, 20004), (403, 30007)),
    ("member", "POST", "/pk/v2/groups/{own group}/members/add", ["{ref}"], (404, 20003), (403, 30008)),
    ("member", "POST", "/pk/v2/groups/{own group}/members/overwrite", ["{ref}"], (404, 20003), (403, 30008)),
    ("member", "POST", "/pk/v2/systems/@me/switches", {"members": ["{ref}"]}, (404, 20003), (403, 30008)),
    ("member", "PATCH", "/pk/v2/systems/@me/switches/{own switch}/members", ["{ref}"], (404, 20003), (403, 30008)),
    ("member", "PATCH", "/pk/v1/m/{ref}", {"pronouns": "x"}, (404, 0), (403, 0)),
    ("member", "DELETE", "/pk/v1/m/{ref}", None, (404, 0), (403, 0)),
    ("member", "POST", "/pk/v1/s/switches", {"members": ["{ref}"]}, (404, 0), (403, 0)),
]


def _fill(value, made: dict, ref: str):
    if isinstance(value, str):
        value = value.replace("{ref}", ref)
        for name in ("own group", "own member", "own switch"):
            value = value.replace("{" + name + "}", made[name]["id"])
        return value
    if isinstance(value, list):
        return [_fill(item, made, ref) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, made, ref) for key, item in value.items()}
    return value


@pytest.mark.parametrize("kind, method, path, body, hidden_status, public_status", WRITES,
                         ids=[f"{w[1]} {w[2]}" for w in WRITES])
def test_writes_answer_a_hidden_ref_like_an_unknown_one(two_systems, kind, method, path, body, hidden_status,
                                                        public_status):
    v2, token, theirs, made = two_systems
    before = _snapshot(v2, token)

    def send(ref: str):
        response = v2.api.client.request(method, _fill(path, made, ref), json=_fill(body, made, ref),
                                         headers={"Authorization": theirs})
        return response, answer(response, ref)

    hidden = made[f"hidden {kind}"]
    for hidden_ref, unknown_ref in ((hidden["id"], UNKNOWN_HID), (hidden["uuid"], str(uuid.uuid4()))):
        hidden_response, hidden_answer = send(hidden_ref)
        assert hidden_answer == send(unknown_ref)[1]
        assert hidden_response.status_code == hidden_status[0], hidden_response.text
        if hidden_status[1]:
            pk_error(hidden_response, *hidden_status)
    public_response, _ = send(made[f"public {kind}"]["id"])  # one the caller may see: PluralKit's 403 stays
    assert public_response.status_code == public_status[0], public_response.text
    if public_status[1]:
        pk_error(public_response, *public_status)
    assert _snapshot(v2, token) == before


def test_settings_are_the_owners_only(api):
    owner, stranger = api.register(), api.register()
    v2 = Pk(api)
    path = f"/systems/{owner.system_id}/settings"
    assert ok(v2("GET", path, owner_token(api, owner)))["timezone"] == "UTC"
    for token in (None, owner_token(api, stranger)):
        assert pk_error(v2("GET", path, token), 403, 0)["message"] == "403: Missing permissions to access this resource"
    pk_error(v2("GET", f"/systems/{UNKNOWN_HID}/settings"), 404, 20001)
    pk_error(v2("GET", "/systems/@me/settings"), 401, 0)

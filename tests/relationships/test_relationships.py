from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from ..helpers import Account, QueryCounter, at_once, data, error

TYPES = "/api/v1/systems/@me/relationship-types"
EDGES = "/api/v1/systems/@me/relationships"
MEMBERS = "/api/v1/systems/@me/members"


@dataclass
class World:
    """An owner with three members, a symmetric and an asymmetric type, and another account with its own."""

    owner: Account
    other: Account
    a: dict
    b: dict
    c: dict
    sibling: dict
    protector: dict
    foreign_member: dict
    foreign_type: dict


def member(api, token, name: str = "Sage", visibility: str = "private") -> dict:
    return data(api.post(MEMBERS, token, json={"name": name, "privacy": {"visibility": visibility}}), 201)


def kind(api, token, name: str, inverse: str | None = None) -> dict:
    return data(api.post(TYPES, token, json={"name": name, "inverse_name": inverse}), 201)


def relate(api, token, type_id: str, source: str, target: str, **extra) -> dict:
    return data(api.post(EDGES, token, json={"type_id": type_id, "source_member_id": source,
                                             "target_member_id": target, **extra}), 201)


def world(api) -> World:
    owner, other = api.register(), api.register()
    a, b, c = (member(api, owner.session, name) for name in ("Ash", "Birch", "Cedar"))
    return World(owner, other, a, b, c, kind(api, owner.session, "sibling"),
                 kind(api, owner.session, "protector", "protected by"), member(api, other.session),
                 kind(api, other.session, "friend"))


def listed(api, token, path: str = EDGES, **params) -> list[dict]:
    return data(api.get(path, token, params=params))


# --- relationship types ---------------------------------------------------------------------------------------

def test_type_crud(api):
    owner = api.register()
    created = data(api.post(TYPES, owner.session, json={"name": "protector", "inverse_name": "protected by",
                                                         "description": "Keeps watch."}), 201)
    assert set(created) == {"id", "name", "inverse_name", "description", "created_at", "updated_at"}
    assert (created["name"], created["inverse_name"], created["description"]) == \
        ("protector", "protected by", "Keeps watch.")
    assert created["created_at"].endswith("Z")
    symmetric = kind(api, owner.session, "sibling")
    assert symmetric["inverse_name"] is None and symmetric["description"] is None
    assert data(api.get(f"{TYPES}/{created['id']}", owner.session)) == created
    assert [t["id"] for t in listed(api, owner.session, TYPES)] == [created["id"], symmetric["id"]]
    assert api.delete(f"{TYPES}/{created['id']}", owner.session).status_code == 204
    error(api.get(f"{TYPES}/{created['id']}", owner.session), 404, "NOT_FOUND")
    error(api.delete(f"{TYPES}/{created['id']}", owner.session), 404, "NOT_FOUND")
    assert [t["id"] for t in listed(api, owner.session, TYPES)] == [symmetric["id"]]


def test_type_patch_changes_only_sent_keys_and_null_clears(api):
    owner = api.register()
    created = data(api.post(TYPES, owner.session, json={"name": "protector", "inverse_name": "protected by",
                                                         "description": "Keeps watch."}), 201)
    renamed = data(api.patch(f"{TYPES}/{created['id']}", owner.session, json={"name": "guardian"}))
    assert (renamed["name"], renamed["inverse_name"], renamed["description"]) == \
        ("guardian", "protected by", "Keeps watch.")
    assert renamed["updated_at"] >= created["updated_at"] and renamed["created_at"] == created["created_at"]
    cleared = data(api.patch(f"{TYPES}/{created['id']}", owner.session,
                             json={"inverse_name": None, "description": None}))
    assert (cleared["name"], cleared["inverse_name"], cleared["description"]) == ("guardian", None, None)
    assert data(api.get(f"{TYPES}/{created['id']}", owner.session)) == cleared


@pytest.mark.parametrize("body, key", [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "n" * 101}, "name"),
    ({"name": None}, "name"),
    ({"inverse_name": ""}, "inverse_name"),
    ({"inverse_name": "i" * 101}, "inverse_name"),
    ({"description": "d" * 1001}, "description"),
    ({"symmetric": True}, "symmetric"),
])
def test_type_rules_refuse_bad_input_and_change_nothing(api, body, key):
    owner = api.register()
    created = kind(api, owner.session, "protector", "protected by")
    failure = error(api.post(TYPES, owner.session, json={"name": "ok"} | body), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"]
    failure = error(api.patch(f"{TYPES}/{created['id']}", owner.session, json=body), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"]
    assert listed(api, owner.session, TYPES) == [created]


def test_type_needs_a_name(api):
    owner = api.register()
    failure = error(api.post(TYPES, owner.session, json={"inverse_name": "x"}), 422, "VALIDATION_FAILED")
    assert "name" in failure["details"]["fields"]


def test_a_type_with_reverse_pairs_cannot_become_symmetric(api):
    w = world(api)
    token, protector = w.owner.session, w.protector["id"]
    relate(api, token, protector, w.a["id"], w.b["id"])
    there_and_back = relate(api, token, protector, w.b["id"], w.a["id"])
    failure = error(api.patch(f"{TYPES}/{protector}", token, json={"inverse_name": None}), 409, "CONFLICT")
    assert failure["details"]["reason"] == "relationship_exists"
    assert data(api.get(f"{TYPES}/{protector}", token))["inverse_name"] == "protected by"
    api.delete(f"{EDGES}/{there_and_back['id']}", token)
    assert data(api.patch(f"{TYPES}/{protector}", token, json={"inverse_name": None}))["inverse_name"] is None


# --- relationships --------------------------------------------------------------------------------------------

def test_relationship_crud(api):
    w = world(api)
    token = w.owner.session
    # Members are accepted by short id (any case) or uuid; output always names them by short id.
    created = relate(api, token, w.protector["id"], w.a["id"].upper(), w.b["uuid"], note="Since 2019.")
    assert set(created) == {"id", "type_id", "source_member_id", "target_member_id", "note", "created_at"}
    assert (created["type_id"], created["source_member_id"], created["target_member_id"], created["note"]) == \
        (w.protector["id"], w.a["id"], w.b["id"], "Since 2019.")
    assert created["created_at"].endswith("Z")
    assert data(api.get(f"{EDGES}/{created['id']}", token)) == created
    assert listed(api, token) == [created]
    assert api.delete(f"{EDGES}/{created['id']}", token).status_code == 204
    error(api.get(f"{EDGES}/{created['id']}", token), 404, "NOT_FOUND")
    error(api.delete(f"{EDGES}/{created['id']}", token), 404, "NOT_FOUND")
    assert listed(api, token) == []


def test_relationship_patch_changes_only_sent_keys(api):
    w = world(api)
    token = w.owner.session
    created = relate(api, token, w.protector["id"], w.a["id"], w.b["id"], note="first")
    path = f"{EDGES}/{created['id']}"
    noted = data(api.patch(path, token, json={"note": "second"}))
    assert noted == created | {"note": "second"}
    assert data(api.patch(path, token, json={"note": None})) == created | {"note": None}
    moved = data(api.patch(path, token, json={"type_id": w.sibling["id"], "target_member_id": w.c["uuid"]}))
    assert moved == created | {"note": None, "type_id": w.sibling["id"], "target_member_id": w.c["id"]}
    swapped = data(api.patch(path, token, json={"source_member_id": w.c["id"], "target_member_id": w.a["id"]}))
    assert (swapped["source_member_id"], swapped["target_member_id"]) == (w.c["id"], w.a["id"])
    assert data(api.get(path, token)) == swapped


def _bodies(w: World) -> dict:
    return {"type_id": w.protector["id"], "source_member_id": w.a["id"], "target_member_id": w.b["id"]}


# Each case: how to spoil a valid body (given the world), and the key the 422 must name.
SPOILED = [
    (lambda w: {"type_id": "not-a-uuid"}, "type_id"),
    (lambda w: {"type_id": "00000000-0000-0000-0000-000000000000"}, "type_id"),
    (lambda w: {"type_id": w.foreign_type["id"]}, "type_id"),
    (lambda w: {"type_id": None}, "type_id"),
    (lambda w: {"source_member_id": "zzzzzz"}, "source_member_id"),
    (lambda w: {"source_member_id": "not an id"}, "source_member_id"),
    (lambda w: {"source_member_id": ""}, "source_member_id"),
    (lambda w: {"source_member_id": w.foreign_member["id"]}, "source_member_id"),
    (lambda w: {"source_member_id": w.foreign_member["uuid"]}, "source_member_id"),
    (lambda w: {"target_member_id": w.foreign_member["id"]}, "target_member_id"),
    (lambda w: {"target_member_id": w.foreign_member["uuid"]}, "target_member_id"),
    (lambda w: {"target_member_id": None}, "target_member_id"),
    (lambda w: {"target_member_id": w.a["uuid"]}, "target_member_id"),  # a member with itself
    (lambda w: {"note": "n" * 1001}, "note"),
    (lambda w: {"kind": "close"}, "kind"),
]


@pytest.mark.parametrize("spoil, key", SPOILED)
def test_relationship_rules_refuse_bad_input_and_change_nothing(api, spoil, key):
    w = world(api)
    token = w.owner.session
    existing = relate(api, token, w.sibling["id"], w.a["id"], w.c["id"], note="kept")
    failure = error(api.post(EDGES, token, json=_bodies(w) | spoil(w)), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    failure = error(api.patch(f"{EDGES}/{existing['id']}", token, json=spoil(w)), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert listed(api, token) == [existing]
    # Nothing was linked into the other system either.
    assert listed(api, w.other.session) == []


@pytest.mark.parametrize("missing", ["type_id", "source_member_id", "target_member_id"])
def test_relationship_needs_its_type_and_both_members(api, missing):
    w = world(api)
    body = _bodies(w)
    del body[missing]
    failure = error(api.post(EDGES, w.owner.session, json=body), 422, "VALIDATION_FAILED")
    assert missing in failure["details"]["fields"]


def test_patch_into_a_self_relationship_is_refused(api):
    w = world(api)
    created = relate(api, w.owner.session, w.protector["id"], w.a["id"], w.b["id"])
    failure = error(api.patch(f"{EDGES}/{created['id']}", w.owner.session, json={"source_member_id": w.b["id"]}),
                    422, "VALIDATION_FAILED")
    assert "target_member_id" in failure["details"]["fields"]
    assert data(api.get(f"{EDGES}/{created['id']}", w.owner.session)) == created


def test_duplicates_conflict_and_symmetric_reverse_is_a_duplicate(api):
    w = world(api)
    token = w.owner.session
    relate(api, token, w.sibling["id"], w.a["id"], w.b["id"])
    for source, target in ((w.a["uuid"], w.b["id"]), (w.b["id"], w.a["id"])):
        failure = error(api.post(EDGES, token, json={"type_id": w.sibling["id"], "source_member_id": source,
                                                     "target_member_id": target}), 409, "CONFLICT")
        assert failure["details"]["reason"] == "relationship_exists"
    relate(api, token, w.protector["id"], w.a["id"], w.b["id"])
    failure = error(api.post(EDGES, token, json={"type_id": w.protector["id"], "source_member_id": w.a["id"],
                                                 "target_member_id": w.b["id"]}), 409, "CONFLICT")
    assert failure["details"]["reason"] == "relationship_exists"
    # An asymmetric type reads differently each way: b protecting a is another edge.
    relate(api, token, w.protector["id"], w.b["id"], w.a["id"])
    assert len(listed(api, token)) == 3


def test_patch_into_a_duplicate_conflicts(api):
    w = world(api)
    token = w.owner.session
    relate(api, token, w.sibling["id"], w.a["id"], w.b["id"])
    other = relate(api, token, w.sibling["id"], w.a["id"], w.c["id"], note="kept")
    for change in ({"target_member_id": w.b["id"]}, {"source_member_id": w.b["id"], "target_member_id": w.a["id"]}):
        failure = error(api.patch(f"{EDGES}/{other['id']}", token, json=change), 409, "CONFLICT")
        assert failure["details"]["reason"] == "relationship_exists"
    assert data(api.get(f"{EDGES}/{other['id']}", token)) == other
    # An edge may be patched onto itself (nothing else has those ends).
    assert data(api.patch(f"{EDGES}/{other['id']}", token, json={"source_member_id": w.c["id"],
                                                               "target_member_id": w.a["id"]}))["note"] == "kept"


def test_member_filter_finds_both_directions(api):
    w = world(api)
    token = w.owner.session
    a_to_b = relate(api, token, w.protector["id"], w.a["id"], w.b["id"])
    c_to_a = relate(api, token, w.protector["id"], w.c["id"], w.a["id"])
    b_to_c = relate(api, token, w.sibling["id"], w.b["id"], w.c["id"])
    assert listed(api, token, member=w.a["id"]) == [a_to_b, c_to_a]
    assert listed(api, token, member=w.a["uuid"]) == [a_to_b, c_to_a]
    assert listed(api, token, member=w.c["id"]) == [c_to_a, b_to_c]
    error(api.get(EDGES, token, params={"member": "zzzzzz"}), 404, "NOT_FOUND")
    error(api.get(EDGES, token, params={"member": w.foreign_member["id"]}), 404, "NOT_FOUND")


def test_deleting_a_member_or_a_type_removes_its_relationships(api):
    w = world(api)
    token = w.owner.session
    relate(api, token, w.sibling["id"], w.a["id"], w.b["id"])
    relate(api, token, w.protector["id"], w.c["id"], w.a["id"])
    kept = relate(api, token, w.protector["id"], w.b["id"], w.c["id"])
    assert api.delete(f"{MEMBERS}/{w.a['id']}", token).status_code == 204
    assert listed(api, token) == [kept]
    assert api.delete(f"{TYPES}/{w.protector['id']}", token).status_code == 204
    assert listed(api, token) == []
    error(api.get(f"{EDGES}/{kept['id']}", token), 404, "NOT_FOUND")


def test_a_page_resolves_member_ids_in_the_same_query(server, api):
    w = world(api)
    token = w.owner.session
    members = [w.a, w.b, w.c] + [member(api, token, f"m{i}") for i in range(7)]
    for source, target in itertools.pairwise(members):
        relate(api, token, w.protector["id"], source["id"], target["id"])
    api.get(EDGES, token)  # warm the token look-up path
    with QueryCounter(server) as counted:
        assert len(listed(api, token, limit=50)) == 9
    assert counted.selects <= 3, counted.statements  # token, system, the page itself


# --- pagination -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [TYPES, EDGES])
def test_pages_of_three_over_seven_have_no_gaps_or_duplicates(api, path):
    w = world(api)
    token = w.owner.session
    if path == TYPES:
        expected = [w.sibling["id"], w.protector["id"]] + [kind(api, token, f"t{i}")["id"] for i in range(5)]
    else:
        targets = [w.b, w.c] + [member(api, token, f"m{i}") for i in range(5)]
        expected = [relate(api, token, w.sibling["id"], w.a["id"], t["id"])["id"] for t in targets]
    seen, cursor, sizes = [], None, []
    while True:
        body = api.get(path, token, params={"limit": 3} | ({"cursor": cursor} if cursor else {})).json()
        assert body["pagination"]["limit"] == 3
        assert body["pagination"]["has_more"] == (body["pagination"]["cursor"] is not None)
        sizes.append(len(body["data"]))
        seen += [item["id"] for item in body["data"]]
        cursor = body["pagination"]["cursor"]
        if cursor is None:
            break
    assert sizes == [3, 3, 1]
    assert seen == expected  # oldest first, each once


def test_member_filter_pages_too(api):
    w = world(api)
    token = w.owner.session
    others = [w.b, w.c] + [member(api, token, f"m{i}") for i in range(5)]
    ends = [(w.a["id"], o["id"]) if i % 2 else (o["id"], w.a["id"]) for i, o in enumerate(others)]
    expected = [relate(api, token, w.protector["id"], source, target)["id"] for source, target in ends]
    relate(api, token, w.sibling["id"], w.b["id"], w.c["id"])  # not a's
    first = api.get(EDGES, token, params={"member": w.a["id"], "limit": 3}).json()
    rest = listed(api, token, member=w.a["id"], limit=10, cursor=first["pagination"]["cursor"])
    assert [r["id"] for r in first["data"]] + [r["id"] for r in rest] == expected


# --- privacy, scopes and ownership ----------------------------------------------------------------------------

def _other_system(w: World, path: str) -> str:
    return path.replace("@me", w.owner.system_id)


def test_a_private_area_is_forbidden_to_everyone_but_the_owner(api):
    w = world(api)
    edge = relate(api, w.owner.session, w.sibling["id"], w.a["id"], w.b["id"])
    paths = [TYPES, f"{TYPES}/{w.sibling['id']}", EDGES, f"{EDGES}/{edge['id']}"]
    stranger = api.pat(w.other, "relationships:read")
    for path in paths:
        assert api.get(path, w.owner.session).status_code == 200
        for token in (None, stranger):
            error(api.get(_other_system(w, path), token), 403, "FORBIDDEN")


def test_a_public_area_hides_relationships_of_private_members(api):
    w = world(api)
    token = w.owner.session
    shown = member(api, token, "Dawn", visibility="public")
    also_shown = member(api, token, "Elm", visibility="public")
    public_edge = relate(api, token, w.sibling["id"], shown["id"], also_shown["id"])
    hidden = [relate(api, token, w.protector["id"], shown["id"], w.a["id"]),
              relate(api, token, w.protector["id"], w.a["id"], also_shown["id"]),
              relate(api, token, w.sibling["id"], w.a["id"], w.b["id"])]
    data(api.patch("/api/v1/systems/@me", token, json={"privacy": {"relationships": "public"}}))
    for viewer in (None, api.pat(w.other, "relationships:read"), w.other.session):
        assert listed(api, viewer, _other_system(w, EDGES)) == [public_edge]
        assert listed(api, viewer, _other_system(w, EDGES), member=shown["id"]) == [public_edge]
        assert data(api.get(_other_system(w, f"{EDGES}/{public_edge['id']}"), viewer)) == public_edge
        for edge in hidden:
            error(api.get(_other_system(w, f"{EDGES}/{edge['id']}"), viewer), 404, "NOT_FOUND")
        error(api.get(_other_system(w, EDGES), viewer, params={"member": w.a["id"]}), 404, "NOT_FOUND")
        assert [t["id"] for t in listed(api, viewer, _other_system(w, TYPES))] == \
            [w.sibling["id"], w.protector["id"]]
    assert len(listed(api, token)) == 4  # the owner still sees everything


def test_scopes(api):
    w = world(api)
    edge = relate(api, w.owner.session, w.sibling["id"], w.a["id"], w.b["id"])
    wrong = api.pat(w.owner, "members:read")
    for path in (TYPES, EDGES, f"{EDGES}/{edge['id']}"):
        failure = error(api.get(path, wrong), 403, "INSUFFICIENT_SCOPE")
        assert failure["details"]["required"] == ["relationships:read"]
    read_only = api.pat(w.owner, "relationships:read")
    assert listed(api, read_only) == [edge]
    writes = [("POST", TYPES, {"name": "x"}), ("PATCH", f"{TYPES}/{w.sibling['id']}", {"name": "x"}),
              ("DELETE", f"{TYPES}/{w.sibling['id']}", None), ("POST", EDGES, _bodies(w)),
              ("PATCH", f"{EDGES}/{edge['id']}", {"note": "x"}), ("DELETE", f"{EDGES}/{edge['id']}", None)]
    for method, path, body in writes:
        failure = error(api.request(method, path, read_only, json=body), 403, "INSUFFICIENT_SCOPE")
        assert failure["details"]["required"] == ["relationships:write"]
        error(api.request(method, _other_system(w, path), None, json=body), 401, "UNAUTHENTICATED")
    writer = api.pat(w.owner, "relationships:write")
    assert data(api.patch(f"{EDGES}/{edge['id']}", writer, json={"note": "x"}))["note"] == "x"
    assert listed(api, w.owner.session) == [edge | {"note": "x"}]


def test_writes_to_another_system_are_forbidden(api):
    w = world(api)
    edge = relate(api, w.owner.session, w.sibling["id"], w.a["id"], w.b["id"])
    data(api.patch("/api/v1/systems/@me", w.owner.session, json={"privacy": {"relationships": "public"}}))
    writer = api.pat(w.other, "relationships:write")
    writes = [("POST", TYPES, {"name": "x"}), ("PATCH", f"{TYPES}/{w.sibling['id']}", {"name": "x"}),
              ("DELETE", f"{TYPES}/{w.sibling['id']}", None), ("POST", EDGES, _bodies(w)),
              ("PATCH", f"{EDGES}/{edge['id']}", {"note": "x"}), ("DELETE", f"{EDGES}/{edge['id']}", None)]
    for method, path, body in writes:
        error(api.request(method, _other_system(w, path), writer, json=body), 403, "FORBIDDEN")
    # The other account's own system knows neither the owner's type nor the owner's relationship.
    error(api.patch(f"{TYPES}/{w.sibling['id']}", writer, json={"name": "x"}), 404, "NOT_FOUND")
    error(api.delete(f"{EDGES}/{edge['id']}", writer), 404, "NOT_FOUND")
    assert listed(api, w.owner.session) == [edge]
    assert data(api.get(f"{TYPES}/{w.sibling['id']}", w.owner.session)) == w.sibling


def test_concurrent_symmetric_creates_keep_one_edge(server, api):
    account = api.register()
    kind = data(api.post("/api/v1/systems/@me/relationship-types", account.session, json={"name": "sibling"}), 201)
    first = data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "A"}), 201)
    second = data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "B"}), 201)
    statuses: list[int] = []

    def link(source: str, target: str) -> None:
        client = server.api()
        try:
            statuses.append(client.post("/api/v1/systems/@me/relationships", account.session, json={
                "type_id": kind["id"], "source_member_id": source, "target_member_id": target}).status_code)
        finally:
            client.close()

    pairs = [(first["id"], second["id"]), (second["id"], first["id"])] * 4
    at_once(*[lambda pair=pair: link(*pair) for pair in pairs])
    assert sorted(statuses) == [201] + [409] * 7
    assert len(data(api.get("/api/v1/systems/@me/relationships", account.session))) == 1

from __future__ import annotations

import pytest

from ..helpers import data, error

GROUPS = "/api/v1/systems/@me/groups"
MEMBERS = "/api/v1/systems/@me/members"
PUBLIC = dict.fromkeys(("visibility", "name", "description", "icon", "list"), "public")


def make_group(api, token, **spec) -> dict:
    return data(api.post(GROUPS, token, json={"name": "Littles"} | spec), 201)


def make_member(api, token, name="Ash", **spec) -> dict:
    return data(api.post(MEMBERS, token, json={"name": name} | spec), 201)


def public_groups_of(api, account) -> str:
    return f"/api/v1/systems/{account.system_id}/groups"


def make_public(api, account, *areas: str) -> None:
    data(api.patch("/api/v1/systems/@me", account.session, json={"privacy": dict.fromkeys(areas, "public")}))


def listed(api, path, token=None) -> list[str]:
    return [item["id"] for item in data(api.get(path, token, params={"limit": 200}))]


def test_group_crud(api):
    account = api.register()
    parent = make_group(api, account.session, name="Parent")
    created = make_group(api, account.session, name="Littles", display_name="The littles",
                         description="Small ones.", icon="https://example.org/i.png", color="A1B2C3",
                         parent_id=parent["uuid"], privacy={"visibility": "public"})
    assert len(created["id"]) == 6 and created["parent_id"] == parent["id"] and created["color"] == "#a1b2c3"
    assert created["member_ids"] == [] and created["created_at"].endswith("Z")
    assert created["privacy"] == dict.fromkeys(PUBLIC, "private") | {"visibility": "public"}
    assert parent["privacy"] == dict.fromkeys(PUBLIC, "private") and parent["parent_id"] is None
    assert parent["display_name"] is parent["description"] is parent["icon"] is parent["color"] is None
    for ident in (created["id"], created["uuid"], created["id"].upper()):
        assert data(api.get(f"{GROUPS}/{ident}", account.session)) == created
    assert listed(api, GROUPS, account.session) == [parent["id"], created["id"]]
    assert api.delete(f"{GROUPS}/{created['id']}", account.session).status_code == 204
    error(api.get(f"{GROUPS}/{created['id']}", account.session), 404, "NOT_FOUND")
    error(api.delete(f"{GROUPS}/{created['id']}", account.session), 404, "NOT_FOUND")
    assert listed(api, GROUPS, account.session) == [parent["id"]]


def test_patch_changes_only_sent_keys_and_null_clears(api):
    account = api.register()
    parent = make_group(api, account.session, name="Parent")
    group = make_group(api, account.session, display_name="L", description="d", icon="https://example.org/i.png",
                       color="#000000", parent_id=parent["id"], privacy={"list": "public"})
    url = f"{GROUPS}/{group['id']}"
    renamed = data(api.patch(url, account.session, json={"name": "Bigs", "privacy": {"name": "public"}}))
    assert renamed == group | {"name": "Bigs", "privacy": group["privacy"] | {"name": "public"}}
    cleared = data(api.patch(url, account.session, json={"display_name": None, "description": None, "icon": None,
                                                         "color": None, "parent_id": None}))
    assert cleared == renamed | dict.fromkeys(("display_name", "description", "icon", "color", "parent_id"))
    assert data(api.patch(url, account.session, json={}))["privacy"]["list"] == "public"
    assert data(api.get(url, account.session)) == cleared


CREATE_REFUSALS = [
    ({"name": None}, "name"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "n" * 101}, "name"),
    ({"display_name": "d" * 101}, "display_name"),
    ({"description": "d" * 10_001}, "description"),
    ({"icon": "http://example.org/i.png"}, "icon"),
    ({"icon": "javascript:alert(1)"}, "icon"),
    ({"icon": "https://example.org/" + "i" * 250}, "icon"),
    ({"color": "red"}, "color"),
    ({"color": "#12345"}, "color"),
    ({"color": 123456}, "color"),
    ({"parent_id": "zzzzzz"}, "parent_id"),
    ({"parent_id": "00000000-0000-0000-0000-000000000000"}, "parent_id"),
    ({"parent_id": "not an id"}, "parent_id"),
    ({"parent_id": ""}, "parent_id"),
    ({"privacy": {"visibility": "friends"}}, "privacy.visibility"),
    ({"privacy": {"list": None}}, "privacy.list"),
    ({"privacy": {"avatar": "public"}}, "privacy.avatar"),
    ({"privacy": None}, "privacy"),
    ({"member_ids": "abcdef"}, "member_ids"),
    ({"member_ids": None}, "member_ids"),
    ({"member_ids": ["zzzzzz"]}, "member_ids.0"),
    ({"member_ids": ["not an id"]}, "member_ids.0"),
    ({"id": "abcdef"}, "id"),
    ({"colour": "#000000"}, "colour"),
]


@pytest.mark.parametrize("spec, key", CREATE_REFUSALS)
def test_create_refuses_bad_input_and_creates_nothing(api, spec, key):
    account = api.register()
    failure = error(api.post(GROUPS, account.session, json={"name": "Littles"} | spec), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert listed(api, GROUPS, account.session) == []


def test_create_needs_a_name(api):
    account = api.register()
    failure = error(api.post(GROUPS, account.session, json={}), 422, "VALIDATION_FAILED")
    assert "name" in failure["details"]["fields"]


@pytest.mark.parametrize("spec, key", [
    *[(spec, key) for spec, key in CREATE_REFUSALS if key not in ("member_ids", "member_ids.0")],
    ({"member_ids": []}, "member_ids"),
])
def test_patch_refuses_bad_input_and_changes_nothing(api, spec, key):
    account = api.register()
    group = make_group(api, account.session, color="#102030", privacy={"visibility": "public"})
    failure = error(api.patch(f"{GROUPS}/{group['id']}", account.session, json=spec), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert data(api.get(f"{GROUPS}/{group['id']}", account.session)) == group


def test_nesting_refuses_cycles(api):
    account = api.register()
    top = make_group(api, account.session, name="Top")
    child = make_group(api, account.session, name="Child", parent_id=top["id"])
    grandchild = make_group(api, account.session, name="Grandchild", parent_id=child["uuid"])
    before = listed(api, GROUPS, account.session)
    for target in (top, child, grandchild):
        failure = error(api.patch(f"{GROUPS}/{top['id']}", account.session, json={"parent_id": target["id"]}),
                        422, "VALIDATION_FAILED")
        assert "parent_id" in failure["details"]["fields"]
    error(api.patch(f"{GROUPS}/{child['id']}", account.session, json={"parent_id": grandchild["uuid"]}),
          422, "VALIDATION_FAILED")
    assert data(api.get(f"{GROUPS}/{top['id']}", account.session))["parent_id"] is None
    assert data(api.get(f"{GROUPS}/{child['id']}", account.session))["parent_id"] == top["id"]
    assert listed(api, GROUPS, account.session) == before
    # Moving within the tree without a cycle is fine.
    moved = data(api.patch(f"{GROUPS}/{grandchild['id']}", account.session, json={"parent_id": top["id"]}))
    assert moved["parent_id"] == top["id"]


def test_nesting_depth_is_bounded(api):
    account = api.register()
    parent = None
    for level in range(101):  # the last one has 100 ancestors, the most allowed
        parent = make_group(api, account.session, name=f"L{level}", parent_id=parent and parent["id"])
    failure = error(api.post(GROUPS, account.session, json={"name": "Too deep", "parent_id": parent["id"]}),
                    422, "VALIDATION_FAILED")
    assert "deep" in failure["details"]["fields"]["parent_id"]
    assert len(listed(api, GROUPS, account.session)) == 101


def test_parent_must_be_in_the_same_system(api):
    account, other = api.register(), api.register()
    theirs = make_group(api, other.session, privacy={"visibility": "public"})
    mine = make_group(api, account.session)
    for ident in (theirs["id"], theirs["uuid"]):
        failure = error(api.patch(f"{GROUPS}/{mine['id']}", account.session, json={"parent_id": ident}),
                        422, "VALIDATION_FAILED")
        assert "parent_id" in failure["details"]["fields"]
        error(api.post(GROUPS, account.session, json={"name": "x", "parent_id": ident}), 422, "VALIDATION_FAILED")
    assert data(api.get(f"{GROUPS}/{mine['id']}", account.session))["parent_id"] is None
    assert listed(api, GROUPS, account.session) == [mine["id"]]


def test_deleting_a_parent_moves_its_children_to_the_top_level(api):
    account = api.register()
    parent = make_group(api, account.session, name="Parent")
    children = [make_group(api, account.session, name=f"C{i}", parent_id=parent["id"]) for i in range(2)]
    grandchild = make_group(api, account.session, name="G", parent_id=children[0]["id"])
    assert api.delete(f"{GROUPS}/{parent['id']}", account.session).status_code == 204
    for child in children:
        assert data(api.get(f"{GROUPS}/{child['id']}", account.session))["parent_id"] is None
    assert data(api.get(f"{GROUPS}/{grandchild['id']}", account.session))["parent_id"] == children[0]["id"]


def test_group_members_add_replace_remove(api):
    account = api.register()
    ash, bo, cy = (make_member(api, account.session, name) for name in ("Ash", "Bo", "Cy"))
    group = make_group(api, account.session, member_ids=[ash["id"], ash["uuid"]])
    assert group["member_ids"] == [ash["id"]]
    url = f"{GROUPS}/{group['id']}/members"
    added = data(api.post(url, account.session, json={"member_ids": [cy["uuid"], ash["id"], cy["id"]]}))
    assert added["member_ids"] == [ash["id"], cy["id"]] and added["id"] == group["id"]
    replaced = data(api.put(url, account.session, json={"member_ids": [bo["id"], cy["id"]]}))
    assert replaced["member_ids"] == [bo["id"], cy["id"]]
    removed = data(api.delete(url, account.session, json={"member_ids": [cy["uuid"], ash["id"]]}))
    assert removed["member_ids"] == [bo["id"]]
    assert [m["id"] for m in data(api.get(url, account.session))] == [bo["id"]]
    assert data(api.get(url, account.session))[0]["name"] == "Bo"
    assert data(api.put(url, account.session, json={"member_ids": []}))["member_ids"] == []
    assert data(api.get(f"{GROUPS}/{group['id']}", account.session))["member_ids"] == []


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_member_of_another_system_is_refused_and_nothing_changes(api, method):
    account, other = api.register(), api.register()
    mine = make_member(api, account.session)
    theirs = make_member(api, other.session, privacy={"visibility": "public"})
    group = make_group(api, account.session, member_ids=[mine["id"]])
    url = f"{GROUPS}/{group['id']}/members"
    for ident in (theirs["id"], theirs["uuid"]):
        failure = error(getattr(api, method)(url, account.session, json={"member_ids": [mine["id"], ident]}),
                        422, "VALIDATION_FAILED")
        assert failure["details"]["fields"] == {"member_ids.1": f"{ident!r} is not in this system"}
    assert data(api.get(f"{GROUPS}/{group['id']}", account.session))["member_ids"] == [mine["id"]]


def test_members_body_is_validated(api):
    account = api.register()
    group = make_group(api, account.session)
    url = f"{GROUPS}/{group['id']}/members"
    for body, key in (({}, "member_ids"), ({"member_ids": None}, "member_ids"), ({"member_ids": [1]}, "member_ids.0"),
                      ({"member_ids": [], "extra": 1}, "extra")):
        failure = error(api.post(url, account.session, json=body), 422, "VALIDATION_FAILED")
        assert key in failure["details"]["fields"], failure
    error(api.post(f"{GROUPS}/zzzzzz/members", account.session, json={"member_ids": []}), 404, "NOT_FOUND")


def test_a_member_in_many_groups_and_deleting_it(api):
    account = api.register()
    ash, bo = make_member(api, account.session, "Ash"), make_member(api, account.session, "Bo")
    groups = [make_group(api, account.session, name=f"G{i}", member_ids=[ash["id"], bo["id"]]) for i in range(3)]
    member = data(api.get(f"{MEMBERS}/{ash['id']}", account.session, params={"include": "groups"}))
    assert member["group_ids"] == [g["id"] for g in groups]
    assert api.delete(f"{MEMBERS}/{ash['id']}", account.session).status_code == 204
    for group in data(api.get(GROUPS, account.session)):
        assert group["member_ids"] == [bo["id"]]
    # Deleting a group leaves its members alone.
    assert api.delete(f"{GROUPS}/{groups[0]['id']}", account.session).status_code == 204
    assert data(api.get(f"{MEMBERS}/{bo['id']}", account.session))["name"] == "Bo"


def test_privacy_for_public_viewers(api):
    owner, stranger = api.register(), api.register()
    shown = make_member(api, owner.session, "Shown", privacy={"visibility": "public"})
    hidden_member = make_member(api, owner.session, "Hidden")
    hidden = make_group(api, owner.session, name="Hidden")
    open_group = make_group(api, owner.session, name="Open", description="d", icon="https://example.org/i.png",
                            parent_id=hidden["id"], member_ids=[shown["id"], hidden_member["id"]],
                            privacy=PUBLIC)
    closed = make_group(api, owner.session, name="Closed", description="d", icon="https://example.org/i.png",
                        parent_id=open_group["id"], member_ids=[shown["id"]], privacy={"visibility": "public"})
    url = public_groups_of(api, owner)
    viewers = (None, stranger.session, api.pat(stranger, "groups:read", "members:read"))
    for token in viewers:
        error(api.get(url, token), 403, "FORBIDDEN")
        error(api.get(f"{url}/{open_group['id']}/members", token), 403, "FORBIDDEN")
    make_public(api, owner, "group_list")
    for token in viewers:
        assert listed(api, url, token) == [open_group["id"], closed["id"]]
        error(api.get(f"{url}/{hidden['id']}", token), 404, "NOT_FOUND")
        error(api.get(f"{url}/{hidden['uuid']}/members", token), 404, "NOT_FOUND")
        seen = data(api.get(f"{url}/{open_group['id']}", token))
        assert seen["privacy"] is None and seen["description"] == "d" and seen["name"] == "Open"
        assert seen["member_ids"] == [shown["id"]] and seen["parent_id"] is None  # the parent is private
        private_fields = data(api.get(f"{url}/{closed['id']}", token))
        assert private_fields["name"] is private_fields["description"] is private_fields["icon"] is None
        assert private_fields["member_ids"] is None and private_fields["parent_id"] == open_group["id"]
        assert [m["id"] for m in data(api.get(f"{url}/{open_group['id']}/members", token))] == [shown["id"]]
        error(api.get(f"{url}/{closed['id']}/members", token), 403, "FORBIDDEN")
    # The owner sees everything, whatever the privacy settings.
    assert listed(api, GROUPS, owner.session) == [hidden["id"], open_group["id"], closed["id"]]
    full = data(api.get(f"{GROUPS}/{closed['id']}", owner.session))
    assert full["name"] == "Closed" and full["member_ids"] == [shown["id"]] and full["privacy"]["list"] == "private"
    assert len(data(api.get(f"{GROUPS}/{open_group['id']}/members", owner.session))) == 2


def test_scopes_and_ownership(api):
    owner, other = api.register(), api.register()
    group = make_group(api, owner.session)
    url = f"{GROUPS}/{group['id']}"
    failure = error(api.get(GROUPS, api.pat(owner, "members:read")), 403, "INSUFFICIENT_SCOPE")
    assert failure["details"]["required"] == ["groups:read"]
    reader = api.pat(owner, "groups:read")
    assert listed(api, GROUPS, reader) == [group["id"]]
    assert data(api.get(url, reader))["privacy"] is not None  # the owner's own token sees private groups
    # The member list is member profiles: members:read as well.
    assert error(api.get(f"{url}/members", reader), 403, "INSUFFICIENT_SCOPE")["details"]["required"] == [
        "members:read"]
    assert data(api.get(f"{url}/members", api.pat(owner, "groups:read", "members:read"))) == []
    writes = [("post", GROUPS, {"name": "x"}), ("patch", url, {"name": "x"}), ("delete", url, None),
              ("post", f"{url}/members", {"member_ids": []}), ("put", f"{url}/members", {"member_ids": []}),
              ("delete", f"{url}/members", {"member_ids": []})]
    theirs = f"/api/v1/systems/{owner.system_id}/groups"
    for method, path, body in writes:
        error(getattr(api, method)(path, reader, json=body), 403, "INSUFFICIENT_SCOPE")
        error(getattr(api, method)(path, json=body), 401, "UNAUTHENTICATED")
        error(getattr(api, method)(path.replace(GROUPS, theirs), other.session, json=body), 403, "FORBIDDEN")
    writer = api.pat(owner, "groups:write")
    assert data(api.patch(url, writer, json={"name": "Renamed"}))["name"] == "Renamed"
    assert listed(api, GROUPS, owner.session) == [group["id"]]


def test_pagination_has_no_gaps_or_duplicates(api):
    account = api.register()
    made = [make_group(api, account.session, name=f"G{i}")["id"] for i in range(7)]
    seen, cursor, sizes = [], None, []
    while True:
        response = api.get(GROUPS, account.session, params={"limit": 3} | ({"cursor": cursor} if cursor else {}))
        body = response.json()
        sizes.append(len(data(response)))
        seen += [g["id"] for g in body["data"]]
        cursor = body["pagination"]["cursor"]
        assert body["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == made and sizes == [3, 3, 1]
    error(api.get(GROUPS, account.session, params={"cursor": "garbage"}), 422, "VALIDATION_FAILED")


def test_group_members_are_paginated(api):
    account = api.register()
    members = [make_member(api, account.session, f"M{i}")["id"] for i in range(5)]
    group = make_group(api, account.session, member_ids=members[::-1])
    url = f"{GROUPS}/{group['id']}/members"
    first = api.get(url, account.session, params={"limit": 3}).json()
    rest = data(api.get(url, account.session, params={"limit": 3, "cursor": first["pagination"]["cursor"]}))
    assert [m["id"] for m in first["data"] + rest] == members

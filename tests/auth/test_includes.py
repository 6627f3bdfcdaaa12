"""`?include=` on every endpoint that takes it: each expansion needs its own area's read scope, and what other
viewers get through an expansion follows that area's privacy exactly as the area's own endpoints do."""

from __future__ import annotations

import secrets

import pytest

from ..helpers import data, error

ME = "/api/v1/systems/@me"
MEMBER_INCLUDES = {"fields": "fields:read", "groups": "groups:read", "relationships": "relationships:read"}


def a_member_with_everything(api, owner, *, public: bool = False) -> dict:
    """A member with a field value, a group and a relationship (with a note); `public` makes the member, the group
    (and its member list) and the field visible to other viewers."""
    token = owner.session
    shown = {"visibility": "public"} if public else {}
    field = data(api.post(f"{ME}/fields", token, json={"name": "Mood", "type": "text",
                                                       **({"privacy": "public"} if public else {})}), 201)
    member = data(api.post(f"{ME}/members", token, json={"name": "Ash", "fields": {field["id"]: "calm"},
                                                         "privacy": shown}), 201)
    other = data(api.post(f"{ME}/members", token, json={"name": "Birch", "privacy": shown}), 201)
    group = data(api.post(f"{ME}/groups", token, json={
        "name": "Trees", "member_ids": [member["id"]], "privacy": {"visibility": "public", "list": "public"}
        if public else {}}), 201)
    kind = data(api.post(f"{ME}/relationship-types", token, json={"name": "sibling"}), 201)
    relationship = data(api.post(f"{ME}/relationships", token, json={
        "type_id": kind["id"], "source_member_id": member["id"], "target_member_id": other["id"],
        "note": "a private note"}), 201)
    return {"member": member, "field": field, "group": group, "relationship": relationship}


def member_paths(system_id: str, member: dict) -> list[str]:
    base = f"/api/v1/systems/{system_id}/members"
    return [base, f"{base}/{member['id']}"]


@pytest.mark.parametrize("include", ["fields", "groups", "relationships", "fields,groups,relationships"])
def test_each_member_expansion_needs_its_own_read_scope(api, include):
    owner, stranger = api.register(), api.register()
    made = a_member_with_everything(api, owner)
    wanted = include.split(",")
    needed = sorted(MEMBER_INCLUDES[name] for name in wanted)
    for token, system_id in ((api.pat(owner, "members:read"), "@me"),
                             (api.pat(stranger, "members:read"), owner.system_id)):
        for path in member_paths(system_id, made["member"]):
            refused = error(api.get(path, token, params={"include": include}), 403, "INSUFFICIENT_SCOPE")
            assert refused["details"]["required"] == needed
            assert "calm" not in str(refused) and "a private note" not in str(refused)
    member_path = member_paths("@me", made["member"])[1]
    # Holding some of the scopes is not enough: the missing ones are named.
    if len(wanted) > 1:
        partial = api.pat(owner, "members:read", "fields:read")
        refused = error(api.get(member_path, partial, params={"include": include}), 403, "INSUFFICIENT_SCOPE")
        assert refused["details"]["required"] == ["groups:read", "relationships:read"]
    allowed = api.pat(owner, "members:read", *needed)
    seen = data(api.get(member_path, allowed, params={"include": include}))
    expected = {"fields": {made["field"]["id"]: "calm"}, "group_ids": [made["group"]["id"]],
                "relationships": [made["relationship"]]}
    for name, key in (("fields", "fields"), ("groups", "group_ids"), ("relationships", "relationships")):
        assert seen[key] == (expected[key] if name in wanted else None)
    # A write scope implies the read scope; no include needs nothing more than the endpoint's own scope.
    data(api.get(member_path, api.pat(owner, "members:read", *[s.replace(":read", ":write") for s in needed]),
                 params={"include": include}))
    assert data(api.get(member_path, api.pat(owner, "members:read")))["fields"] is None


def test_front_member_expansion_needs_members_read(api):
    owner, stranger = api.register(), api.register()
    member = data(api.post(f"{ME}/members", owner.session, json={"name": "Ash",
                                                                 "privacy": {"visibility": "public"}}), 201)
    front = data(api.post(f"{ME}/fronts", owner.session, json={"member_id": member["id"]}), 201)
    data(api.patch(ME, owner.session, json={"privacy": {"front": "public", "front_history": "public"}}))
    for token, system_id in ((api.pat(owner, "fronts:read"), "@me"),
                             (api.pat(stranger, "fronts:read"), owner.system_id)):
        base = f"/api/v1/systems/{system_id}/fronts"
        for path in (base, f"{base}/{front['id']}"):
            assert api.get(path, token).status_code == 200
            refused = error(api.get(path, token, params={"include": "member"}), 403, "INSUFFICIENT_SCOPE")
            assert refused["details"]["required"] == ["members:read"]
    both = api.pat(owner, "fronts:read", "members:read")
    assert data(api.get(f"{ME}/fronts/{front['id']}", both, params={"include": "member"}))["member"]["id"] == \
        member["id"]
    unknown = error(api.get(f"{ME}/fronts", both, params={"include": "members"}), 422, "VALIDATION_FAILED")
    assert "include" in unknown["details"]["fields"]


def test_expansions_follow_each_areas_privacy_for_other_viewers(api):
    owner, stranger = api.register(), api.register()
    made = a_member_with_everything(api, owner, public=True)
    data(api.patch(ME, owner.session, json={"privacy": {"member_list": "public"}}))
    everything = {"include": "fields,groups,relationships"}
    viewers = (None, stranger.session, api.pat(stranger, "members:read", *MEMBER_INCLUDES.values()))

    def seen_by(token) -> list[dict]:
        return [data(api.get(path, token, params=everything)) for path in member_paths(owner.system_id,
                                                                                        made["member"])]

    # fields, group_list and relationships are private (the default): nothing shows through an expansion.
    for token in viewers:
        listed, one = seen_by(token)
        mine = next(m for m in listed if m["id"] == made["member"]["id"])
        for shown in (mine, one):
            assert (shown["fields"], shown["group_ids"], shown["relationships"]) == ({}, [], [])
    data(api.patch(ME, owner.session, json={"privacy": {"fields": "public", "group_list": "public",
                                                        "relationships": "public"}}))
    for token in viewers:
        one = seen_by(token)[1]
        assert one["fields"] == {made["field"]["id"]: "calm"}
        assert one["group_ids"] == [made["group"]["id"]]
        assert [r["id"] for r in one["relationships"]] == [made["relationship"]["id"]]
    # A group whose member list is private does not reveal its membership through the member either;
    # a private field's value stays hidden.
    data(api.patch(f"{ME}/groups/{made['group']['id']}", owner.session, json={"privacy": {"list": "private"}}))
    data(api.patch(f"{ME}/fields/{made['field']['id']}", owner.session, json={"privacy": "private"}))
    for token in viewers:
        one = seen_by(token)[1]
        assert one["group_ids"] == [] and one["fields"] == {}
    owners = data(api.get(member_paths("@me", made["member"])[1], owner.session, params=everything))
    assert owners["group_ids"] == [made["group"]["id"]] and owners["fields"] == {made["field"]["id"]: "calm"}


def test_the_export_expands_members_only_as_far_as_the_token_reads(api):
    owner = api.register()
    made = a_member_with_everything(api, owner)
    exported = api.get(f"{ME}/export", api.pat(owner, "system:read", "members:read")).json()
    assert "calm" not in str(exported) and made["group"]["id"] not in str(exported)
    (member,) = [m for m in exported["members"] if m["id"] == made["member"]["id"]]
    assert (member["fields"], member["group_ids"]) == (None, None)
    exported = api.get(f"{ME}/export", api.pat(owner, "system:read", "members:read", "fields:read",
                                               "groups:read")).json()
    (member,) = [m for m in exported["members"] if m["id"] == made["member"]["id"]]
    assert member["fields"] == {made["field"]["id"]: "calm"} and member["group_ids"] == [made["group"]["id"]]


def test_members_inside_other_areas_answers_need_members_read(api, server):
    """Who fronts now carries each fronter's member, a PluralKit message its member: filled only for tokens holding
    members:read (null otherwise). Answers made of members (PluralKit's fronters and a switch with its members)
    need members:read besides fronts:read."""
    from ..pk.helpers import Pk, pk_error, record_message

    message_id = str(10 ** 18 + secrets.randbelow(10 ** 17))
    owner = api.register()
    member = data(api.post(f"{ME}/members", owner.session, json={"name": "Ash", "description": "only mine"}), 201)
    data(api.put(f"{ME}/fronters", owner.session, json={"member_ids": [member["id"]]}))
    record_message(server, owner, message_id, sender="471388251102380001", member_uuid=member["uuid"])
    fronts_only = api.pat(owner, "system:read", "fronts:read")
    (front,) = data(api.get(f"{ME}/fronters", fronts_only))
    assert front["member_id"] == member["id"] and front["member"] is None
    (front,) = data(api.get(f"{ME}/fronters", api.pat(owner, "fronts:read", "members:read")))
    assert front["member"]["description"] == "only mine"
    pk = Pk(api)
    message = pk("GET", f"/messages/{message_id}", fronts_only).json()
    assert message["member"] is None and "only mine" not in str(message)
    switch = pk("GET", "/systems/@me/switches?limit=1", fronts_only).json()[0]
    for path in ("/systems/@me/fronters", f"/systems/@me/switches/{switch['id']}"):
        assert "members:read" in pk_error(pk("GET", path, fronts_only), 403, 0)["message"]
    assert pk("GET", f"/messages/{message_id}", api.pat(owner, "system:read", "members:read")
              ).json()["member"]["id"] == member["id"]

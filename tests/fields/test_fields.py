from __future__ import annotations

import pytest

from ..helpers import data, error

FIELDS = "/api/v1/systems/@me/fields"


def make_field(api, token, **spec) -> dict:
    return data(api.post(FIELDS, token, json={"name": "Age", "type": "text"} | spec), 201)


def test_fields_are_created_in_position_order(api):
    account = api.register()
    first = make_field(api, account.session, name="Age")
    second = make_field(api, account.session, name="Likes", type="multiselect", options=["tea", "cats"])
    front = make_field(api, account.session, name="Role", type="select", options=["host"], position=0)
    assert (first["position"], second["position"], front["position"]) == (0, 1, 0)
    assert first["privacy"] == "private" and second["options"] == ["tea", "cats"] and first["options"] is None
    listed = [f["id"] for f in data(api.get(FIELDS, account.session))]
    assert listed == [first["id"], front["id"], second["id"]]  # position, then creation order


def test_field_patch_and_delete(api):
    account = api.register()
    field = make_field(api, account.session, type="select", options=["a", "b"])
    changed = data(api.patch(f"{FIELDS}/{field['id']}", account.session,
                             json={"name": "Mood", "options": ["a", "c"], "privacy": "public", "position": 5}))
    assert (changed["name"], changed["options"], changed["privacy"], changed["position"]) == \
        ("Mood", ["a", "c"], "public", 5)
    error(api.patch(f"{FIELDS}/{field['id']}", account.session, json={"type": "text"}), 422, "VALIDATION_FAILED")
    assert data(api.patch(f"{FIELDS}/{field['id']}", account.session, json={"type": "select"}))["type"] == "select"
    assert api.delete(f"{FIELDS}/{field['id']}", account.session).status_code == 204
    error(api.get(f"{FIELDS}/{field['id']}", account.session), 404, "NOT_FOUND")


@pytest.mark.parametrize("spec, key", [
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"type": "emoji"}, "type"),
    ({"type": "select"}, "body"),
    ({"type": "text", "options": ["a"]}, "body"),
    ({"type": "select", "options": ["a", "a"]}, "body"),
    ({"type": "select", "options": [""]}, "options.0"),
    ({"position": -1}, "position"),
    ({"privacy": "friends"}, "privacy"),
    ({"colour": "red"}, "colour"),
])
def test_field_definitions_are_validated(api, spec, key):
    account = api.register()
    failure = error(api.post(FIELDS, account.session, json={"name": "Age", "type": "text"} | spec),
                    422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert data(api.get(FIELDS, account.session)) == []


VALUES = [
    ("text", None, "hello", "hello", 42),
    ("markdown", None, "**hi**", "**hi**", ["x"]),
    ("number", None, 3.5, 3.5, "3.5"),
    ("number", None, 7, 7, True),
    ("boolean", None, True, True, "yes"),
    ("date", None, "2001-02-03", "2001-02-03", "2001-02-30"),
    ("color", None, "AbCdEf", "#abcdef", "blue"),
    ("url", None, "https://example.org/x", "https://example.org/x", "ftp://example.org"),
    ("select", ["host", "little"], "host", "host", "protector"),
    ("multiselect", ["a", "b", "c"], ["a", "c"], ["a", "c"], ["a", "z"]),
    ("multiselect", ["a", "b"], [], [], ["a", "a"]),
]


@pytest.mark.parametrize("field_type, options, good, stored, bad", VALUES)
def test_member_values_are_checked_against_the_field_type(api, field_type, options, good, stored, bad):
    account = api.register()
    field = make_field(api, account.session, type=field_type, **({"options": options} if options else {}))
    member = data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "Ash"}), 201)
    path = f"/api/v1/systems/@me/members/{member['id']}"
    assert data(api.patch(path, account.session, json={"fields": {field["id"]: good}}))["fields"] == \
        {field["id"]: stored}
    failure = error(api.patch(path, account.session, json={"fields": {field["id"]: bad}}), 422, "VALIDATION_FAILED")
    assert f"fields.{field['id']}" in failure["details"]["fields"]
    assert data(api.get(path, account.session, params={"include": "fields"}))["fields"] == {field["id"]: stored}


def test_values_can_be_cleared_and_go_with_their_field(api):
    account = api.register()
    age = make_field(api, account.session, name="Age")
    mood = make_field(api, account.session, name="Mood", type="select", options=["calm", "busy"])
    member = data(api.post("/api/v1/systems/@me/members", account.session,
                           json={"name": "Ash", "fields": {age["id"]: "20s", mood["id"]: "busy"}}), 201)
    path = f"/api/v1/systems/@me/members/{member['id']}"
    assert member["fields"] == {age["id"]: "20s", mood["id"]: "busy"}
    data(api.patch(path, account.session, json={"fields": {age["id"]: None}}))
    assert data(api.get(path, account.session, params={"include": "fields"}))["fields"] == {mood["id"]: "busy"}
    # Removing the chosen option removes the value; deleting the field removes the rest.
    data(api.patch(f"{FIELDS}/{mood['id']}", account.session, json={"options": ["calm"]}))
    assert data(api.get(path, account.session, params={"include": "fields"}))["fields"] == {}
    data(api.patch(path, account.session, json={"fields": {mood["id"]: "calm"}}))
    assert api.delete(f"{FIELDS}/{mood['id']}", account.session).status_code == 204
    assert data(api.get(path, account.session, params={"include": "fields"}))["fields"] == {}


def test_another_systems_field_cannot_be_set(api):
    owner, other = api.register(), api.register()
    foreign = make_field(api, other.session)
    member = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Ash"}), 201)
    for key in (foreign["id"], "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        failure = error(api.patch(f"/api/v1/systems/@me/members/{member['id']}", owner.session,
                                  json={"fields": {key: "x"}}), 422, "VALIDATION_FAILED")
        assert f"fields.{key}" in failure["details"]["fields"]
    error(api.get(f"{FIELDS}/{foreign['id']}", owner.session), 404, "NOT_FOUND")
    error(api.patch(f"/api/v1/systems/{other.system_id}/fields/{foreign['id']}", owner.session,
                    json={"name": "mine"}), 403, "FORBIDDEN")


def test_field_privacy_for_public_viewers(api):
    account = api.register()
    public = make_field(api, account.session, name="Public", privacy="public")
    private = make_field(api, account.session, name="Private")
    member = data(api.post("/api/v1/systems/@me/members", account.session, json={
        "name": "Ash", "privacy": {"visibility": "public"},
        "fields": {public["id"]: "shown", private["id"]: "hidden"}}), 201)
    base = f"/api/v1/systems/{account.system_id}"
    error(api.get(f"{base}/fields"), 403, "FORBIDDEN")
    seen = data(api.get(f"{base}/members/{member['id']}", params={"include": "fields"}))
    assert seen["fields"] == {}  # the system keeps its fields area private
    data(api.patch("/api/v1/systems/@me", account.session, json={"privacy": {"fields": "public"}}))
    assert [f["id"] for f in data(api.get(f"{base}/fields"))] == [public["id"]]
    error(api.get(f"{base}/fields/{private['id']}"), 404, "NOT_FOUND")
    seen = data(api.get(f"{base}/members/{member['id']}", params={"include": "fields"}))
    assert seen["fields"] == {public["id"]: "shown"}
    owner_view = data(api.get(f"{base}/members/{member['id']}", account.session, params={"include": "fields"}))
    assert owner_view["fields"] == {public["id"]: "shown", private["id"]: "hidden"}


def test_field_scopes(api):
    account = api.register()
    reader = api.pat(account, "fields:read")
    error(api.post(FIELDS, reader, json={"name": "x", "type": "text"}), 403, "INSUFFICIENT_SCOPE")
    error(api.get(FIELDS, api.pat(account, "members:read")), 403, "INSUFFICIENT_SCOPE")
    data(api.get(FIELDS, reader))
    error(api.post(FIELDS, json={"name": "x", "type": "text"}), 401, "UNAUTHENTICATED")

"""GET /api/v1/systems/@me/export: the whole system as a file, in pluralspace's format and in PluralKit's."""

from __future__ import annotations

import json

from ..helpers import data, error
from ..pk.helpers import link_account

ME = "/api/v1/systems/@me"
EXPORT = f"{ME}/export"
READS = ("system:read", "members:read", "groups:read", "fields:read", "relationships:read", "fronts:read",
         "journal:read", "polls:read", "thoughts:read")


def every_page(api, token, path: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        response = api.get(path, token, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        body = response.json()
        items += data(response)
        cursor = body["pagination"]["cursor"]
        if cursor is None:
            return items


def a_full_system(api):
    """An account whose system has something in every section."""
    owner = api.register(system_name="The Archive")
    token = owner.session
    field = data(api.post(f"{ME}/fields", token, json={"name": "Age", "type": "text"}), 201)
    ash = data(api.post(f"{ME}/members", token, json={"name": "Ash", "fields": {field["id"]: "19"},
                                                      "proxy_tags": [{"prefix": "a:", "suffix": None}]}), 201)
    birch = data(api.post(f"{ME}/members", token, json={"name": "Birch"}), 201)
    group = data(api.post(f"{ME}/groups", token, json={"name": "Trees"}), 201)
    data(api.post(f"{ME}/groups/{group['id']}/members", token, json={"member_ids": [ash["id"], birch["id"]]}))
    kind = data(api.post(f"{ME}/relationship-types", token, json={"name": "sibling"}), 201)
    data(api.post(f"{ME}/relationships", token, json={"type_id": kind["id"], "source_member_id": ash["id"],
                                                      "target_member_id": birch["id"]}), 201)
    data(api.put(f"{ME}/fronters", token, json={"member_ids": [ash["id"]], "at": "2026-01-01T10:00:00Z"}))
    data(api.put(f"{ME}/fronters", token, json={"member_ids": [ash["id"], birch["id"]],
                                                "at": "2026-01-01T12:00:00Z"}))
    data(api.post(f"{ME}/journal", token, json={"title": "Day one", "body": "We moved here."}), 201)
    poll = data(api.post(f"{ME}/polls", token, json={"title": "Lunch?", "options": [{"label": "Soup"},
                                                                                   {"label": "Rice"}]}), 201)
    data(api.post(f"{ME}/polls/{poll['id']}/votes", token, json={"member_id": ash["id"], "kind": "choice",
                                                                 "option_ids": [poll["options"][0]["id"]]}), 201)
    data(api.put(f"{ME}/thought", token, json={"text": "Quiet day."}))
    return owner, ash, birch, group


def test_the_pluralspace_file_holds_every_section_as_the_api_shows_it(api):
    owner, _ash, _birch, _group = a_full_system(api)
    token = owner.session
    response = api.get(EXPORT, token)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith(
        f'attachment; filename="pluralspace-export-{owner.system_id}-')
    exported = response.json()
    assert (exported["format"], exported["version"], exported["omitted"]) == ("pluralspace", 1, [])
    assert exported["system"] == data(api.get(ME, token))
    assert exported["members"] == every_page(api, token, f"{ME}/members", include="fields,groups")
    for key, path in [("fields", "fields"), ("groups", "groups"), ("relationship_types", "relationship-types"),
                      ("relationships", "relationships"), ("fronts", "fronts"), ("journal", "journal"),
                      ("thoughts", "thoughts")]:
        assert exported[key] == every_page(api, token, f"{ME}/{path}"), key
        assert exported[key], key  # every section has something in it
    polls = every_page(api, token, f"{ME}/polls")
    assert [{k: v for k, v in poll.items() if k != "votes"} for poll in exported["polls"]] == polls
    assert exported["polls"][0]["votes"] == every_page(api, token, f"{ME}/polls/{polls[0]['id']}/votes")
    assert "accounts" not in exported  # PluralKit's, in its own format only


def test_long_sections_are_exported_whole(api):
    owner = api.register()
    made = [data(api.post(f"{ME}/members", owner.session, json={"name": f"Member {n:03d}"}), 201)["id"]
            for n in range(203)]
    exported = api.get(EXPORT, owner.session).json()
    assert sorted(member["id"] for member in exported["members"]) == sorted(made)


def test_a_token_exports_only_what_it_may_read(api):
    owner, *_ = a_full_system(api)
    token = api.pat(owner, "system:read", "members:read")
    exported = api.get(EXPORT, token).json()
    assert exported["omitted"] == ["fields", "fronts", "groups", "journal", "polls", "relationship_types",
                                   "relationships", "thoughts"]
    assert set(exported) == {"format", "version", "exported_at", "omitted", "system", "members"}
    assert len(exported["members"]) == 2
    error(api.get(EXPORT, api.pat(owner, "members:read")), 403, "INSUFFICIENT_SCOPE")


def test_each_account_exports_only_its_own_system(api):
    owner, *_ = a_full_system(api)
    other = api.register()
    exported = api.get(EXPORT, api.pat(other, *READS)).json()
    assert exported["system"]["id"] == other.system_id
    assert all(exported[key] == [] for key in ("members", "groups", "fronts", "journal", "polls", "thoughts"))
    assert owner.system_id not in json.dumps(exported)


def test_the_pluralkit_file_is_pk_export_version_2(server, api):
    owner, ash, birch, group = a_full_system(api)
    link_account(server, owner, "466378653216014359")
    exported = api.get(EXPORT, owner.session, params={"format": "pluralkit"}).json()
    assert exported["version"] == 2 and exported["id"] == owner.system_id and exported["name"] == "The Archive"
    assert exported["config"]["timezone"] == "UTC" and exported["accounts"] == [466378653216014359]
    assert set(exported["privacy"]) >= {"member_list_privacy", "front_history_privacy"}
    members = {member["id"]: member for member in exported["members"]}
    assert set(members) == {ash["id"], birch["id"]} and "system" not in members[ash["id"]]
    assert members[ash["id"]]["proxy_tags"] == [{"prefix": "a:", "suffix": None}]
    assert exported["groups"][0]["id"] == group["id"] and "system" not in exported["groups"][0]
    assert sorted(exported["groups"][0]["members"]) == sorted([ash["id"], birch["id"]])
    assert exported["switches"] == [
        {"timestamp": "2026-01-01T12:00:00Z", "members": [ash["id"], birch["id"]]},
        {"timestamp": "2026-01-01T10:00:00Z", "members": [ash["id"]]},
    ]
    pk_switches = api.get("/pk/v2/systems/@me/switches", headers={"Authorization": owner.session}).json()
    assert [s["timestamp"][:19] for s in exported["switches"]] == [s["timestamp"][:19] for s in pk_switches]


def test_the_pluralkit_file_needs_what_it_holds(api):
    owner, *_ = a_full_system(api)
    refused = error(api.get(EXPORT, api.pat(owner, "system:read", "members:read"), params={"format": "pluralkit"}),
                    403, "INSUFFICIENT_SCOPE")
    assert refused["details"]["required"] == ["groups:read", "fronts:read"]


def test_an_unknown_format_is_refused(api):
    owner = api.register()
    failure = error(api.get(EXPORT, owner.session, params={"format": "csv"}), 422, "VALIDATION_FAILED")
    assert "format" in json.dumps(failure["details"])

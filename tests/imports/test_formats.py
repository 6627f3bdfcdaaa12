"""PluralKit (pk;export v1 and v2), Tupperbox, and this server's own exports (both formats) imported back."""

from __future__ import annotations

import io
import json
import zipfile

from ..helpers import data
from ..media.common import image, media_path
from .common import created, everything, fixture, imported, run_import, warned

SYSTEM = "/api/v1/systems/@me"


def by_name(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items}


def test_pluralkit_v2(api):
    owner = api.register()
    job = imported(api, owner.session, fixture("pluralkit_v2.json"))
    assert job["format"] == "pluralkit" and created(job, "members") == 3 and created(job, "fronts") == 3
    system = data(api.get(SYSTEM, owner.session))
    assert (system["name"], system["tag"], system["pronouns"], system["color"], system["timezone"]) == (
        "Harbour", "| Harbour", "we/us", "#00ff00", "America/New_York")
    assert system["banner_url"] == "https://example.org/b.png"
    assert system["privacy"]["member_list"] == "public" and system["privacy"]["front_history"] == "private"
    assert system["privacy"]["journal"] == "private"  # PluralKit has none: left as it was

    members = by_name(everything(api, owner.session, f"{SYSTEM}/members"))
    wren, kestrel, heron = members["Wren"], members["Kestrel"], members["Heron"]
    assert (wren["display_name"], wren["color"], wren["birthday"], wren["keep_proxy"]) == (
        "Wren 🐦", "#ff8800", "0004-03-14", True)
    assert wren["proxy_tags"] == [{"prefix": "w:", "suffix": None}, {"prefix": "[", "suffix": "]"}]
    assert wren["created_at"] == "2020-01-02T00:00:00Z"
    assert wren["privacy"] == {"visibility": "public", "name": "public", "description": "private", "avatar": "public",
                               "birthday": "private", "pronouns": "public", "metadata": "private"}
    assert kestrel["color"] is None and kestrel["avatar_url"] is None and kestrel["birthday"] == "0004-07-04"
    assert heron["privacy"]["visibility"] == "private"
    assert warned(job, "colour_invalid") == 1 and warned(job, "url_dropped") == 1

    group = everything(api, owner.session, f"{SYSTEM}/groups")[0]
    assert (group["name"], group["display_name"], group["icon"], group["privacy"]["visibility"]) == (
        "Birds", "The Birds", "https://example.org/g.png", "public")
    assert sorted(group["member_ids"]) == sorted([wren["id"], kestrel["id"]])

    switches = data(api.get(f"{SYSTEM}/switches", owner.session))
    assert [(s["timestamp"], sorted(s["member_ids"])) for s in switches] == [
        ("2024-01-01T12:00:00Z", [heron["id"]]), ("2024-01-01T10:00:00Z", []),
        ("2024-01-01T09:00:00Z", sorted([wren["id"], kestrel["id"]])), ("2024-01-01T08:00:00Z", [wren["id"]])]
    pk = api.get(f"{SYSTEM}/export", owner.session, params={"format": "pluralkit"}).json()
    assert pk["accounts"] == [918273645546372819]
    assert {"message_count", "tts", "autoproxy_enabled"} & {
        w["message"].split(":")[0].removeprefix("members.") for w in job["warnings"]}


def test_pluralkit_v1(api):
    owner = api.register()
    job = imported(api, owner.session, fixture("pluralkit_v1.json"))
    assert job["format"] == "pluralkit"
    system = data(api.get(SYSTEM, owner.session))
    assert system["timezone"] == "Europe/London" and system["privacy"]["description"] == "private"
    assert system["privacy"]["front"] == "public"
    members = by_name(everything(api, owner.session, f"{SYSTEM}/members"))
    assert members["Moth"]["proxy_tags"] == [{"prefix": "m;", "suffix": None}]
    assert members["Moth"]["privacy"]["visibility"] == "private" and members["Moth"]["privacy"]["name"] == "public"
    assert members["Lark"]["proxy_tags"] == [{"prefix": None, "suffix": "-l"}]
    fronts = everything(api, owner.session, f"{SYSTEM}/fronts")
    assert sorted((f["member_id"], f["started_at"], f["ended_at"]) for f in fronts) == sorted([
        (members["Moth"]["id"], "2020-01-01T00:00:00Z", None), (members["Lark"]["id"], "2020-01-02T00:00:00Z", None)])


def test_pluralkit_switches_naming_unknown_members_are_refused(api):
    owner = api.register()
    source = json.loads(fixture("pluralkit_v2.json"))
    source["switches"][1]["members"] = ["nobody"]
    job = run_import(api, owner.session, source)
    assert job["status"] == "failed" and job["error"]["path"] == "$.switches[1].members[0]"
    assert everything(api, owner.session, f"{SYSTEM}/members") == []


def test_tupperbox(api):
    owner = api.register()
    job = imported(api, owner.session, fixture("tupperbox.json"))
    assert job["format"] == "tupperbox"
    members = by_name(everything(api, owner.session, f"{SYSTEM}/members"))
    sparrow = members["Sparrow"]
    assert sparrow["proxy_tags"] == [{"prefix": "sp:", "suffix": None}, {"prefix": "<", "suffix": ">"}]
    assert (sparrow["display_name"], sparrow["birthday"], sparrow["description"]) == (
        "Sparrow [flock]", "2001-04-01", "A small bird")
    assert members["Crow"]["proxy_tags"] == [{"prefix": None, "suffix": "-c"}] and members["Crow"]["keep_proxy"]
    group = everything(api, owner.session, f"{SYSTEM}/groups")[0]
    assert group["display_name"] == "Flock [F]" and group["member_ids"] == [sparrow["id"]]
    assert warned(job, "not_imported") == 1


def build_system(api, token: str) -> None:
    """A system using every kind of object, with references between them."""
    def post(path: str, body: dict) -> dict:
        return data(api.post(f"{SYSTEM}/{path}", token, json=body), 201)

    data(api.patch(SYSTEM, token, json={"name": "Round Trip", "description": "d", "tag": "[rt]", "color": "#010203",
                                        "timezone": "Asia/Tokyo", "privacy": {"member_list": "public"}}))
    colour = post("fields", {"name": "Colour", "type": "color", "privacy": "public"})
    mood = post("fields", {"name": "Mood", "type": "select", "options": ["calm", "loud"]})
    a = post("members", {"name": "Alder", "pronouns": "they/them", "birthday": "0004-02-29", "roles": ["Host"],
                         "proxy_tags": [{"prefix": "a:"}], "fields": {colour["id"]: "#aabbcc", mood["id"]: "calm"},
                         "privacy": {"visibility": "public"}})
    b = post("members", {"name": "Bramble", "is_custom_front": True, "description": "ü" * 5000})
    c = post("members", {"name": "Clover", "archived": True})
    parent = post("groups", {"name": "Trees", "color": "#00aa00"})
    post("groups", {"name": "Small trees", "parent_id": parent["id"]})
    data(api.post(f"{SYSTEM}/groups/{parent['id']}/members", token, json={"member_ids": [a["id"], b["id"]]}))
    kind = post("relationship-types", {"name": "protects", "inverse_name": "protected by"})
    post("relationships", {"type_id": kind["id"], "source_member_id": a["id"], "target_member_id": c["id"],
                           "note": "always"})
    post("fronts", {"member_id": a["id"], "started_at": "2024-03-01T10:00:00Z", "ended_at": "2024-03-01T12:00:00Z",
                    "comment": "morning"})
    post("fronts", {"member_id": b["id"], "started_at": "2024-03-01T11:00:00Z"})
    post("journal", {"title": "Day one", "body": "# Hello", "author_ids": [a["id"], c["id"]], "tags": ["first"],
                     "pinned": True, "created_at": "2024-03-02T00:00:00Z"})
    poll = post("polls", {"title": "Lunch?", "options": [{"label": "Soup"}, {"label": "Bread", "color": "#ff0000"}],
                          "allow_abstain": True, "created_by": a["id"]})
    data(api.post(f"{SYSTEM}/polls/{poll['id']}/votes", token, json={
        "member_id": a["id"], "kind": "choice", "option_ids": [poll["options"][1]["id"]], "comment": "crusty"}), 201)
    data(api.post(f"{SYSTEM}/polls/{poll['id']}/votes", token, json={"member_id": c["id"], "kind": "abstain"}), 201)
    data(api.put(f"{SYSTEM}/thought", token, json={"text": "Spring soon", "member_id": a["id"]}))


def comparable(export: dict) -> dict:
    """An export with ids and creation times of this copy replaced by what they refer to (names)."""
    names = {m["id"]: m["name"] for m in export["members"]}
    groups = {g["id"]: g["name"] for g in export["groups"]}
    fields = {f["id"]: f["name"] for f in export["fields"]}
    types = {t["id"]: t["name"] for t in export["relationship_types"]}
    generated = {"id", "uuid", "created_at", "updated_at", "system_id", "exported_at"}

    def clean(item: dict, **renamed) -> dict:
        return {**{k: v for k, v in item.items() if k not in generated}, **renamed}

    options = lambda poll: {o["id"]: o["label"] for o in poll["options"]}  # noqa: E731
    return {
        "system": clean(export["system"]),
        "fields": sorted((clean(f) for f in export["fields"]), key=lambda f: f["name"]),
        "members": sorted((clean(m, fields={fields[k]: v for k, v in m["fields"].items()},
                                 group_ids=sorted(groups[g] for g in m["group_ids"])) for m in export["members"]),
                          key=lambda m: m["name"]),
        "groups": sorted((clean(g, parent_id=groups.get(g["parent_id"]),
                                member_ids=sorted(names[m] for m in g["member_ids"])) for g in export["groups"]),
                         key=lambda g: g["name"]),
        "relationship_types": [clean(t) for t in export["relationship_types"]],
        "relationships": [clean(r, type_id=types[r["type_id"]], source_member_id=names[r["source_member_id"]],
                                target_member_id=names[r["target_member_id"]]) for r in export["relationships"]],
        "fronts": sorted((clean(f, member_id=names[f["member_id"]]) for f in export["fronts"]),
                         key=lambda f: (f["member_id"], f["started_at"])),
        "journal": [clean(e, author_ids=[names[a] for a in e["author_ids"]], created_at=e["created_at"])
                    for e in export["journal"]],
        "polls": [clean(p, options=sorted((o["label"], o["color"]) for o in p["options"]),
                        results={options(p).get(k, k): v for k, v in p["results"].items()},
                        created_by=names.get(p["created_by"]),
                        votes=sorted((names[v["member_id"]], [options(p)[o] for o in v["option_ids"]], v["kind"],
                                      v["comment"]) for v in p["votes"])) for p in export["polls"]],
        "thoughts": [clean(t, member_id=names.get(t["member_id"]), created_at=t["created_at"])
                     for t in export["thoughts"]],
    }


def test_our_own_export_imported_into_a_fresh_account_reproduces_the_system(api):
    source = api.register()
    build_system(api, source.session)
    exported = api.get(f"{SYSTEM}/export", source.session).json()
    fresh = api.register()
    job = imported(api, fresh.session, exported)
    assert job["format"] == "pluralspace" and job["warnings"] == []
    again = api.get(f"{SYSTEM}/export", fresh.session).json()
    assert comparable(again) == comparable(exported)
    assert imported(api, fresh.session, exported)["counts"]["members"] == {"created": 0, "updated": 0,
                                                                           "unchanged": 3}


def test_our_pluralkit_export_imports_back(api):
    source = api.register()
    build_system(api, source.session)
    exported = api.get(f"{SYSTEM}/export", source.session, params={"format": "pluralkit"}).json()
    fresh = api.register()
    job = imported(api, fresh.session, exported)
    assert job["format"] == "pluralkit"
    before = by_name(everything(api, source.session, f"{SYSTEM}/members"))
    after = by_name(everything(api, fresh.session, f"{SYSTEM}/members"))
    assert set(after) == set(before)
    for name in before:
        for key in ("pronouns", "color", "birthday", "proxy_tags", "display_name"):
            assert after[name][key] == before[name][key], (name, key)

    def switches(account, members: dict[str, dict]) -> list:
        names = {m["id"]: name for name, m in members.items()}
        return [(s["timestamp"], sorted(names[m] for m in s["member_ids"]))
                for s in data(api.get(f"{SYSTEM}/switches", account.session))]

    assert switches(fresh, after) == switches(source, before)


def test_openplural(api):
    owner = api.register()
    job = imported(api, owner.session, fixture("openplural.json"))
    assert job["format"] == "openplural"
    system = data(api.get(SYSTEM, owner.session))
    assert (system["name"], system["tag"], system["color"]) == ("Meadow", "~m", "#336699")
    members = by_name(everything(api, owner.session, f"{SYSTEM}/members", include="fields"))
    poppy = members["Poppy"]
    assert (poppy["display_name"], poppy["birthday"], poppy["privacy"]["visibility"]) == ("Poppy!", "2000-06-01",
                                                                                         "public")
    assert poppy["proxy_tags"] == [{"prefix": "p:", "suffix": None}] and members["Thistle"]["archived"]
    assert members["Blank"]["is_custom_front"]
    fields = by_name(everything(api, owner.session, f"{SYSTEM}/fields"))
    assert fields["Odd"]["type"] == "text" and fields["Since"]["type"] == "date"
    assert poppy["fields"] == {fields["Likes"]["id"]: "sun", fields["Since"]["id"]: "2020-02-02"}
    groups = by_name(everything(api, owner.session, f"{SYSTEM}/groups"))
    assert groups["Weeds"]["parent_id"] == groups["Flowers"]["id"] and groups["Flowers"]["display_name"] == "🌸 Flowers"
    fronts = everything(api, owner.session, f"{SYSTEM}/fronts")
    assert sorted((f["member_id"], f["started_at"], f["ended_at"], f["comment"]) for f in fronts) == sorted([
        (poppy["id"], "2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z", "co-front"),
        (members["Thistle"]["id"], "2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z", None),
        (members["Blank"]["id"], "2024-05-01T10:00:00Z", None, None)])
    note = everything(api, owner.session, f"{SYSTEM}/journal")[0]
    assert (note["title"], note["author_ids"], note["pinned"]) == ("Seeds", [poppy["id"]], True)
    poll = everything(api, owner.session, f"{SYSTEM}/polls")[0]
    assert poll["title"] == "Picnic?" and poll["closed"] and [o["label"] for o in poll["options"]] == ["Yes", "No"]
    messages = {w["message"] for w in job["warnings"]}
    assert {"chat: not imported", "taxonomy terms: not imported", "assets (pictures): not imported",
            "front_comments: not kept"} <= messages
    assert warned(job, "poll_votes_without_voters") == 1 and warned(job, "field_type_unknown") == 1


def app_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name in ("manifest.json", "data.json"):
            zipped.writestr(name, fixture(f"pluralspace_app/{name}"))
        zipped.writestr("media/avatars/11.png", image())
        zipped.writestr("media/avatars/unnamed.png", image())
    return archive.getvalue()


def test_pluralspace_app_zip(api):
    owner = api.register()
    job = imported(api, owner.session, app_zip(), content_type="application/zip")
    assert job["format"] == "pluralspace-app"
    assert data(api.get(SYSTEM, owner.session))["name"] == "Lantern"
    members = by_name(everything(api, owner.session, f"{SYSTEM}/members", include="fields,groups"))
    wick = members["Wick"]
    assert wick["roles"] == ["Host", "Protector"] and wick["proxy_tags"] == [{"prefix": "w>", "suffix": None}]
    fields = by_name(everything(api, owner.session, f"{SYSTEM}/fields"))
    assert wick["fields"] == {fields["Colour"]["id"]: "orange", fields["Joined"]["id"]: "2019-09-09"}
    assert members["Ember"]["archived"] and members["Blurry"]["is_custom_front"]
    group = everything(api, owner.session, f"{SYSTEM}/groups")[0]
    assert group["name"] == "Flames" and sorted(group["member_ids"]) == sorted([wick["id"], members["Ember"]["id"]])
    fronts = everything(api, owner.session, f"{SYSTEM}/fronts")
    assert sorted((f["member_id"], f["ended_at"], f["comment"]) for f in fronts) == sorted([
        (wick["id"], "2024-02-01T10:00:00Z", "steady"), (members["Ember"]["id"], None, None)])
    entry = everything(api, owner.session, f"{SYSTEM}/journal")[0]
    assert (entry["title"], entry["body"], entry["author_ids"]) == ("Night", "*quiet*", [wick["id"]])
    poll = everything(api, owner.session, f"{SYSTEM}/polls")[0]
    assert poll["allow_multiple"] and poll["closed"] and poll["created_by"] == wick["id"]
    assert sorted(poll["results"].values()) == [0, 0, 1, 2]
    thought = everything(api, owner.session, f"{SYSTEM}/thoughts")[0]
    assert (thought["text"], thought["member_id"], thought["date"]) == ("Cozy evening", members["Ember"]["id"],
                                                                        "2024-02-03")
    assert warned(job, "image_unused") == 1 and warned(job, "unknown_member") == 1
    assert job["counts"]["images"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert "/media/" in wick["avatar_url"] and api.get(media_path(wick["avatar_url"]), owner.session).status_code == 200
    # data.json alone is read too.
    assert imported(api, owner.session, fixture("pluralspace_app/data.json"))["counts"]["members"]["unchanged"] == 3

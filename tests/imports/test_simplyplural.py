"""Simply Plural exports, in the variants real files have (collections as arrays or as id-keyed maps, every
timestamp form, the key variants, colours), imported through the API and read back through the API."""

from __future__ import annotations

import json
import secrets
import string

import pytest

from ..helpers import data
from .common import created, everything, fixture, imported, warned

SECRETS = ("plaintext-sp-token-secret", "friend-uid-secret", "secret-push-token")
MEMBERS = "/api/v1/systems/@me/members"


def by_name(items: list[dict], key: str = "name") -> dict[str, dict]:
    return {item[key]: item for item in items}


@pytest.mark.parametrize("variant", ["simplyplural.json", "simplyplural_maps.json"])
def test_every_collection_is_mapped(api, variant):
    owner = api.register()
    source = json.loads(fixture(variant))
    pk_id = "".join(secrets.choice(string.ascii_lowercase) for _ in range(6))
    (source["members"][0] if isinstance(source["members"], list) else source["members"]["m1"])["pkId"] = pk_id
    job = imported(api, owner.session, source)
    assert job["format"] == "simplyplural" and job["progress"] == 1 and job["error"] is None
    assert created(job, "members") == 6 and created(job, "groups") == 3 and created(job, "fields") == 9
    assert created(job, "fronts") == 5 and created(job, "journal") == 2 and created(job, "polls") == 2

    system = data(api.get("/api/v1/systems/@me", owner.session))
    assert (system["name"], system["description"], system["color"], system["timezone"]) == (
        "The Grove", "We are the grove.", "#ff00aa", "Europe/Berlin")

    members = everything(api, owner.session, MEMBERS, include="fields,groups")
    assert sorted(m["name"] for m in members) == ["Ash", "Ash", "Birch 🌳", "Cedar", "Dissociated", "Dune"]
    ash = next(m for m in members if m["name"] == "Ash" and m["pronouns"])
    assert ash["id"] == pk_id  # Simply Plural's PluralKit id, kept as the short id while free
    assert (ash["description"], ash["color"], ash["avatar_url"]) == ("Keeps the fire.", "#aabbcc",
                                                                     "https://example.org/ash.png")
    assert ash["privacy"]["visibility"] == "private"  # shared with friends there; nobody here is a friend
    named = by_name(members)
    assert named["Birch 🌳"]["archived"] is True and named["Birch 🌳"]["avatar_url"] is None
    assert named["Cedar"]["color"] == "#ff0000"  # #aarrggbb without its alpha
    assert named["Dune"]["color"] is None  # "purple": warned, left out
    assert named["Dissociated"]["is_custom_front"] is True and named["Dissociated"]["description"] == "Nobody home"

    fields = by_name(everything(api, owner.session, "/api/v1/systems/@me/fields"))
    assert fields["Favourite colour"]["type"] == "color" and fields["Arrived"]["type"] == "date"
    assert {fields[n]["type"] for n in ("Role", "Month", "Year", "Month and year", "Timestamp", "Month and day",
                                        "Likes")} == {"text"}
    values = {name: ash["fields"].get(field["id"]) for name, field in fields.items()}
    assert values == {"Role": "Caretaker", "Favourite colour": "#112233", "Arrived": "2020-05-17", "Month": "May",
                      "Year": "2019", "Month and year": "05/2019", "Timestamp": "2020-05-17T00:00:00Z",
                      "Month and day": "05-17", "Likes": "tea"}

    groups = by_name(everything(api, owner.session, "/api/v1/systems/@me/groups"))
    assert groups["Inner"]["parent_id"] == groups["Elders"]["id"] and groups["Elders"]["parent_id"] is None
    assert groups["Orphan"]["parent_id"] is None  # dangling parent: warned, kept at the top
    assert groups["Elders"]["display_name"] == "🌲 Elders" and groups["Elders"]["color"] == "#123456"
    assert sorted(groups["Elders"]["member_ids"]) == sorted([ash["id"], named["Birch 🌳"]["id"]])

    fronts = everything(api, owner.session, "/api/v1/systems/@me/fronts")
    by_member: dict[str, list[dict]] = {}
    for front in fronts:
        by_member.setdefault(front["member_id"], []).append(front)
    ash_fronts = sorted(by_member[ash["id"]], key=lambda f: f["started_at"])
    assert ash_fronts[0]["started_at"] == "2023-11-14T22:13:20Z" and ash_fronts[0]["ended_at"] == "2023-11-14T23:13:20Z"
    assert ash_fronts[0]["comment"] == ("tired\n[2023-11-14T22:15:00Z] started a bit rough\n"
                                        "[2023-11-14T22:16:40Z] better now")
    assert ash_fronts[1]["ended_at"] is None  # live
    custom = by_member[named["Dissociated"]["id"]][0]
    assert custom["started_at"] == "2023-11-15T01:00:00.500000Z"  # Firebase seconds and nanoseconds
    cedar = by_member[named["Cedar"]["id"]]  # two overlapping fronts in the file, joined
    assert len(cedar) == 1 and (cedar[0]["started_at"], cedar[0]["ended_at"]) == (
        "2023-11-14T22:13:20Z", "2023-11-15T01:13:20Z")
    assert by_member[named["Birch 🌳"]["id"]][0]["ended_at"] == "2023-11-14T23:30:00Z"  # no zone: read as UTC

    journal = by_name(everything(api, owner.session, "/api/v1/systems/@me/journal"), "title")
    assert journal["Dream"]["body"] == "We dreamed of **rivers**." and journal["Dream"]["author_ids"] == [ash["id"]]
    assert journal["Dream"]["tags"] == ["note"] and journal["Dream"]["created_at"] == "2023-11-03T08:26:40Z"
    assert journal["Hello"]["body"] == "For Cedar:\n\nPlease water the plants"
    assert journal["Hello"]["tags"] == ["board-message"]

    polls = by_name(everything(api, owner.session, "/api/v1/systems/@me/polls"), "title")
    pizza = polls["Pizza tonight?"]
    yes = next(o["id"] for o in pizza["options"] if o["label"] == "Yes")
    assert pizza["allow_abstain"] and pizza["allow_veto"] and pizza["closes_at"] == "2023-11-26T12:00:00Z"
    assert pizza["results"][yes] == 1 and pizza["results"]["abstain"] == 1 and pizza["results"]["veto"] == 1
    film = polls["Which film?"]
    assert [(o["label"], o["color"]) for o in film["options"]] == [("Arrival", "#ff0000"), ("Totoro", "#00ff00")]
    assert sorted(film["results"].values()) == [0, 0, 1, 1]

    assert warned(job, "not_imported") >= 2 + 1 + 1 + 1 + 2 + 1 + 1  # chat, channel, reminders, buckets, ...
    assert {"chat messages: not imported", "friends: not imported", "API tokens: not imported"} <= {
        w["message"] for w in job["warnings"]}
    for code in ("colour_alpha_dropped", "colour_short", "colour_invalid", "duplicate_names", "group_parent_unknown",
                 "front_overlap_merged", "time_without_zone", "image_not_in_file", "image_linked"):
        assert warned(job, code) >= 1, code


def test_tokens_and_friends_ids_are_never_stored_or_echoed(api):
    owner = api.register()
    job = imported(api, owner.session, fixture("simplyplural.json"))
    exported = api.get("/api/v1/systems/@me/export", owner.session).text
    listed = api.get("/api/v1/systems/@me/imports", owner.session).text
    for secret in SECRETS:
        assert secret not in json.dumps(job) and secret not in exported and secret not in listed


def test_long_front_comments_are_kept_whole_in_the_journal(api):
    owner = api.register()
    source = json.loads(fixture("simplyplural.json"))
    long_comment = "ü" * 700
    source["comments"].append({"_id": "c3", "time": 1700000300000, "text": long_comment, "documentId": "f1",
                               "collection": "frontHistory"})
    job = imported(api, owner.session, source)
    assert warned(job, "front_comments_to_journal") == 1 and warned(job, "text_truncated") >= 1
    entries = everything(api, owner.session, "/api/v1/systems/@me/journal", tag="front-comments")
    assert len(entries) == 1 and long_comment in entries[0]["body"]


def test_unicode_names_and_nul_characters(api):
    owner = api.register()
    source = json.loads(fixture("simplyplural.json"))
    source["members"][0]["name"] = "Ash\u0000 — 灰 🔥 אפר"
    source["members"][1]["desc"] = "zero\u0000width\u200bjoiner\u200d and combining é"
    job = imported(api, owner.session, source)
    assert warned(job, "text_nul_removed") == 2
    names = {m["name"] for m in everything(api, owner.session, MEMBERS)}
    assert "Ash — 灰 🔥 אפר" in names
    birch = next(m for m in everything(api, owner.session, MEMBERS) if m["name"].startswith("Birch"))
    assert birch["description"] == "zerowidth\u200bjoiner\u200d and combining é"

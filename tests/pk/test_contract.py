"""The PluralKit contract per endpoint: shapes (every key), ids, colours, timestamps, status and error codes, privacy
for other viewers, auth forms, switches as views of the native fronts, and v1's semantics
(PluralKit's legacy API)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from ..helpers import data
from .helpers import Pk, link_account, ok, owner_token, pk_error, record_message

SYSTEM_KEYS = {"id", "uuid", "name", "description", "tag", "pronouns", "avatar_url", "banner", "color", "created",
               "privacy"}
SYSTEM_PRIVACY = {"name_privacy", "avatar_privacy", "description_privacy", "banner_privacy", "pronoun_privacy",
                  "member_list_privacy", "group_list_privacy", "front_privacy", "front_history_privacy"}
MEMBER_KEYS = {"id", "uuid", "system", "name", "display_name", "color", "birthday", "pronouns", "avatar_url",
               "webhook_avatar_url", "banner", "description", "created", "keep_proxy", "tts", "autoproxy_enabled",
               "message_count", "last_message_timestamp", "proxy_tags", "privacy"}
MEMBER_PRIVACY = {"visibility", "name_privacy", "description_privacy", "banner_privacy", "birthday_privacy",
                  "pronoun_privacy", "avatar_privacy", "metadata_privacy", "proxy_privacy"}
GROUP_KEYS = {"id", "uuid", "system", "name", "display_name", "description", "icon", "banner", "color", "created",
              "privacy"}
GROUP_PRIVACY = {"name_privacy", "description_privacy", "banner_privacy", "icon_privacy", "list_privacy",
                 "metadata_privacy", "visibility"}
V1_SYSTEM_KEYS = {"id", "name", "description", "tag", "color", "avatar_url", "banner", "tz", "created",
                  "description_privacy", "member_list_privacy", "front_privacy", "front_history_privacy"}
V1_MEMBER_KEYS = {"id", "name", "display_name", "description", "pronouns", "color", "avatar_url", "banner",
                  "birthday", "prefix", "suffix", "proxy_tags", "keep_proxy", "created", "privacy", "visibility",
                  "name_privacy", "description_privacy", "avatar_privacy", "birthday_privacy", "pronoun_privacy",
                  "metadata_privacy"}
HID = re.compile(r"^[a-z]{6}$")
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")


@pytest.fixture
def owner(api):
    account = api.register(system_name="Contract")
    return account, owner_token(api, account)


@pytest.fixture
def v2(api):
    return Pk(api)


@pytest.fixture
def v1(api):
    return Pk(api, "v1")


def test_shapes_ids_colours_and_timestamps(v2, owner):
    account, token = owner
    system = ok(v2("PATCH", "/systems/@me", token, json={"color": "#A1B2C3", "pronouns": "they"}))
    assert set(system) == SYSTEM_KEYS | {"webhook_url"} and set(system["privacy"]) == SYSTEM_PRIVACY
    assert system["color"] == "a1b2c3" and HID.match(system["id"]) and INSTANT.match(system["created"])
    member = ok(v2("POST", "/members", token, json={
        "name": "Craig", "color": "FF7000", "birthday": "0004-07-14", "proxy_tags": [{"prefix": "[", "suffix": "]"},
                                                                                    {"prefix": "", "suffix": None}]}))
    assert set(member) == MEMBER_KEYS and set(member["privacy"]) == MEMBER_PRIVACY
    assert member["color"] == "ff7000" and member["system"] == account.system_id and HID.match(member["id"])
    assert member["proxy_tags"] == [{"prefix": "[", "suffix": "]"}]  # the empty tag is dropped, as PluralKit does
    assert member["tts"] is False and member["webhook_avatar_url"] is None
    group = ok(v2("POST", "/groups", token, json={"name": "G", "color": "00ff00"}))
    assert set(group) == GROUP_KEYS and set(group["privacy"]) == GROUP_PRIVACY and group["color"] == "00ff00"
    # Refs: short ids in any case and with a dash, or uuids.
    dashed = member["id"][:3].upper() + "-" + member["id"][3:]
    for ref in (dashed, member["uuid"]):
        assert ok(v2("GET", f"/members/{ref}", token))["uuid"] == member["uuid"]
    assert ok(v2("GET", f"/systems/{account.system_id.upper()}", token))["uuid"] == account.system_uuid


def test_create_200_delete_204_and_fronters_204(v2, owner):
    _, token = owner
    assert v2("GET", "/systems/@me/fronters", token).status_code == 204
    member = v2("POST", "/members", token, json={"name": "Temp"})
    assert member.status_code == 200
    assert v2("DELETE", f"/members/{member.json()['id']}", token).status_code == 204
    group = v2("POST", "/groups", token, json={"name": "Temp"})
    assert group.status_code == 200
    assert v2("DELETE", f"/groups/{group.json()['id']}", token).status_code == 204


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
    ("GET", "/systems/zzzzzz", None, 404, 20001),
    ("GET", "/systems/00000000-0000-0000-0000-000000000000", None, 404, 20001),
    ("GET", "/systems/123456789012345678", None, 404, 20001),
    ("GET", "/members/zzzzzz", None, 404, 20002),
    ("GET", "/groups/zzzzzz", None, 404, 20004),
    ("GET", "/messages/123456789012345678", None, 404, 20006),
    ("GET", "/systems/@me/switches/not-a-uuid", None, 400, 40006),
    ("GET", "/systems/@me/switches/00000000-0000-4000-8000-000000000000", None, 404, 20008),
    ("POST", "/members", {"name": "x" * 101}, 400, 40001),
    ("POST", "/members", {"name": "ok", "color": "#zzzzzz"}, 400, 40001),
    ("POST", "/members", {"name": "ok", "privacy": {"visibility": "secret"}}, 400, 40001),
    ("POST", "/members", {"name": "ok", "tts": True}, 400, 40001),
    ("POST", "/members", [], 400, 0),
    ("PATCH", "/systems/@me", {"unknown": 1}, 400, 0),
    ("PATCH", "/systems/@me", {"privacy": {"name_privacy": "private"}}, 400, 40001),
    ("POST", "/systems/@me/switches", {"members": ["zzzzzz"]}, 404, 20003),
    ("POST", "/systems/@me/switches", {"members": []}, 400, 40004),
    ("POST", "/systems/@me/switches", {"members": [], "timestamp": "yesterday"}, 400, 40001),
    ("GET", "/systems/@me", None, 401, 0),
])
def test_error_codes(v2, owner, method, path, body, status, code):
    _, token = owner
    response = v2(method, path, None if (status, code) == (401, 0) else token, json=body)
    failure = pk_error(response, status, code)
    if code == 40001:
        assert failure["message"] == "Error parsing JSON model" and failure["errors"]
        assert all(isinstance(entry["message"], str) for entries in failure["errors"].values() for entry in entries)


def test_40001_names_pluralkit_keys(v2, owner):
    _, token = owner
    failure = pk_error(v2("POST", "/members", owner[1], json={"name": "ok", "banner": "http://insecure"}), 400, 40001)
    assert set(failure["errors"]) == {"banner"}
    member = ok(v2("POST", "/members", token, json={"name": "Dup"}))
    failure = pk_error(v2("POST", "/systems/@me/switches", token, json={"members": [member["id"], member["uuid"]]}),
                       400, 40003)
    assert "errors" not in failure
    assert v2("GET", "/nowhere", token).status_code == 404 and v2("GET", "/nowhere", token).content == b""


def test_raw_and_bearer_tokens_and_scopes(v2, api, owner):
    account, token = owner
    for header in (token, f"Bearer {token}"):
        assert ok(v2("GET", "/systems/@me", headers={"Authorization": header}))["privacy"] is not None
    # An unknown token is the public view, as on PluralKit; @me then needs a real one.
    assert ok(v2("GET", f"/systems/{account.system_id}", "not-a-token"))["privacy"] is None
    pk_error(v2("GET", "/systems/@me", "ps_pat_unknown"), 401, 0)
    reader = api.pat(account, "members:read")
    assert "system:read" in pk_error(v2("GET", "/systems/@me", reader), 403, 0)["message"]


def test_privacy_for_other_viewers(v2, api, owner):
    account, token = owner
    ok(v2("PATCH", "/systems/@me", token, json={"description": "secret", "privacy": {
        "member_list_privacy": "public", "description_privacy": "private"}}))
    shown = ok(v2("POST", "/members", token, json={"name": "Shown", "display_name": "S", "pronouns": "she",
                                                   "privacy": {"visibility": "public", "name_privacy": "private",
                                                               "pronoun_privacy": "public"}}))
    hidden = ok(v2("POST", "/members", token, json={"name": "Hidden"}))
    system = ok(v2("GET", f"/systems/{account.system_id}"))
    assert system["privacy"] is None and system["description"] is None and "webhook_url" not in system
    members = ok(v2("GET", f"/systems/{account.system_id}/members"))
    assert [m["id"] for m in members] == [shown["id"]]  # private members are left out of lists
    [public] = members
    assert public["name"] == "S" and public["display_name"] is None  # PluralKit's display_name ?? name
    assert public["pronouns"] == "she" and public["privacy"] is None and public["created"] is None
    pk_error(v2("GET", f"/members/{hidden['id']}"), 404, 20002)
    pk_error(v2("GET", f"/systems/{account.system_id}/groups"), 403, 30002)
    pk_error(v2("GET", f"/systems/{account.system_id}/fronters"), 403, 30004)
    pk_error(v2("GET", f"/systems/{account.system_id}/switches"), 403, 30005)
    assert ok(v2("GET", "/systems/@me/settings", token))["timezone"] == "UTC"


def test_settings_patch_answers_with_the_new_time_zone(v2, owner):
    _, token = owner
    assert ok(v2("PATCH", "/systems/@me/settings", token, json={"timezone": "Europe/Berlin"}))["timezone"] \
        == "Europe/Berlin"
    assert ok(v2("GET", "/systems/@me/settings", token))["timezone"] == "Europe/Berlin"
    ok(v2("PATCH", "/systems/@me/settings", token, json={"timezone": "UTC"}))


def test_groups_with_members_and_membership(v2, owner):
    _, token = owner
    alice = ok(v2("POST", "/members", token, json={"name": "Alice"}))
    bob = ok(v2("POST", "/members", token, json={"name": "Bob"}))
    group = ok(v2("POST", "/groups", token, json={"name": "G"}))
    assert v2("POST", f"/groups/{group['id']}/members/add", token, json=[alice["uuid"]]).status_code == 204
    assert v2("POST", f"/members/{bob['id']}/groups/add", token, json=[group["uuid"]]).status_code == 204
    [listed] = ok(v2("GET", "/systems/@me/groups?with_members=true", token))
    assert sorted(listed["members"]) == sorted([alice["uuid"], bob["uuid"]])
    assert {m["id"] for m in ok(v2("GET", f"/groups/{group['id']}/members", token))} == {alice["id"], bob["id"]}
    assert v2("POST", f"/members/{alice['id']}/groups/overwrite", token, json=[]).status_code == 204
    assert ok(v2("GET", f"/members/{alice['id']}/groups", token)) == []
    assert [g["id"] for g in ok(v2("GET", f"/members/{bob['id']}/groups", token))] == [group["id"]]
    pk_error(v2("POST", f"/groups/{group['id']}/members/add", token, json=[]), 400, 0)
    pk_error(v2("POST", f"/groups/{group['id']}/members/add", token, json=["zzzzzz"]), 404, 20003)


def test_switches_are_the_native_front_history(v2, api, owner):
    _, token = owner
    a = ok(v2("POST", "/members", token, json={"name": "A"}))
    b = ok(v2("POST", "/members", token, json={"name": "B"}))
    start = datetime.now(UTC) - timedelta(hours=3)
    first = ok(v2("POST", "/systems/@me/switches", token, json={"members": [a["id"]], "timestamp": start.isoformat()}))
    assert INSTANT.match(first["timestamp"]) and [m["id"] for m in first["members"]] == [a["id"]]
    second = ok(v2("POST", "/systems/@me/switches", token, json={
        "members": [a["id"], b["id"]], "timestamp": (start + timedelta(hours=1)).isoformat()}))
    # Posted through /pk/v2, read through /api/v1.
    assert [f["member_id"] for f in data(api.get("/api/v1/systems/@me/fronters", token))] == [a["id"], b["id"]]
    native = data(api.get("/api/v1/systems/@me/switches", token))
    assert [s["member_ids"] for s in native] == [[a["id"], b["id"]], [a["id"]]]
    listed = ok(v2("GET", "/systems/@me/switches", token))
    assert [s["id"] for s in listed] == [second["id"], first["id"]]
    assert ok(v2("GET", f"/systems/@me/switches?before={second['timestamp']}&limit=1", token))[0]["id"] == first["id"]
    pk_error(v2("POST", "/systems/@me/switches", token, json={"members": [b["id"]],
                                                              "timestamp": first["timestamp"]}), 400, 40005)
    back_dated = (start + timedelta(minutes=30)).isoformat()
    # A back-dated switch is inserted: B alone from then until the next switch, which stays; deleting it restores.
    inserted = ok(v2("POST", "/systems/@me/switches", token, json={"members": [b["id"]], "timestamp": back_dated}))
    assert [m["id"] for m in inserted["members"]] == [b["id"]]
    assert [(s["id"], s["members"]) for s in ok(v2("GET", "/systems/@me/switches", token))] == [
        (second["id"], [b["id"], a["id"]]), (inserted["id"], [b["id"]]), (first["id"], [a["id"]])]
    assert v2("DELETE", f"/systems/@me/switches/{inserted['id']}", token).status_code == 204
    assert [s["id"] for s in ok(v2("GET", "/systems/@me/switches", token))] == [second["id"], first["id"]]
    pk_error(v2("POST", "/systems/@me/switches", token, json={"members": [b["id"], a["id"]]}), 400, 40004)

    # Move the second switch 10 minutes earlier: the fronts at that change point move with it.
    moved_to = start + timedelta(minutes=50)
    moved = ok(v2("PATCH", f"/systems/@me/switches/{second['id']}", token, json={"timestamp": moved_to.isoformat()}))
    assert moved["id"] != second["id"] and moved["timestamp"].startswith(moved_to.strftime("%Y-%m-%dT%H:%M"))
    pk_error(v2("GET", f"/systems/@me/switches/{second['id']}", token), 404, 20008)
    b_front = [f for f in data(api.get("/api/v1/systems/@me/fronts", token)) if f["member_id"] == b["id"]]
    assert [f["started_at"][:16] for f in b_front] == [moved_to.strftime("%Y-%m-%dT%H:%M")]
    pk_error(v2("PATCH", f"/systems/@me/switches/{moved['id']}", token,
                json={"timestamp": (start - timedelta(hours=1)).isoformat()}), 400, 40001)

    # Replace the first switch's members: B instead of A until the next switch.
    replaced = ok(v2("PATCH", f"/systems/@me/switches/{first['id']}/members", token, json=[b["id"]]))
    assert [m["id"] for m in replaced["members"]] == [b["id"]]
    assert [s["members"] for s in ok(v2("GET", "/systems/@me/switches", token))] == [
        sorted([a["id"], b["id"]], key=[b["id"], a["id"]].index), [b["id"]]]

    # Deleting the latest switch continues the one before it.
    assert v2("DELETE", f"/systems/@me/switches/{moved['id']}", token).status_code == 204
    assert [s["members"] for s in ok(v2("GET", "/systems/@me/switches", token))] == [[b["id"]]]
    assert [m["id"] for m in ok(v2("GET", "/systems/@me/fronters", token))["members"]] == [b["id"]]


def test_native_fronters_appear_in_pluralkit(v2, api, owner):
    _, token = owner
    member = data(api.post("/api/v1/systems/@me/members", token, json={"name": "Native"}), 201)
    custom = data(api.post("/api/v1/systems/@me/members", token, json={"name": "Tired", "is_custom_front": True}),
                  201)
    data(api.put("/api/v1/systems/@me/fronters", token, json={"member_ids": [member["id"], custom["id"]]}))
    current = ok(v2("GET", "/systems/@me/fronters", token))
    assert [m["id"] for m in current["members"]] == [member["id"]]  # custom fronts are left out of PK shapes
    assert [m["id"] for m in ok(v2("GET", "/systems/@me/members", token))] == [member["id"]]
    pk_error(v2("GET", f"/members/{custom['id']}", token), 404, 20002)
    # A switch through PluralKit keeps the open custom front.
    ok(v2("POST", "/systems/@me/switches", token, json={"members": []}))
    assert [f["member_id"] for f in data(api.get("/api/v1/systems/@me/fronters", token))] == [custom["id"]]


def test_accounts_and_messages(server, v1, v2, api, owner):
    account, token = owner
    discord_id, message_id, original = (str(10 ** 17 + secrets.randbelow(10 ** 17)) for _ in range(3))
    member = ok(v2("POST", "/members", token, json={"name": "Proxy", "privacy": {"visibility": "public"}}))
    link_account(server, account, discord_id)
    record_message(server, account, message_id, sender=discord_id, member_uuid=member["uuid"], original=original)
    assert ok(v1("GET", f"/a/{discord_id}"))["id"] == account.system_id
    assert ok(v2("GET", f"/systems/{discord_id}"))["id"] == account.system_id
    assert v1("GET", "/a/123456789012345678").status_code == 404
    for ref in (message_id, original):
        message = ok(v2("GET", f"/messages/{ref}"))
        assert message["id"] == message_id and message["sender"] == discord_id and INSTANT.match(message["timestamp"])
        assert message["member"]["id"] == member["id"] and message["system"]["privacy"] is None
    legacy = ok(v1("GET", f"/msg/{message_id}"))
    assert set(legacy) == {"timestamp", "id", "original", "sender", "channel", "system", "member"}
    assert v1("GET", "/msg/123456789012345678").status_code == 404


def test_v1_shapes_and_patch_keeps_absent_keys(v1, v2, owner):
    account, token = owner
    system = ok(v1("PATCH", "/s", token, json={"name": "V1", "description": "kept", "tz": "Europe/Berlin",
                                               "front_privacy": "public"}))
    assert set(system) == V1_SYSTEM_KEYS and system["tz"] == "Europe/Berlin" and system["front_privacy"] == "public"
    system = ok(v1("PATCH", "/s", token, json={"tag": "{Sys}"}))
    assert system["description"] == "kept" and system["name"] == "V1" and system["tag"] == "{Sys}"
    public = ok(v1("GET", f"/s/{account.system_id}"))
    assert all(public[key] is None for key in V1_SYSTEM_KEYS if key.endswith("_privacy"))

    member = ok(v1("POST", "/m", token, json={"name": "Craig", "prefix": "[", "suffix": "]", "color": "ff7000",
                                              "visibility": "public"}))
    assert set(member) == V1_MEMBER_KEYS and member["proxy_tags"] == [{"prefix": "[", "suffix": "]"}]
    member = ok(v1("PATCH", f"/m/{member['id']}", token, json={"pronouns": "they/them", "suffix": "}"}))
    assert member["color"] == "ff7000" and member["prefix"] == "[" and member["suffix"] == "}"
    assert member["visibility"] == "public" and member["pronouns"] == "they/them"
    assert v1("GET", "/s/@me/fronters", token).status_code == 404  # v1: no switches is 404, not 204
    assert v1("POST", "/s/switches", token, json={"members": [member["id"]]}).status_code == 204
    fronters = ok(v1("GET", "/s/@me/fronters", token))
    assert [m["id"] for m in fronters["members"]] == [member["id"]] and set(fronters) == {"timestamp", "members"}
    assert ok(v1("GET", "/s/@me/switches", token)) == [{"timestamp": fronters["timestamp"], "members": [member["id"]]}]
    assert ok(v2("GET", "/systems/@me/fronters", token))["timestamp"] == fronters["timestamp"]
    assert v1("DELETE", f"/m/{member['id']}", token).status_code == 204
    assert v1("GET", f"/m/{member['id']}", token).text == "Member not found."


def test_rate_limit_headers(v2, owner):
    _, token = owner
    response = v2("GET", "/systems/@me", token)
    assert int(response.headers["x-ratelimit-limit"]) > 0 and int(response.headers["x-ratelimit-remaining"]) >= 0
    assert response.headers["x-ratelimit-scope"] == "generic_get"
    reset_ms = int(response.headers["x-ratelimit-reset"])  # UNIX time in milliseconds, as PluralKit's docs say
    assert 0 <= reset_ms - datetime.now(UTC).timestamp() * 1000 <= 3_600_000


def test_429_in_pluralkits_format(make_server, api):
    limited = make_server(rate_limit_read=1)
    client = limited.api()
    try:
        # A budget of one per window: of three requests, at least one is refused even if two windows are spanned.
        responses = [client.client.get("/pk/v2/systems/abcdef") for _ in range(3)]
        response = next(r for r in responses if r.status_code == 429)
        body = pk_error(response, 429, 0)
        assert body["retry_after"] > 0 and body["scope"] == "generic_get"
    finally:
        client.close()

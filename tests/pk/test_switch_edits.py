"""PluralKit switch edits as translations of the native switch operations: back-dated switches, PluralKit's codes for
what the native operations refuse, custom fronts kept, and the error table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pluralspace.pk.errors import PkCode
from pluralspace.pk.switches import _digest

from ..helpers import data
from .helpers import Pk, ok, owner_token, pk_error

SWITCHES = "/systems/@me/switches"


def minutes(start: datetime, n: int) -> str:
    return (start + timedelta(minutes=n)).isoformat()


def test_back_dated_switches_and_the_codes_of_refused_edits(api):
    v2 = Pk(api)
    account = api.register()
    token = owner_token(api, account)
    a, b = (ok(v2("POST", "/members", token, json={"name": name}))["id"] for name in "AB")
    custom = data(api.post("/api/v1/systems/@me/members", account.session,
                           json={"name": "Tired", "is_custom_front": True}), 201)
    start = datetime.now(UTC) - timedelta(hours=2)
    data(api.post("/api/v1/systems/@me/fronts", account.session,
                  json={"member_id": custom["id"], "started_at": minutes(start, -30)}), 201)  # open all along
    first = ok(v2("POST", SWITCHES, token, json={"members": [a], "timestamp": minutes(start, 0)}))
    last = ok(v2("POST", SWITCHES, token, json={"members": [b], "timestamp": minutes(start, 60)}))
    # Inserted between them, the custom front left as it is.
    middle = ok(v2("POST", SWITCHES, token, json={"members": [a, b], "timestamp": minutes(start, 30)}))
    assert [[m["id"] for m in s["members"]] for s in (first, middle, last)] == [[a], [a, b], [b]]
    # (The custom front's start is a switch too, with no members PluralKit knows.)
    assert [s["id"] for s in ok(v2("GET", SWITCHES, token))][:3] == [last["id"], middle["id"], first["id"]]
    assert custom["id"] in [f["member_id"] for f in data(api.get("/api/v1/systems/@me/fronters", account.session))]
    # Before everything: the members front until the first switch.
    earliest = ok(v2("POST", SWITCHES, token, json={"members": [b], "timestamp": minutes(start, -10)}))
    assert [s["members"] for s in ok(v2("GET", SWITCHES, token))][-3:] == [[a], [b], []]
    history = ok(v2("GET", SWITCHES, token))

    pk_error(v2("POST", SWITCHES, token, json={"members": [a], "timestamp": middle["timestamp"]}), 400, 40005)
    pk_error(v2("POST", SWITCHES, token, json={"members": [a], "timestamp": minutes(start, 10)}), 400, 40004)
    pk_error(v2("POST", SWITCHES, token, json={"members": [a, a]}), 400, 40003)
    pk_error(v2("PATCH", f"{SWITCHES}/{middle['id']}", token, json={"timestamp": last["timestamp"]}), 400, 40005)
    moved_over = pk_error(v2("PATCH", f"{SWITCHES}/{middle['id']}", token, json={"timestamp": minutes(start, 90)}),
                          400, 40001)
    assert set(moved_over["errors"]) == {"timestamp"}
    pk_error(v2("PATCH", f"{SWITCHES}/{middle['id']}", token, json={}), 400, 40001)
    pk_error(v2("PATCH", f"{SWITCHES}/{middle['id']}/members", token, json=[b, a]), 400, 40004)
    vanishing = pk_error(v2("PATCH", f"{SWITCHES}/{middle['id']}/members", token, json=[a]), 400, 40001)
    assert set(vanishing["errors"]) == {"members"}
    pk_error(v2("PATCH", f"{SWITCHES}/{middle['id']}/members", token, json=["zzzzzz"]), 404, 20003)
    pk_error(v2("DELETE", f"{SWITCHES}/not-a-switch", token), 400, 40006)
    assert ok(v2("GET", SWITCHES, token)) == history  # nothing changed

    assert v2("DELETE", f"{SWITCHES}/{earliest['id']}", token).status_code == 204
    assert [s["members"] for s in ok(v2("GET", SWITCHES, token))] == [[b], [a, b], [a], []]


def test_a_switch_id_past_year_9999_is_not_found(api):
    """A switch id carries its time and a digest anyone can compute: a well-formed id for no representable time."""
    v2 = Pk(api)
    account = api.register()
    micros = (1 << 60) - 1
    value = (micros >> 12) << 80 | 0x8 << 76 | (micros & 0xFFF) << 64 | 0b10 << 62 | _digest(
        uuid.UUID(account.system_uuid), micros)
    ident = str(uuid.UUID(int=value))
    for method in ("GET", "DELETE"):
        pk_error(v2(method, f"{SWITCHES}/{ident}", owner_token(api, account)), 404, 20008)


def test_one_table_of_error_codes():
    entries = [(code.code, code.status, code.message) for code in PkCode]
    assert len(set(entries)) == len(entries)
    numbered = [code for code in PkCode if code.code]
    assert len({code.code for code in numbered}) == len(numbered)  # a number means one error
    assert all(str(code.code)[0] == {404: "2", 403: "3", 400: "4"}[code.status] for code in numbered)

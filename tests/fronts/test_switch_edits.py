"""One switch through the native API: read by its timestamp, added (back-dated too), moved, its members replaced,
removed; each carried out on the fronts, which never overlap, and every refusal changes nothing."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta, timezone

import pytest

from pluralspace.fronts.switches import brute_force_switches

from ..helpers import QueryCounter, answer, data, error
from .common import FRONTERS, SWITCHES, at, front, member
from .test_switches import _all_fronts, _all_switches, _as_json, _interval


def history(api, token) -> tuple[list[dict], list[dict]]:
    """The system's fronts and switches, to compare before and after a refused request."""
    return sorted(_all_fronts(api, token), key=lambda f: f["id"]), _all_switches(api, token, limit=200)


def assert_consistent(api, token) -> list[dict]:
    """No member's fronts overlap, and /switches is what the fronts say; the switches, newest first."""
    fronts = _all_fronts(api, token)
    by_member: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for interval in map(_interval, fronts):
        by_member.setdefault(interval.member, []).append((interval.start, interval.end))
    for spans in by_member.values():
        spans.sort()
        for (_, end), (next_start, _) in itertools.pairwise(spans):
            assert end is not None and end <= next_start, spans
    switches = _all_switches(api, token, limit=200)
    assert switches == _as_json(brute_force_switches([_interval(f) for f in fronts]))
    return switches


def switches_by_minute(api, token, names: dict[str, str]) -> list[tuple[str, list[str]]]:
    """The switches as (timestamp, member names), newest first."""
    return [(s["timestamp"], [names[m] for m in s["member_ids"]]) for s in assert_consistent(api, token)]


@pytest.fixture
def abc(api):
    """A system with the history A [0, 20), B [10, 30), C [30, now): switches at 0 (A), 10 (A B), 20 (B), 30 (C)."""
    account = api.register()
    members = {name: member(api, account.session, name) for name in "ABC"}
    front(api, account.session, members["A"]["id"], 0, 20)
    front(api, account.session, members["B"]["id"], 10, 30)
    front(api, account.session, members["C"]["id"], 30)
    names = {m["id"]: name for name, m in members.items()}
    assert switches_by_minute(api, account.session, names) == [
        (at(30), ["C"]), (at(20), ["B"]), (at(10), ["A", "B"]), (at(0), ["A"])]
    return account, members, names


def test_one_switch_is_read_by_its_timestamp(api, abc):
    account, members, _ = abc
    switch = data(api.get(f"{SWITCHES}/{at(10)}", account.session))
    assert switch == {"timestamp": at(10), "member_ids": [members["A"]["id"], members["B"]["id"]]}
    same_instant = datetime.fromisoformat(at(10)).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert data(api.get(f"/api/v1/systems/{account.system_id}/switches/{same_instant}", account.session)) == switch
    error(api.get(f"{SWITCHES}/{at(5)}", account.session), 404, "NOT_FOUND")  # a time without a change
    for malformed in ("not-a-time", at(10).removesuffix("Z"), "2020-13-01T00:00:00Z"):
        error(api.get(f"{SWITCHES}/{malformed}", account.session), 422, "VALIDATION_FAILED")


def test_a_back_dated_switch_is_inserted_into_the_history(api, abc):
    account, members, names = abc
    created = data(api.post(SWITCHES, account.session, json={"timestamp": at(15), "member_ids": [members["C"]["id"]]}),
                   201)
    assert created == {"timestamp": at(15), "member_ids": [members["C"]["id"]]}
    # C fronts from 15 until the next switch, at 20, which stays: B alone again.
    assert switches_by_minute(api, account.session, names) == [
        (at(30), ["C"]), (at(20), ["B"]), (at(15), ["C"]), (at(10), ["A", "B"]), (at(0), ["A"])]
    assert [(f["started_at"], f["ended_at"]) for f in data(api.get(
        f"/api/v1/systems/@me/fronts?member={members['B']['id']}", account.session))] == [(at(20), at(30)),
                                                                                          (at(10), at(15))]
    # Without a timestamp: now, at the end of the history.
    latest = data(api.post(SWITCHES, account.session, json={"member_ids": [members["A"]["id"]]}), 201)
    assert data(api.get(FRONTERS, account.session))[0]["member_id"] == members["A"]["id"]
    assert latest["member_ids"] == [members["A"]["id"]]
    assert_consistent(api, account.session)


def test_moving_a_switch_moves_its_front_events(api, abc):
    account, members, names = abc
    moved = data(api.patch(f"{SWITCHES}/{at(20)}", account.session, json={"timestamp": at(25)}))
    assert moved == {"timestamp": at(25), "member_ids": [members["B"]["id"]]}
    error(api.get(f"{SWITCHES}/{at(20)}", account.session), 404, "NOT_FOUND")
    assert switches_by_minute(api, account.session, names) == [
        (at(30), ["C"]), (at(25), ["B"]), (at(10), ["A", "B"]), (at(0), ["A"])]
    # Both the start and the end at a change point move: 10 is B's start while A fronts on.
    data(api.patch(f"{SWITCHES}/{at(10)}", account.session, json={"timestamp": at(5)}))
    assert switches_by_minute(api, account.session, names) == [
        (at(30), ["C"]), (at(25), ["B"]), (at(5), ["A", "B"]), (at(0), ["A"])]
    # The same timestamp changes nothing.
    assert data(api.patch(f"{SWITCHES}/{at(5)}", account.session, json={"timestamp": at(5)}))["timestamp"] == at(5)


def test_replacing_a_switchs_members(api, abc):
    account, members, names = abc
    a, c = members["A"]["id"], members["C"]["id"]
    replaced = data(api.patch(f"{SWITCHES}/{at(10)}", account.session, json={"member_ids": [c, a]}))
    assert replaced == {"timestamp": at(10), "member_ids": [a, c]}  # in the order they started fronting
    assert switches_by_minute(api, account.session, names) == [
        (at(30), ["C"]), (at(20), ["B"]), (at(10), ["A", "C"]), (at(0), ["A"])]
    # [] = nobody fronts from the switch until the next one; members and a move together.
    assert data(api.patch(f"{SWITCHES}/{at(20)}", account.session,
                          json={"member_ids": [], "timestamp": at(22)})) == {"timestamp": at(22), "member_ids": []}
    assert switches_by_minute(api, account.session, names) == [
        (at(30), ["C"]), (at(22), []), (at(10), ["A", "C"]), (at(0), ["A"])]
    # The members it has already: nothing changes.
    assert data(api.patch(f"{SWITCHES}/{at(22)}", account.session, json={"member_ids": []}))["member_ids"] == []


def test_deleting_a_switch_lets_the_fronters_before_it_front_on(api, abc):
    account, members, names = abc
    assert api.delete(f"{SWITCHES}/{at(20)}", account.session).status_code == 204
    assert switches_by_minute(api, account.session, names) == [(at(30), ["C"]), (at(10), ["A", "B"]), (at(0), ["A"])]
    error(api.delete(f"{SWITCHES}/{at(20)}", account.session), 404, "NOT_FOUND")
    assert api.delete(f"{SWITCHES}/{at(0)}", account.session).status_code == 204  # the first: nobody before it
    both = sorted("AB", key=lambda name: members[name]["id"])  # both start at 10 now: ordered by id
    assert switches_by_minute(api, account.session, names) == [(at(30), ["C"]), (at(10), both)]
    assert api.delete(f"{SWITCHES}/{at(30)}", account.session).status_code == 204
    assert {names[f["member_id"]] for f in data(api.get(FRONTERS, account.session))} == {"A", "B"}
    assert_consistent(api, account.session)


def test_bad_input_is_refused_and_changes_nothing(api, abc):
    account, members, _ = abc
    a, b, c = (members[name]["id"] for name in "ABC")
    other = api.register()
    theirs = member(api, other.session, "Theirs")
    front(api, other.session, theirs["id"], 12)
    before = history(api, account.session)
    refusals = [
        # unknown and malformed ids
        (api.patch(f"{SWITCHES}/{at(5)}", account.session, json={"timestamp": at(6)}), 404, "NOT_FOUND"),
        (api.delete(f"{SWITCHES}/{at(5)}", account.session), 404, "NOT_FOUND"),
        (api.patch(f"{SWITCHES}/yesterday", account.session, json={"timestamp": at(6)}), 422, "VALIDATION_FAILED"),
        (api.delete(f"{SWITCHES}/{at(10).removesuffix('Z')}", account.session), 422, "VALIDATION_FAILED"),
        # another account's switch is not one of this system's; another system's path is not this account's to edit
        (api.delete(f"{SWITCHES}/{at(12)}", account.session), 404, "NOT_FOUND"),
        (api.patch(f"{SWITCHES}/{at(12)}", account.session, json={"member_ids": []}), 404, "NOT_FOUND"),
        (api.delete(f"/api/v1/systems/{account.system_id}/switches/{at(10)}", other.session), 403, "FORBIDDEN"),
        (api.patch(f"/api/v1/systems/{account.system_id}/switches/{at(10)}", other.session, json={"member_ids": []}),
         403, "FORBIDDEN"),
        (api.post(f"/api/v1/systems/{account.system_id}/switches", other.session, json={"member_ids": []}), 403,
         "FORBIDDEN"),
        # moves across the changes around the switch, onto another switch, out of range
        (api.patch(f"{SWITCHES}/{at(20)}", account.session, json={"timestamp": at(35)}), 422, "VALIDATION_FAILED"),
        (api.patch(f"{SWITCHES}/{at(20)}", account.session, json={"timestamp": at(5)}), 422, "VALIDATION_FAILED"),
        (api.patch(f"{SWITCHES}/{at(20)}", account.session, json={"timestamp": at(30)}), 409, "CONFLICT"),
        (api.patch(f"{SWITCHES}/{at(20)}", account.session, json={"timestamp": None}), 422, "VALIDATION_FAILED"),
        (api.patch(f"{SWITCHES}/{at(20)}", account.session, json={"timestamp": "2999-01-01T00:00:00Z"}), 422,
         "VALIDATION_FAILED"),
        # a move fails after a valid change of members: the whole request is refused
        (api.patch(f"{SWITCHES}/{at(20)}", account.session, json={"member_ids": [c], "timestamp": at(5)}), 422,
         "VALIDATION_FAILED"),
        # members: the ones before the switch (it would vanish), null, another system's, unknown keys
        (api.patch(f"{SWITCHES}/{at(10)}", account.session, json={"member_ids": [a]}), 422, "VALIDATION_FAILED"),
        (api.patch(f"{SWITCHES}/{at(0)}", account.session, json={"member_ids": []}), 422, "VALIDATION_FAILED"),
        (api.patch(f"{SWITCHES}/{at(10)}", account.session, json={"member_ids": None}), 422, "VALIDATION_FAILED"),
        (api.patch(f"{SWITCHES}/{at(10)}", account.session, json={"member_ids": [theirs["id"]]}), 422,
         "VALIDATION_FAILED"),
        (api.patch(f"{SWITCHES}/{at(10)}", account.session, json={"members": [b]}), 422, "VALIDATION_FAILED"),
        # creating: at an existing switch, a set that changes nothing (empty where nobody fronts), bad members
        (api.post(SWITCHES, account.session, json={"timestamp": at(10), "member_ids": [c]}), 409, "CONFLICT"),
        (api.post(SWITCHES, account.session, json={"timestamp": at(15), "member_ids": [b, a]}), 409, "CONFLICT"),
        (api.post(SWITCHES, account.session, json={"timestamp": at(-5), "member_ids": []}), 409, "CONFLICT"),
        (api.post(SWITCHES, account.session, json={"timestamp": at(15)}), 422, "VALIDATION_FAILED"),
        (api.post(SWITCHES, account.session, json={"member_ids": ["zzzzzz"]}), 422, "VALIDATION_FAILED"),
        (api.post(SWITCHES, account.session, json={"member_ids": [], "timestamp": "1899-12-31T00:00:00Z"}), 422,
         "VALIDATION_FAILED"),
    ]
    for response, status, code in refusals:
        error(response, status, code)
    assert history(api, account.session) == before
    moved_over = error(api.patch(f"{SWITCHES}/{at(20)}", account.session, json={"timestamp": at(35)}), 422,
                       "VALIDATION_FAILED")
    assert moved_over["details"]["fields"]["timestamp"] == (f"must stay between the changes around this switch: "
                                                            f"after {at(10)} and before {at(30)}")
    conflict = error(api.post(SWITCHES, account.session, json={"timestamp": at(10), "member_ids": [c]}), 409,
                     "CONFLICT")
    assert conflict["details"]["reason"] == "switch_exists"
    same = error(api.post(SWITCHES, account.session, json={"timestamp": at(15), "member_ids": [b, a]}), 409,
                 "CONFLICT")
    assert same["details"]["reason"] == "no_change"
    assert "member_ids" in error(api.patch(f"{SWITCHES}/{at(10)}", account.session, json={"member_ids": [a]}), 422,
                                 "VALIDATION_FAILED")["details"]["fields"]


def test_scopes_and_privacy_of_one_switch(api):
    owner, stranger = api.register(), api.register()
    shown = member(api, owner.session, "Shown", privacy={"visibility": "public"})
    hidden = member(api, owner.session, "Hidden")
    front(api, owner.session, shown["id"], 0, 30)
    front(api, owner.session, hidden["id"], 10, 20)
    path = f"/api/v1/systems/{owner.system_id}/switches"
    for viewer in (None, stranger.session):
        error(api.get(f"{path}/{at(0)}", viewer), 403, "FORBIDDEN")  # the front history is private
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"front_history": "public"}}))
    reader = api.pat(owner, "fronts:read")
    assert data(api.get(f"{path}/{at(10)}", reader))["member_ids"] == [shown["id"], hidden["id"]]
    error(api.patch(f"{path}/{at(10)}", reader, json={"timestamp": at(11)}), 403, "INSUFFICIENT_SCOPE")
    error(api.delete(f"{path}/{at(10)}", reader), 403, "INSUFFICIENT_SCOPE")
    for viewer in (None, stranger.session, api.pat(stranger, "fronts:read")):
        assert data(api.get(f"{path}/{at(0)}", viewer)) == {"timestamp": at(0), "member_ids": [shown["id"]]}
        for hidden_only in (at(10), at(20)):  # changes only the hidden member makes: no switch for them
            assert answer(api.get(f"{path}/{hidden_only}", viewer), hidden_only) == answer(
                api.get(f"{path}/{at(15)}", viewer), at(15))
            error(api.get(f"{path}/{hidden_only}", viewer), 404, "NOT_FOUND")


@pytest.mark.parametrize("seed", [7, 1312])
def test_random_edits_keep_the_fronts_free_of_overlaps(api, seed):
    """Random inserts, moves, member changes and deletions: after each, the fronts never overlap, /switches is what
    the fronts say, and the edited switch is as asked (or the edit was refused and nothing changed)."""
    rng = random.Random(seed)
    account = api.register()
    ids = [member(api, account.session, f"m{i}")["id"] for i in range(4)]
    for step in range(10):
        data(api.post(SWITCHES, account.session, json={"timestamp": at(6 * step),
                                                       "member_ids": [ids[step % 4], ids[(step + 1) % 4]]}), 201)
    for _ in range(30):
        switches = assert_consistent(api, account.session)
        chosen = rng.choice(switches)["timestamp"]
        wanted = sorted(rng.sample(ids, rng.randint(0, 3)))
        kind = rng.choice(["insert", "move", "members", "delete"])
        before = history(api, account.session)
        if kind == "insert":
            moment = at(rng.randint(-5, 70))
            response = api.post(SWITCHES, account.session, json={"timestamp": moment, "member_ids": wanted})
        elif kind == "move":
            moved = datetime.fromisoformat(chosen) + timedelta(minutes=rng.randint(-3, 3))
            moment = moved.isoformat().replace("+00:00", "Z")
            response = api.patch(f"{SWITCHES}/{chosen}", account.session, json={"timestamp": moment})
        elif kind == "members":
            moment = chosen
            response = api.patch(f"{SWITCHES}/{chosen}", account.session, json={"member_ids": wanted})
        else:
            response = api.delete(f"{SWITCHES}/{chosen}", account.session)
            assert response.status_code == 204, response.text
            assert chosen not in [s["timestamp"] for s in assert_consistent(api, account.session)]
            continue
        if response.status_code >= 400:
            assert response.status_code in (409, 422), response.text
            assert history(api, account.session) == before
            continue
        switch = response.json()["data"]
        assert switch["timestamp"] == moment
        if kind != "move":
            assert sorted(switch["member_ids"]) == wanted
        assert switch in assert_consistent(api, account.session)


def test_an_edit_costs_the_same_queries_whatever_the_history_before_and_after_it(server, api):
    """Editing one switch reads the fronts around it, never the whole history."""
    counts = []
    for fronts_around in (4, 32):  # the same shape around the edit: A fronts at the middle, B next
        account = api.register()
        a, b = member(api, account.session, "A")["id"], member(api, account.session, "B")["id"]
        for step in range(fronts_around):  # A and B take turns, long before and long after the edited switch
            front(api, account.session, (a, b)[step % 2], 1000 * step, 1000 * step + 500)
        middle = 1000 * (fronts_around // 2)
        api.get(SWITCHES, account.session)  # warm the token look-up path
        with QueryCounter(server) as counted:
            data(api.post(SWITCHES, account.session, json={"timestamp": at(middle + 600), "member_ids": [a, b]}), 201)
            data(api.patch(f"{SWITCHES}/{at(middle + 600)}", account.session, json={"timestamp": at(middle + 700)}))
            data(api.patch(f"{SWITCHES}/{at(middle + 700)}", account.session, json={"member_ids": [b]}))
            assert api.delete(f"{SWITCHES}/{at(middle + 700)}", account.session).status_code == 204
            data(api.get(f"{SWITCHES}/{at(middle)}", account.session))
        counts.append(len(counted.statements))
    assert counts[0] == counts[1], counts

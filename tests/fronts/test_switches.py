from __future__ import annotations

import random
from datetime import datetime

import pytest

from pluralspace.fronts.switches import Interval, Switch, brute_force_switches, change_points

from ..helpers import data, error
from .common import BASE, FRONTERS, FRONTS, SWITCHES, at, front, member


def _all_fronts(api, token) -> list[dict]:
    fronts, cursor = [], None
    while True:
        body = api.get(FRONTS, token, params={"limit": 200} | ({"cursor": cursor} if cursor else {})).json()
        fronts += body["data"]
        cursor = body["pagination"]["cursor"]
        if cursor is None:
            return fronts


def _all_switches(api, token, limit: int) -> list[dict]:
    switches, before = [], None
    while True:
        body = api.get(SWITCHES, token, params={"limit": limit} | ({"before": before} if before else {})).json()
        assert len(body["data"]) <= limit
        switches += body["data"]
        before = body["pagination"]["cursor"]
        if before is None:
            return switches
        assert before == body["data"][-1]["timestamp"]


def _interval(front: dict) -> Interval:
    end = datetime.fromisoformat(front["ended_at"]) if front["ended_at"] else None
    return Interval(front["member_id"], datetime.fromisoformat(front["started_at"]), end)


def _as_json(switches: list[Switch]) -> list[dict]:
    return [{"timestamp": s.timestamp.isoformat().replace("+00:00", "Z"), "member_ids": list(s.member_ids)}
            for s in switches]


def test_switches_of_a_simple_history(api):
    account = api.register()
    a, b = member(api, account.session, "A"), member(api, account.session, "B")
    data(api.put(FRONTERS, account.session, json={"member_ids": [a["id"]], "at": at(0)}))
    data(api.put(FRONTERS, account.session, json={"member_ids": [a["id"], b["id"]], "at": at(10)}))
    data(api.put(FRONTERS, account.session, json={"member_ids": [b["id"]], "at": at(20)}))
    data(api.put(FRONTERS, account.session, json={"member_ids": [], "at": at(30)}))
    front(api, account.session, a["id"], start=40, end=50)
    front(api, account.session, a["id"], start=50, end=60)  # back to back: no switch at 50
    expected = [
        {"timestamp": at(60), "member_ids": []},
        {"timestamp": at(40), "member_ids": [a["id"]]},
        {"timestamp": at(30), "member_ids": []},
        {"timestamp": at(20), "member_ids": [b["id"]]},
        {"timestamp": at(10), "member_ids": [a["id"], b["id"]]},
        {"timestamp": at(0), "member_ids": [a["id"]]},
    ]
    assert data(api.get(SWITCHES, account.session)) == expected
    assert _all_switches(api, account.session, limit=1) == expected
    assert _all_switches(api, account.session, limit=2) == expected
    assert data(api.get(SWITCHES, account.session, params={"before": at(40)})) == expected[2:]
    assert data(api.get(SWITCHES, account.session, params={"cursor": at(40), "limit": 1})) == expected[2:3]
    error(api.get(SWITCHES, account.session, params={"before": at(40), "cursor": at(40)}), 422, "VALIDATION_FAILED")
    error(api.get(SWITCHES, account.session, params={"limit": 0}), 422, "VALIDATION_FAILED")
    error(api.get(SWITCHES, account.session, params={"before": "2020-01-01"}), 422, "VALIDATION_FAILED")


def test_a_system_without_fronts_has_no_switches(api):
    account = api.register()
    body = api.get(SWITCHES, account.session).json()
    assert body["data"] == [] and body["pagination"] == {"limit": 50, "cursor": None, "has_more": False}


@pytest.mark.parametrize("seed", [4, 2024])
def test_switches_agree_with_the_fronts_they_come_from(api, seed):
    """A random history built through the API: /switches equals a brute-force recomputation from /fronts."""
    rng = random.Random(seed)
    account = api.register()
    members = [member(api, account.session, f"m{i}")["id"] for i in range(4)]
    free_from = dict.fromkeys(members, 0)  # minutes after BASE after which a closed member's fronts all end
    open_since: dict[str, int] = {}  # members fronting now -> start of their open front
    made = 0
    while made < 40:
        who = rng.choice(members)
        if rng.random() < 0.3:  # a change of the whole set through PUT /fronters
            moment = max([*free_from.values(), *(s + 1 for s in open_since.values())]) + rng.choice([0, 1, 2, 5])
            chosen = rng.sample(members, rng.randint(0, 3))
            data(api.put(FRONTERS, account.session, json={"member_ids": chosen, "at": at(moment)}))
            for each in members:
                if each in chosen and each not in open_since:
                    open_since[each] = moment
                    made += 1
                elif each not in chosen and each in open_since:
                    del open_since[each]
                    free_from[each] = moment
            continue
        if who in open_since:
            if rng.random() < 0.5:
                end = open_since.pop(who) + rng.choice([1, 4])
                fronts = data(api.get(FRONTS, account.session, params={"member": who, "active": "true"}))
                data(api.post(f"{FRONTS}/{fronts[0]['id']}/end", account.session, json={"ended_at": at(end)}))
                free_from[who] = end
            continue
        start = free_from[who] + rng.choice([0, 0, 1, 3, 7])  # 0: touching the previous front
        end = start + rng.choice([1, 2, 5, 10]) if rng.random() < 0.85 else None
        front(api, account.session, who, start=start, end=end)
        if end is None:
            open_since[who] = start
        else:
            free_from[who] = end
        made += 1
    fronts = _all_fronts(api, account.session)
    assert len(fronts) >= 40
    expected = _as_json(brute_force_switches([_interval(f) for f in fronts]))
    assert expected and _all_switches(api, account.session, limit=50) == expected
    assert _all_switches(api, account.session, limit=3) == expected
    assert _all_switches(api, account.session, limit=1) == expected


def test_change_points_ignore_fronts_outside_the_window():
    t = [BASE.replace(minute=m) for m in range(6)]
    intervals = [Interval("a", t[0], t[2]), Interval("a", t[2], t[4]), Interval("b", t[1], None)]
    assert change_points(intervals, t) == [Switch(t[4], ("b",)), Switch(t[1], ("a", "b")), Switch(t[0], ("a",))]
    assert brute_force_switches(intervals) == change_points(intervals, t)

"""Wrapped: recaps computed from a hand-made history in a system whose time zone is not UTC.

The system is in America/New_York (UTC-5 in January 2026), so January 2026 runs from 2026-01-01T05:00Z to
2026-02-01T05:00Z. The history (UTC):

    Ash    2026-01-01 04:00 - 07:00   (local 23:00 on Dec 31 to 02:00: two hours fall in January)
    Birch  2026-01-01 06:00 - 09:00   (fronting with Ash 06:00-07:00)
    Cedar  2026-01-05 12:00 - 13:00   (a private member)
    Ash    2026-01-10 15:00 - 16:30   (Saturday, local 10:00-11:30)
    Birch  2026-02-02 00:00 - 01:00   (February)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ..helpers import data, error

ME = "/api/v1/systems/@me"
HOUR = 3600


def front(api, token, member_id: str, start: str, end: str) -> None:
    data(api.post(f"{ME}/fronts", token, json={"member_id": member_id, "started_at": start, "ended_at": end}), 201)


@pytest.fixture
def history(api):
    owner = api.register()
    token = owner.session
    data(api.patch(ME, token, json={"timezone": "America/New_York"}))
    public = {"visibility": "public", "name": "public"}
    ash = data(api.post(f"{ME}/members", token, json={"name": "Ash", "privacy": public}), 201)
    birch = data(api.post(f"{ME}/members", token, json={"name": "Birch", "privacy": {"visibility": "public"}}), 201)
    cedar = data(api.post(f"{ME}/members", token, json={"name": "Cedar"}), 201)
    front(api, token, ash["id"], "2026-01-01T04:00:00Z", "2026-01-01T07:00:00Z")
    front(api, token, birch["id"], "2026-01-01T06:00:00Z", "2026-01-01T09:00:00Z")
    front(api, token, cedar["id"], "2026-01-05T12:00:00Z", "2026-01-05T13:00:00Z")
    front(api, token, ash["id"], "2026-01-10T15:00:00Z", "2026-01-10T16:30:00Z")
    front(api, token, birch["id"], "2026-02-02T00:00:00Z", "2026-02-02T01:00:00Z")
    return owner, ash["id"], birch["id"], cedar["id"]


def test_a_month_in_the_systems_time_zone(api, history):
    owner, ash, birch, cedar = history
    recap = data(api.get(f"{ME}/wrapped/2026/1", owner.session))
    assert (recap["period"], recap["kind"], recap["final"]) == ("2026-01", "month", True)
    assert (recap["start"], recap["end"]) == ("2026-01-01T05:00:00Z", "2026-02-01T05:00:00Z")
    fronting = recap["fronting"]
    assert fronting["total_seconds"] == 6.5 * HOUR
    assert fronting["switch_count"] == 7  # Ash's first start falls in December
    assert fronting["members"] == [
        {"member_id": ash, "name": "Ash", "seconds": 3.5 * HOUR, "share": round(3.5 / 6.5, 4), "sessions": 2,
         "longest_session_seconds": 2 * HOUR},
        {"member_id": birch, "name": "Birch", "seconds": 3 * HOUR, "share": round(3 / 6.5, 4), "sessions": 1,
         "longest_session_seconds": 3 * HOUR},
        {"member_id": cedar, "name": "Cedar", "seconds": HOUR, "share": round(1 / 6.5, 4), "sessions": 1,
         "longest_session_seconds": HOUR},
    ]
    assert fronting["top_cofronts"] == [{"member_ids": sorted([ash, birch]), "seconds": HOUR}]
    assert fronting["longest_session"] == {"member_id": birch, "started_at": "2026-01-01T06:00:00Z",
                                           "ended_at": "2026-01-01T09:00:00Z", "seconds": 3 * HOUR}
    by_hour = [0] * 24
    by_hour[0] = by_hour[1] = by_hour[2] = by_hour[3] = HOUR  # Jan 1, local 00:00-04:00
    by_hour[7] = HOUR  # Cedar, local 07:00
    by_hour[10], by_hour[11] = HOUR, HOUR // 2  # Ash, local 10:00-11:30
    assert fronting["by_hour"] == by_hour
    assert fronting["by_weekday"] == [HOUR, 0, 0, 4 * HOUR, 0, 1.5 * HOUR, 0]  # Mon Jan 5, Thu Jan 1, Sat Jan 10
    assert recap["members"] == {"created": 0, "archived": 0}
    assert recap["journal"] == {"entries": 0, "words": 0}


def test_a_year_and_the_list_of_periods(api, history):
    owner, ash, _birch, _cedar = history
    year = data(api.get(f"{ME}/wrapped/2026", owner.session))
    assert (year["period"], year["kind"], year["final"]) == ("2026", "year", False)
    assert year["fronting"]["total_seconds"] == 7.5 * HOUR  # February's hour too
    december = data(api.get(f"{ME}/wrapped/2025/12", owner.session))["fronting"]
    assert december["total_seconds"] == HOUR and december["members"][0]["member_id"] == ash
    periods = [p["period"] for p in data(api.get(f"{ME}/wrapped", owner.session, params={"limit": 200}))]
    now = datetime.now(UTC)  # the system's local month can differ near a month's end: allow either
    assert periods[0] in {f"{now.year:04d}-{now.month:02d}", f"{now.year:04d}-{now.month - 1:02d}"}
    assert periods[-4:] == ["2026-01", "2026", "2025-12", "2025"]  # from the oldest front, not the creation


def test_this_months_counts_for_the_owner(api, history):
    owner, ash, _birch, cedar = history
    token = owner.session
    data(api.patch(f"{ME}/members/{cedar}", token, json={"archived": True}))
    data(api.post(f"{ME}/journal", token, json={"body": "one two three"}), 201)
    data(api.post(f"{ME}/journal", token, json={"body": "four\nfive"}), 201)
    poll = data(api.post(f"{ME}/polls", token, json={"title": "Tea?", "options": [{"label": "Yes"},
                                                                                 {"label": "No"}]}), 201)
    data(api.post(f"{ME}/polls/{poll['id']}/votes", token, json={"member_id": ash, "kind": "choice",
                                                                 "option_ids": [poll["options"][0]["id"]]}), 201)
    data(api.put(f"{ME}/thought", token, json={"text": "Calm."}))
    month = data(api.get(f"{ME}/wrapped", token))[0]["period"]
    recap = data(api.get(f"{ME}/wrapped/{month.replace('-', '/')}", token))
    assert recap["final"] is False
    assert recap["members"] == {"created": 3, "archived": 1}
    assert recap["journal"] == {"entries": 2, "words": 5}
    assert recap["polls"] == {"created": 1, "votes": 1}
    assert recap["thoughts"] == {"count": 1}


def test_others_see_it_only_when_public_and_never_private_members(api, history):
    owner, ash, birch, cedar = history
    path = f"/api/v1/systems/{owner.system_id}/wrapped/2026/1"
    error(api.get(path), 403, "FORBIDDEN")
    data(api.patch(ME, owner.session, json={"privacy": {"wrapped": "public"}}))
    recap = data(api.get(path))
    assert recap["fronting"] is None  # front_history is private: no fronting at all
    assert (recap["members"], recap["journal"], recap["polls"], recap["thoughts"]) == (None, None, None, None)
    assert (recap["period"], recap["start"], recap["final"]) == ("2026-01", "2026-01-01T05:00:00Z", True)
    data(api.patch(ME, owner.session, json={"privacy": {"front_history": "public"}}))
    recap = data(api.get(path))
    fronting = recap["fronting"]
    assert fronting["total_seconds"] == 5.5 * HOUR and fronting["switch_count"] == 5  # Cedar left out entirely
    assert [(m["member_id"], m["name"]) for m in fronting["members"]] == [(ash, "Ash"), (birch, None)]
    assert cedar not in str(recap)
    assert (recap["members"], recap["journal"], recap["polls"], recap["thoughts"]) == (None, None, None, None)
    other = api.register()
    assert data(api.get(path, api.pat(other, "wrapped:read")))["fronting"] == fronting
    # Hiding a member restates the stored month for others; the owner still sees everyone.
    data(api.patch(f"{ME}/members/{birch}", owner.session, json={"privacy": {"visibility": "private"}}))
    hidden = data(api.get(path))["fronting"]
    assert hidden["total_seconds"] == 3.5 * HOUR and hidden["top_cofronts"] == [] and birch not in str(hidden)
    assert len(data(api.get(path, owner.session))["fronting"]["members"]) == 3


def test_an_open_front_needs_front_public_for_others(api):
    owner = api.register()
    data(api.patch(ME, owner.session, json={"privacy": {"wrapped": "public", "front_history": "public"}}))
    ash = data(api.post(f"{ME}/members", owner.session, json={"name": "Ash", "privacy": {"visibility": "public"}}),
               201)
    birch = data(api.post(f"{ME}/members", owner.session,
                          json={"name": "Birch", "privacy": {"visibility": "public"}}), 201)
    front(api, owner.session, ash["id"], "2025-03-01T00:00:00Z", "2025-03-01T02:00:00Z")
    data(api.post(f"{ME}/fronts", owner.session, json={"member_id": birch["id"], "started_at": "2025-03-31T00:00:00Z"}),
         201)  # still fronting: a day of March, and every day since
    path = f"/api/v1/systems/{owner.system_id}/wrapped/2025/3"
    mine = data(api.get(path, owner.session))["fronting"]
    assert mine["total_seconds"] == 2 * HOUR + 24 * HOUR and mine["switch_count"] == 3
    assert mine["longest_session"] == {"member_id": birch["id"], "started_at": "2025-03-31T00:00:00Z",
                                       "ended_at": None, "seconds": 24 * HOUR}
    theirs = data(api.get(path))["fronting"]  # front is private: the open front is left out
    assert theirs["total_seconds"] == 2 * HOUR and [m["member_id"] for m in theirs["members"]] == [ash["id"]]
    assert birch["id"] not in str(theirs) and theirs["switch_count"] == 2
    data(api.patch(ME, owner.session, json={"privacy": {"front": "public"}}))
    assert data(api.get(path))["fronting"]["total_seconds"] == 26 * HOUR
    current = data(api.get(f"/api/v1/systems/{owner.system_id}/wrapped", params={"limit": 1}))[0]["period"]
    live = data(api.get(f"/api/v1/systems/{owner.system_id}/wrapped/{current.replace('-', '/')}"))
    assert live["final"] is False and live["fronting"]["members"][0]["member_id"] == birch["id"]


def test_daylight_saving_changes_count_local_hours(api):
    owner = api.register()
    data(api.patch(ME, owner.session, json={"timezone": "America/New_York"}))
    ash = data(api.post(f"{ME}/members", owner.session, json={"name": "Ash"}), 201)["id"]
    # 2025-03-09 02:00 EST becomes 03:00 EDT: 06:00-08:00Z is local 01:00-04:00, two hours long.
    front(api, owner.session, ash, "2025-03-09T06:00:00Z", "2025-03-09T08:00:00Z")
    # 2025-11-02 02:00 EDT becomes 01:00 EST: 05:00-07:00Z is local 01:00 twice.
    front(api, owner.session, ash, "2025-11-02T05:00:00Z", "2025-11-02T07:00:00Z")
    march = data(api.get(f"{ME}/wrapped/2025/3", owner.session))
    assert (march["start"], march["end"]) == ("2025-03-01T05:00:00Z", "2025-04-01T04:00:00Z")
    assert march["fronting"]["by_hour"][1] == HOUR and march["fronting"]["by_hour"][3] == HOUR
    assert march["fronting"]["by_hour"][2] == 0 and march["fronting"]["by_weekday"][6] == 2 * HOUR  # a Sunday
    november = data(api.get(f"{ME}/wrapped/2025/11", owner.session))
    assert (november["start"], november["end"]) == ("2025-11-01T04:00:00Z", "2025-12-01T05:00:00Z")
    assert november["fronting"]["by_hour"][1] == 2 * HOUR and sum(november["fronting"]["by_hour"]) == 2 * HOUR


def test_a_finished_period_is_stored_until_a_change_touches_it(api, history):
    owner, ash, _birch, cedar = history
    token = owner.session
    path = f"{ME}/wrapped/2026/1"
    first = data(api.get(path, token))
    assert data(api.get(path, token)) == first  # served from storage: the same generated_at
    data(api.get(f"{ME}/wrapped/2025/12", token))
    # A front in February does not touch January...
    front(api, token, ash, "2026-02-10T00:00:00Z", "2026-02-10T01:00:00Z")
    assert data(api.get(path, token)) == first
    # ...one in January does, and so does a journal entry dated in it.
    front(api, token, cedar, "2026-01-20T00:00:00Z", "2026-01-20T02:00:00Z")
    second = data(api.get(path, token))
    assert second["generated_at"] > first["generated_at"]
    assert second["fronting"]["total_seconds"] == first["fronting"]["total_seconds"] + 2 * HOUR
    data(api.post(f"{ME}/journal", token, json={"body": "back then", "created_at": "2026-01-15T12:00:00Z"}), 201)
    assert data(api.get(path, token))["journal"] == {"entries": 1, "words": 2}
    fronts = data(api.get(f"{ME}/fronts", token, params={"member": cedar, "limit": 200}))
    late = next(f for f in fronts if f["started_at"] == "2026-01-20T00:00:00Z")
    assert api.delete(f"{ME}/fronts/{late['id']}", token).status_code == 204
    assert data(api.get(path, token))["fronting"] == first["fronting"]
    # A new time zone restates every stored period.
    data(api.patch(ME, token, json={"timezone": "UTC"}))
    restated = data(api.get(path, token))
    assert (restated["start"], restated["end"]) == ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
    assert restated["fronting"]["total_seconds"] == 7.5 * HOUR  # Ash's December hour now falls in January
    assert data(api.get(f"{ME}/wrapped/2025/12", token))["fronting"]["total_seconds"] == 0


def test_the_list_of_periods_pages_newest_first(api, history):
    owner = history[0]
    every = data(api.get(f"{ME}/wrapped", owner.session, params={"limit": 200}))
    assert set(every[0]) == {"period", "kind", "start", "end", "final"}
    seen, cursor = [], None
    while True:
        response = api.get(f"{ME}/wrapped", owner.session, params={"limit": 5} | ({"cursor": cursor} if cursor else {}))
        body = response.json()
        seen += data(response)
        cursor = body["pagination"]["cursor"]
        assert body["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == every
    for bad in ("WyJhIiwxXQ", "not-a-cursor", "WyJ3cmFwcGVkIiwyMDI2LDEzXQ"):
        error(api.get(f"{ME}/wrapped", owner.session, params={"cursor": bad}), 422, "VALIDATION_FAILED")


@pytest.mark.parametrize("suffix, status, code", [
    ("2026/13", 422, "VALIDATION_FAILED"), ("2026/0", 422, "VALIDATION_FAILED"), ("1969", 422, "VALIDATION_FAILED"),
    ("twenty", 422, "VALIDATION_FAILED"), ("2099", 404, "NOT_FOUND"), ("2099/1", 404, "NOT_FOUND"),
])
def test_bad_periods(api, suffix, status, code):
    owner = api.register()
    error(api.get(f"{ME}/wrapped/{suffix}", owner.session), status, code)

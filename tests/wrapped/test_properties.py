"""Wrapped's database computation against the slow reference (reference.py) on random histories.

Each case is a new system with a random time zone (whole-hour, half-hour and 30-minute-DST zones), a few members
(some private), and random fronts around a past month that holds a daylight-saving change where the zone has one:
co-fronts, fronts crossing the period's bounds, back-to-back fronts of one member, and fronts still open.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ..helpers import data
from . import reference

ME = "/api/v1/systems/@me"
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Berlin"]
MONTHS = [(2025, 3), (2025, 4), (2025, 10), (2025, 11)]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def random_history(rng: random.Random, members: list[str], around: datetime) -> list[reference.Front]:
    fronts = []
    for member in members:
        moment = around - timedelta(days=rng.randint(0, 6), minutes=rng.randint(0, 1440))
        for _ in range(rng.randint(2, 7)):
            length = timedelta(minutes=rng.choice([5, 30, 90, 240, 600, 3000, 20000]) + rng.randint(0, 59))
            fronts.append(reference.Front(member, moment, moment + length))
            moment += length + timedelta(minutes=rng.choice([0, 0, 15, 120, 2000, 9000]))
        if rng.random() < 0.3:  # the member is still fronting
            fronts.append(reference.Front(member, moment, None))
    return fronts


def recap_fronting(recap: dict) -> dict:
    fronting = dict(recap["fronting"])
    fronting["members"] = [{k: v for k, v in m.items() if k != "name"} for m in fronting["members"]]
    longest = fronting["longest_session"]
    if longest is not None:
        fronting["longest_session"] = longest | {
            "started_at": datetime.fromisoformat(longest["started_at"]),
            "ended_at": longest["ended_at"] and datetime.fromisoformat(longest["ended_at"])}
    return fronting


@pytest.mark.parametrize("seed", range(10))
def test_database_computation_matches_the_reference(api, seed):
    rng = random.Random(seed)
    zone_name, (year, month) = rng.choice(ZONES), rng.choice(MONTHS)
    zone = ZoneInfo(zone_name)
    owner = api.register()
    data(api.patch(ME, owner.session, json={"timezone": zone_name, "privacy": {
        "wrapped": "public", "front_history": "public", "front": "public"}}))
    visible = {}
    for index in range(rng.randint(2, 5)):
        privacy = {"visibility": "public" if index == 0 or rng.random() < 0.6 else "private"}
        member = data(api.post(f"{ME}/members", owner.session, json={"name": f"m{index}", "privacy": privacy}), 201)
        visible[member["id"]] = privacy["visibility"] == "public"
    start = datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
    end = (datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)).astimezone(UTC)
    around = start + (end - start) * rng.choice([0, 0.5, 1])
    fronts = random_history(rng, list(visible), around)
    for front in fronts:
        body = {"member_id": front.member, "started_at": iso(front.started_at)}
        if front.ended_at is not None:
            body["ended_at"] = iso(front.ended_at)
        data(api.post(f"{ME}/fronts", owner.session, json=body), 201)
    path = f"/api/v1/systems/{owner.system_id}/wrapped/{year}/{month}"
    assert recap_fronting(data(api.get(path, owner.session))) == reference.fronting(fronts, start, end, zone)
    public = [front for front in fronts if visible[front.member]]
    assert recap_fronting(data(api.get(path))) == reference.fronting(public, start, end, zone)
    data(api.patch(ME, owner.session, json={"privacy": {"front": "private"}}))
    closed = [front for front in public if front.ended_at is not None]
    assert recap_fronting(data(api.get(path))) == reference.fronting(closed, start, end, zone)
    year_path = f"/api/v1/systems/{owner.system_id}/wrapped/{year}"
    year_start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    year_end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    assert recap_fronting(data(api.get(year_path, owner.session))) == reference.fronting(
        fronts, year_start, year_end, zone)

"""Shared helpers of the fronts tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..helpers import data

FRONTS = "/api/v1/systems/@me/fronts"
FRONTERS = "/api/v1/systems/@me/fronters"
SWITCHES = "/api/v1/systems/@me/switches"
MEMBERS = "/api/v1/systems/@me/members"

BASE = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=0)


def at(minutes: float) -> str:
    """A timestamp `minutes` after BASE, as the API writes it."""
    return (BASE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def member(api, token, name="Sage", **spec) -> dict:
    return data(api.post(MEMBERS, token, json={"name": name} | spec), 201)


def front(api, token, member_id, start=None, end=None, **extra) -> dict:
    body = {"member_id": member_id} | extra
    if start is not None:
        body["started_at"] = at(start)
    if end is not None:
        body["ended_at"] = at(end)
    return data(api.post(FRONTS, token, json=body), 201)

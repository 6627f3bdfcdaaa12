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


HIDDEN_HISTORY = {"S": ((0, 30), (50, None)), "H": ((10, 20), (30, 40), (45, 60))}
"""A history with a hidden member, minutes after BASE (S: a public member, H: one whose visibility is private):

    S  [0, 30)   [50, now)
    H      [10, 20)   [30, 40)  [45, 60)

The owner sees every change point (OWNER_SWITCHES). Anyone else sees the history of S alone (PUBLIC_SWITCHES): 50
(S), 30 (nobody: S stopped; H's start at the same time does not count) and 0 (S); the changes at 10, 20, 40, 45
and 60 are H's alone and are no switches for them.
"""
OWNER_SWITCHES = [(60, ["S"]), (50, ["H", "S"]), (45, ["H"]), (40, []), (30, ["H"]), (20, ["S"]), (10, ["S", "H"]),
                  (0, ["S"])]
PUBLIC_SWITCHES = [(50, ["S"]), (30, []), (0, ["S"])]


def hidden_history(api, token) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    """HIDDEN_HISTORY in the system of `token` (front and front history public): its members and fronts by name.
    H's name and comments carry a marker that no other viewer may ever read."""
    data(api.patch("/api/v1/systems/@me", token, json={"privacy": {"front": "public", "front_history": "public"}}))
    members = {"S": member(api, token, "Shown", privacy={"visibility": "public", "name": "public"}),
               "H": member(api, token, "Hidden Marker")}
    fronts = {name: [front(api, token, members[name]["id"], start, end, comment=f"{name} marker")
                     for start, end in spans] for name, spans in HIDDEN_HISTORY.items()}
    return members, fronts

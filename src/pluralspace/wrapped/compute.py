"""The fronting part of a recap, computed by the database in one statement.

Times are integer microseconds since the epoch inside the statement (exact sums on both engines). The steps:

* `pieces`: the fronts overlapping [start, until) of the members counted (`counted`, an inline table the caller
  fills: the members the recap is about, each with its position and two random 40-bit keys); `clipped`: the same,
  cut to [start, until) (never empty: a front ends after it starts);
* `events`: +1 at each piece's start, -1 at its end, flagged `real` when that is the front's own start or end
  inside the period (not a cut made by the period's bounds);
* `running`: per event in time order, with window functions, how many members front from it to the next event
  (`c`) and the sums of their keys (`k1`, `k2`), which name the set of members fronting: two sets with equal sums
  of both random 40-bit keys are as good as impossible (about one chance in 2^80 per pair of sets). Events at the
  same moment leave stretches of no length between them, which are dropped;
* from these, in one result (a `kind` column tells the rows apart): each member's seconds, sessions and longest
  session; the longest session; the time anyone fronted; the switches (moments where some member's own start or
  end changes who fronts); the five longest co-fronting sets (with the first moment each began, to name their
  members afterwards); and the fronted time per quarter hour of the period (`bucket` rows: time in part-covered
  quarter hours, and +/- whole quarter hours where covered runs begin and end).

Quarter hours from the period's start (a local midnight) fall each within one local hour in every time zone whose
offsets are whole quarter hours (all of them since 1970 but a few until the early 1970s): `spread` turns them into
local weekdays and hours in Python, a loop over the period's quarter hours, however many fronts there are.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from ..fronts.models import Front
from ..fronts.service import earliest_start_going_on_at
from ..kit.db import UTCDateTime

MICROS = 1_000_000
QUARTER = 900 * MICROS
TOP_COFRONTS = 5
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_EPOCH_MICROS = {
    # SQLite keeps UTC datetimes as text 'YYYY-MM-DD HH:MM:SS.ffffff' (kit.db.UTCDateTime). julianday() of the
    # whole seconds is off by at most tens of microseconds (a double of about 2.46 million days), so rounded to the
    # second it is exact; the microseconds are read as digits. (strftime('%s') rounds a time within a millisecond
    # of the next second up to it, and is slower.)
    "sqlite": ("(CAST(round((julianday(substr({0}, 1, 19)) - 2440587.5) * 86400) AS INTEGER) * 1000000"
               " + CAST(substr({0}, 21, 6) AS INTEGER))"),
    "postgresql": "CAST(EXTRACT(EPOCH FROM {0}) * 1000000 AS BIGINT)",
}

STATEMENT = """
WITH counted(member_uuid, position, h1, h2) AS (VALUES {counted}),
pieces AS MATERIALIZED (
    SELECT counted.position AS m, counted.h1 AS h1, counted.h2 AS h2, {started} AS s0, {ended} AS e0
    FROM fronts JOIN counted ON counted.member_uuid = fronts.member_uuid
    WHERE fronts.system_uuid = :system AND fronts.started_at < :until AND fronts.started_at >= :floor
      AND (fronts.ended_at IS NULL OR fronts.ended_at > :start) {open_filter}
),
clipped AS NOT MATERIALIZED (
    SELECT m, h1, h2, s0, e0, CASE WHEN s0 > :s THEN s0 ELSE :s END AS s,
           CASE WHEN e0 IS NOT NULL AND e0 < :u THEN e0 ELSE :u END AS e
    FROM pieces
),
events AS NOT MATERIALIZED (
    SELECT s AS t, m, 1 AS d, h1, h2, CASE WHEN s0 >= :s THEN 1 ELSE 0 END AS is_real FROM clipped
    UNION ALL
    SELECT e AS t, m, -1 AS d, -h1, -h2, CASE WHEN e0 IS NOT NULL AND e0 < :u THEN 1 ELSE 0 END FROM clipped
),
running AS MATERIALIZED (
    SELECT t, next_t, c, k1, k2 FROM (
        SELECT t, SUM(d) OVER w AS c, SUM(h1) OVER w AS k1, SUM(h2) OVER w AS k2, LEAD(t) OVER w AS next_t
        FROM events WINDOW w AS (ORDER BY t, d ROWS UNBOUNDED PRECEDING)
    ) AS steps WHERE next_t > t
),
covered AS NOT MATERIALIZED (
    SELECT t, next_t, (t - :s) / {quarter} AS first_q, (next_t - 1 - :s) / {quarter} AS last_q
    FROM running WHERE c > 0
)
SELECT 'member' AS kind, m AS a, SUM(e - s) AS b, COUNT(*) AS c, MAX(e - s) AS d FROM clipped GROUP BY m
UNION ALL
SELECT 'longest', m, s0, e0, e - s FROM (
    SELECT m, s0, e0, e, s FROM clipped ORDER BY e - s DESC, s0, m LIMIT 1) AS longest
UNION ALL
SELECT 'total', NULL, SUM(next_t - t), NULL, NULL FROM running WHERE c > 0
UNION ALL
SELECT 'switches', NULL, COUNT(DISTINCT t), NULL, NULL FROM (
    SELECT t FROM events WHERE is_real = 1 GROUP BY t, m HAVING SUM(d) <> 0) AS changes
UNION ALL
SELECT 'cofront', k1, k2, seconds, first_t FROM (
    SELECT k1, k2, SUM(next_t - t) AS seconds, MIN(t) AS first_t FROM running WHERE c >= 2
    GROUP BY k1, k2 ORDER BY SUM(next_t - t) DESC, MIN(t) LIMIT {top}) AS cofronts
UNION ALL
SELECT 'bucket', q, SUM(part), SUM(whole), NULL FROM (
    SELECT first_q AS q, CASE WHEN first_q = last_q THEN next_t - t
                              ELSE :s + (first_q + 1) * {quarter} - t END AS part, 0 AS whole FROM covered
    UNION ALL
    SELECT last_q, next_t - (:s + last_q * {quarter}), 0 FROM covered WHERE last_q > first_q
    UNION ALL
    SELECT first_q + 1, 0, 1 FROM covered WHERE last_q > first_q + 1
    UNION ALL
    SELECT last_q, 0, -1 FROM covered WHERE last_q > first_q + 1
) AS quarters GROUP BY q
"""


@dataclass(frozen=True)
class Counted:
    """A member whose fronts a recap counts."""

    uuid: uuid.UUID
    hid: str


def _keys(member: uuid.UUID) -> tuple[int, int]:
    digest = hashlib.sha256(member.bytes).digest()
    return int.from_bytes(digest[:5], "big"), int.from_bytes(digest[5:10], "big")


def micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * MICROS + delta.microseconds


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def fronting(session: Session, system_uuid: uuid.UUID, counted: list[Counted], start: datetime, until: datetime,
             zone: ZoneInfo, *, include_open: bool) -> dict[str, Any]:
    """The fronting part, as stored: microseconds, and members by uuid (names are looked up when served)."""
    result: dict[str, Any] = {"total": 0, "switches": 0, "members": [], "cofronts": [], "longest": None,
              "by_weekday": [0] * 7, "by_hour": [0] * 24}
    if not counted or until <= start:
        return result
    dialect = session.get_bind().dialect.name
    epoch = _EPOCH_MICROS[dialect]
    values, params = [], {}
    for position, member in enumerate(counted):
        h1, h2 = _keys(member.uuid)
        key = f"CAST(:m{position} AS uuid)" if dialect == "postgresql" else f":m{position}"
        values.append(f"({key}, {position}, {h1}, {h2})")
        params[f"m{position}"] = str(member.uuid) if dialect == "postgresql" else member.uuid.hex
    statement = text(STATEMENT.format(
        counted=", ".join(values), started=epoch.format("fronts.started_at"), ended=epoch.format("fronts.ended_at"),
        open_filter="" if include_open else "AND fronts.ended_at IS NOT NULL", quarter=QUARTER, top=TOP_COFRONTS,
    )).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()),
                  bindparam("floor", type_=UTCDateTime()))
    floor = earliest_start_going_on_at(session, system_uuid, None, start)
    system_key = system_uuid if dialect == "postgresql" else system_uuid.hex
    s, u = micros(start), micros(until)
    rows = session.execute(statement, {**params, "system": system_key, "start": start, "until": until,
                                       "floor": floor, "s": s, "u": u}).all()
    buckets: dict[int, tuple[int, int]] = {}
    cofronts: list[tuple[int, int]] = []
    for kind, *numbers in rows:
        # PostgreSQL's SUM of bigints is numeric: every number of the union comes back as a Decimal there.
        # Which of the four are NULL depends on the row's kind.
        converted: list[Any] = [None if n is None else int(n) for n in numbers]
        a, b, c, d = converted
        if kind == "member":
            result["members"].append({"uuid": str(counted[a].uuid), "us": b, "sessions": c, "longest_us": d})
        elif kind == "longest":
            result["longest"] = {"uuid": str(counted[a].uuid), "started_at": from_micros(b).isoformat(),
                                 "ended_at": None if c is None else from_micros(c).isoformat(), "us": d}
        elif kind == "total":
            result["total"] = b or 0
        elif kind == "switches":
            result["switches"] = b or 0
        elif kind == "cofront":
            cofronts.append((c, d))
        else:
            buckets[a] = (b, c)
    for seconds, first_moment in sorted(cofronts, key=lambda row: (-row[0], row[1])):
        members = _fronting_at(session, system_uuid, counted, from_micros(first_moment), include_open)
        result["cofronts"].append({"uuids": members, "us": seconds})
    result["by_weekday"], result["by_hour"] = spread(buckets, start, until, zone)
    return result


def _fronting_at(session: Session, system_uuid: uuid.UUID, counted: list[Counted], moment: datetime,
                 include_open: bool) -> list[str]:
    """The counted members fronting at a moment (a co-fronting set's first moment), as uuids."""
    floor = earliest_start_going_on_at(session, system_uuid, None, moment)
    ended = Front.ended_at > moment if not include_open else (Front.ended_at.is_(None)) | (Front.ended_at > moment)
    found = set(session.execute(select(Front.member_uuid).where(
        Front.system_uuid == system_uuid, Front.started_at <= moment, Front.started_at >= floor, ended)).scalars())
    return [str(member.uuid) for member in counted if member.uuid in found]


def spread(buckets: dict[int, tuple[int, int]], start: datetime, until: datetime, zone: ZoneInfo
           ) -> tuple[list[int], list[int]]:
    """Microseconds per local weekday and hour from the per-quarter-hour rows of the statement.

    `start` is a local midnight; a quarter's local minute of the week is its distance from `start` plus how much
    the zone's offset has changed since (the offset is looked up once a day, and per quarter on days it changes).
    """
    by_weekday, by_hour = [0] * 7, [0] * 24
    count = -(-(micros(until) - micros(start)) // QUARTER)
    first_offset = start.astimezone(zone).utcoffset()
    assert first_offset is not None, "a time in a ZoneInfo zone has an offset"
    first_minute = start.astimezone(zone).weekday() * 1440
    whole, checked_until, shift = 0, -1, 0
    for quarter in range(count):
        part, change = buckets.get(quarter, (0, 0))
        whole += change
        fronted = part + whole * QUARTER
        if not fronted:
            continue
        if quarter > checked_until:  # a time zone's offset changes at most once a day
            moment = start + timedelta(minutes=15 * quarter)
            offset = moment.astimezone(zone).utcoffset()
            assert offset is not None, "a time in a ZoneInfo zone has an offset"
            shift = (offset - first_offset) // timedelta(minutes=1)
            unchanged = (moment + timedelta(days=1)).astimezone(zone).utcoffset() == offset
            checked_until = quarter + (95 if unchanged else 0)
        minute_of_week = (first_minute + 15 * quarter + shift) % 10080
        by_weekday[minute_of_week // 1440] += fronted
        by_hour[minute_of_week // 60 % 24] += fronted
    return by_weekday, by_hour

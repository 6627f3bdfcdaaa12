"""The fronting part of a recap: one indexed read of the period's fronts, then one sweep over plain integers.

The database hands over each front overlapping the period as (member, start, end) in integer microseconds since the
epoch (computed by the statement: exact on both engines, and no datetime objects per row), oldest start first.
`fronting` then walks them once in Python:

* each front is cut to the period (`pieces`; never empty: a front ends after it starts), which gives each member's
  time, sessions and longest session, and the longest session;
* each piece's start and end is one integer event (moment, member, whether it is the front's own), all sorted
  once as integers and walked moment by moment: between two moments the set of members fronting is constant (a
  stretch). A stretch with anyone fronting adds to the total
  and to the quarter hours it covers; one with two or more adds to its set's co-fronting time. The set is one
  integer, a digit per member (`width` bits each, wide enough that digits never carry), so a change of who fronts
  is one addition;
* a switch is a moment where some member's own start or end (not a cut made by the period's bounds) changes
  whether it fronts.

This replaced a single SQL statement with window functions (docs/BENCHMARKS.md, "Wrapped: a year of 100,000
fronts"), which cost more than the read and the sweep together: on SQLite about 25 µs of CPU per front and view
(text timestamps converted, a window pass, four sorts) against about 8 µs per front for the read and both views.
The fronts are read once per computation however many views (the owner's, the public's) are computed from them.

Quarter hours from the period's start (a local midnight) fall each within one local hour in every time zone whose
offsets are whole quarter hours (all of them since 1970 but a few until the early 1970s): `spread` turns them into
local weekdays and hours, a loop over the period's quarter hours, however many fronts there are.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

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

# The member's id as each engine hands it over without conversion per row: SQLite's stored hex, PostgreSQL's text.
_MEMBER_KEY = {"sqlite": "fronts.member_uuid", "postgresql": "CAST(fronts.member_uuid AS text)"}

STATEMENT = """
SELECT {member} AS member, {started} AS s0, {ended} AS e0 FROM fronts
WHERE fronts.system_uuid = :system AND fronts.started_at < :until AND fronts.started_at >= :floor
  AND (fronts.ended_at IS NULL OR fronts.ended_at > :start) {open_filter}
ORDER BY fronts.started_at
"""


@dataclass(frozen=True)
class Counted:
    """A member whose fronts a recap counts."""

    uuid: uuid.UUID
    hid: str


@dataclass(frozen=True)
class Fronts:
    """A period's fronts as the database handed them over: (member key, start, end or None), oldest start first."""

    rows: Sequence[tuple[str, int, int | None]]
    key_of: str  # how a member's uuid reads as a member key: "hex" (SQLite) or "text" (PostgreSQL)

    def key(self, member: uuid.UUID) -> str:
        return member.hex if self.key_of == "hex" else str(member)


def micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * MICROS + delta.microseconds


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def fronts_of(session: Session, system_uuid: uuid.UUID, start: datetime, until: datetime, *,
              include_open: bool) -> Fronts:
    """The system's fronts overlapping [start, until), every member's (`fronting` picks the counted ones)."""
    dialect = session.get_bind().dialect.name
    epoch = _EPOCH_MICROS[dialect]
    statement = text(STATEMENT.format(
        member=_MEMBER_KEY[dialect], started=epoch.format("fronts.started_at"), ended=epoch.format("fronts.ended_at"),
        open_filter="" if include_open else "AND fronts.ended_at IS NOT NULL",
    )).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()),
                  bindparam("floor", type_=UTCDateTime()))
    floor = earliest_start_going_on_at(session, system_uuid, None, start)
    system_key = system_uuid if dialect == "postgresql" else system_uuid.hex
    parameters = {"system": system_key, "start": start, "until": until, "floor": floor}
    rows = session.execute(statement, parameters).tuples().all()
    return Fronts(rows, "hex" if dialect == "sqlite" else "text")


def fronting(fronts: Fronts, counted: list[Counted], start: datetime, until: datetime,
             zone: ZoneInfo) -> dict[str, Any]:
    """The fronting part of the counted members, as stored: microseconds, and members by uuid (names are looked
    up when served)."""
    result: dict[str, Any] = {"total": 0, "switches": 0, "members": [], "cofronts": [], "longest": None,
                              "by_weekday": [0] * 7, "by_hour": [0] * 24}
    if until <= start:
        return result
    s, u = micros(start), micros(until)
    position = {fronts.key(member.uuid): index for index, member in enumerate(counted)}
    pieces = [(m, s0, e0, s0 if s0 > s else s, u if e0 is None or e0 > u else e0)
              for m, s0, e0 in ((position.get(key), s0, e0) for key, s0, e0 in fronts.rows) if m is not None]
    if not pieces:
        return result
    seconds, sessions, longest = [0] * len(counted), [0] * len(counted), [0] * len(counted)
    best = pieces[0]
    for piece in pieces:
        m, s0, _, begin, end = piece
        length = end - begin
        seconds[m] += length
        sessions[m] += 1
        if length > longest[m]:
            longest[m] = length
        if (-length, s0, m) < (best[3] - best[4], best[1], best[0]):
            best = piece
    result["members"] = [{"uuid": str(member.uuid), "us": seconds[m], "sessions": sessions[m],
                          "longest_us": longest[m]} for m, member in enumerate(counted) if sessions[m]]
    m, s0, e0, begin, end = best
    result["longest"] = {"uuid": str(counted[m].uuid), "started_at": from_micros(s0).isoformat(),
                         "ended_at": None if e0 is None else from_micros(e0).isoformat(), "us": end - begin}
    sweep = _Sweep(pieces, len(counted), s, u)
    result["total"], result["switches"] = sweep.total, sweep.switches
    top = sorted(sweep.cofronted, key=lambda group: (-sweep.cofronted[group], sweep.first_cofronted[group]))
    result["cofronts"] = [{"uuids": [str(counted[m].uuid) for m in sweep.members_of(group)],
                           "us": sweep.cofronted[group]} for group in top[:TOP_COFRONTS]]
    result["by_weekday"], result["by_hour"] = spread(sweep.buckets, start, until, zone)
    return result


class _Sweep:
    """The pieces' starts and ends in time order: the total, switches, co-fronting sets and quarter-hour rows."""

    def __init__(self, pieces: list[tuple[int, int, int | None, int, int]], members: int, s: int, u: int) -> None:
        self.total = 0
        self.switches = 0
        self.cofronted: dict[int, int] = {}  # set -> microseconds
        self.first_cofronted: dict[int, int] = {}  # set -> the moment it first fronted
        cofronted = self.cofronted
        self.buckets: dict[int, tuple[int, int]] = {}  # quarter -> (part-covered time, change of whole quarters)
        self.width = len(pieces).bit_length() + 1  # a member's digit of a set never carries into the next one
        units = [1 << (m * self.width) for m in range(members)]
        # An event is one integer, so that sorting them is a sort of integers: moment * per_moment + member * 4 +
        # 2 if it is the front's own start or end (not a cut at the period's bounds) + 1 if it is a start.
        per_moment = 4 * members
        events = [begin * per_moment + m * 4 + (2 if s0 >= s else 0) + 1 for m, s0, _, begin, _ in pieces]
        events += [end * per_moment + m * 4 + (2 if e0 is not None and e0 < u else 0) for m, _, e0, _, end in pieces]
        events.sort()
        fronting = group = fronting_before = 0
        moment = covered_since = events[0] // per_moment
        own: list[int] = []  # this moment's own starts and ends, as member * 2 + 1 if a start
        for event in events:
            at, code = divmod(event, per_moment)
            if at != moment:
                if own:
                    self.switches += len(own) == 1 or _switch(own)
                    own = []
                if not fronting_before and fronting:
                    covered_since = moment
                elif fronting_before and not fronting:
                    self._covered(covered_since, moment, s)
                if fronting >= 2:
                    if group in cofronted:
                        cofronted[group] += at - moment
                    else:
                        cofronted[group], self.first_cofronted[group] = at - moment, moment
                fronting_before, moment = fronting, at
            m = code >> 2
            if code & 1:
                fronting += 1
                group += units[m]
            else:
                fronting -= 1
                group -= units[m]
            if code & 2:
                own.append(m * 2 + (code & 1))
        if own:
            self.switches += len(own) == 1 or _switch(own)
        self._covered(covered_since, moment, s)  # every piece has ended by the last moment

    def members_of(self, group: int) -> list[int]:
        """The positions of the members in a set, in order."""
        digit, members, m = (1 << self.width) - 1, [], 0
        while group:
            if group & digit:
                members.append(m)
            group >>= self.width
            m += 1
        return members

    def _covered(self, t: int, next_t: int, s: int) -> None:
        """A run of time with someone fronting: its length, and the quarter hours it covers."""
        self.total += next_t - t
        first_q, last_q = (t - s) // QUARTER, (next_t - 1 - s) // QUARTER
        if first_q == last_q:
            self._add(first_q, next_t - t, 0)
            return
        self._add(first_q, s + (first_q + 1) * QUARTER - t, 0)
        self._add(last_q, next_t - (s + last_q * QUARTER), 0)
        if last_q > first_q + 1:
            self._add(first_q + 1, 0, 1)
            self._add(last_q, 0, -1)

    def _add(self, quarter: int, part: int, whole: int) -> None:
        old_part, old_whole = self.buckets.get(quarter, (0, 0))
        self.buckets[quarter] = (old_part + part, old_whole + whole)


def _switch(own: list[int]) -> bool:
    """Whether a moment's own starts and ends (member * 2 + 1 if a start) change whether some member fronts: not
    when each member's ends and starts there cancel out (back-to-back fronts)."""
    net: dict[int, int] = {}
    for change in own:
        net[change >> 1] = net.get(change >> 1, 0) + (1 if change & 1 else -1)
    return any(net.values())


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

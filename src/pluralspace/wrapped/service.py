"""Wrapped: a month or a year of a system, computed on request from its history, in the system's time zone.

Periods run from local midnight to local midnight; a period still going is counted up to now (`final` false), and
a front still open counts up to now. Fronting is measured on the fronts clipped to the period: `total_seconds` is
the time anyone was fronting, each member's `seconds` includes time fronting with others.

Who sees what: the system's `wrapped` privacy decides whether anyone but the owner sees a recap at all. Others see
the fronting part only, computed over the members they may see (a private member's fronts are left out entirely, so
they cannot be worked out from the totals); the member, journal, poll and thought counts are the owner's alone.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..fronts.models import Front
from ..fronts.service import earliest_start_going_on_at
from ..journal.models import JournalEntry
from ..kit.errors import NotFound
from ..kit.timeutil import utcnow
from ..members.models import Member
from ..polls.models import Poll, Vote
from ..systems.access import Access, read_access
from ..thoughts.models import Thought
from .schemas import (Cofront, Fronting, JournalRecap, LongestSession, MemberFronting, MembersRecap, PeriodOut,
                      PollsRecap, ThoughtsRecap, WrappedIndex, WrappedOut)

TOP_COFRONTS = 5


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None

    @property
    def name(self) -> str:
        return f"{self.year:04d}" if self.month is None else f"{self.year:04d}-{self.month:02d}"

    @property
    def kind(self) -> str:
        return "year" if self.month is None else "month"

    def local_first_day(self) -> datetime:
        return datetime(self.year, self.month or 1, 1)

    def local_day_after(self) -> datetime:
        if self.month is None or self.month == 12:
            return datetime(self.year + 1, 1, 1)
        return datetime(self.year, self.month + 1, 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return (self.local_first_day().replace(tzinfo=zone).astimezone(UTC),
                self.local_day_after().replace(tzinfo=zone).astimezone(UTC))

    def out(self, zone: ZoneInfo, now: datetime) -> PeriodOut:
        start, end = self.bounds(zone)
        return PeriodOut(period=self.name, kind=self.kind, start=start, end=end, final=end <= now)


def get_wrapped(session: Session, sid: str, viewer: Principal | None, period: Period,
                now: datetime | None = None) -> WrappedOut:
    access, zone = _recaps_of(session, sid, viewer)
    now = now or utcnow()
    start, end = period.bounds(zone)
    if start > now:
        raise NotFound("This period has not begun.")
    owner = access.owner
    return WrappedOut(
        period=period.name, kind=period.kind, start=start, end=end, final=end <= now, generated_at=now,
        fronting=_fronting(session, access, start, min(end, now), zone),
        members=_members(session, access.system_uuid, start, end) if owner else None,
        journal=_journal(session, access.system_uuid, start, end) if owner else None,
        polls=_polls(session, access.system_uuid, start, end) if owner else None,
        thoughts=_thoughts(session, access.system_uuid, period) if owner else None,
    )


def list_periods(session: Session, sid: str, viewer: Principal | None, now: datetime | None = None) -> WrappedIndex:
    """Every month and year from the system's beginning (its creation, or its oldest front when an import brought
    older history) to now, newest first, each year after its months."""
    access, zone = _recaps_of(session, sid, viewer)
    now = now or utcnow()
    oldest_front = session.execute(select(func.min(Front.started_at))
                                   .where(Front.system_uuid == access.system_uuid)).scalar()
    first = min(filter(None, [access.system.created_at, oldest_front])).astimezone(zone)
    latest = now.astimezone(zone)
    periods: list[PeriodOut] = []
    year, month = latest.year, latest.month
    while (year, month) >= (first.year, first.month):
        periods.append(Period(year, month).out(zone, now))
        if month == 1 or (year, month) == (first.year, first.month):
            periods.append(Period(year, None).out(zone, now))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return WrappedIndex(periods=periods)


def _recaps_of(session: Session, sid: str, viewer: Principal | None) -> tuple[Access, ZoneInfo]:
    """The system whose recaps the viewer may see (403 when its `wrapped` setting keeps them private), and its zone."""
    access = read_access(session, sid, viewer)
    access.require_area("wrapped")
    return access, ZoneInfo(access.system.timezone)


# --- fronting ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Fronter:
    uuid: uuid.UUID
    hid: str
    name: str | None  # None when the viewer may not see it


@dataclass(frozen=True)
class _Clipped:
    member: _Fronter
    started_at: datetime  # the front's own start and end, unclipped
    ended_at: datetime | None
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def _fronting(session: Session, access: Access, start: datetime, until: datetime, zone: ZoneInfo) -> Fronting:
    clipped = [piece for piece in _clipped_fronts(session, access, start, until) if piece.seconds > 0]
    changes = {moment for piece in clipped for moment in (piece.started_at, piece.ended_at)
               if moment is not None and start <= moment < until}
    segments, switch_count = _segments(clipped, changes)
    total = sum((end - begin).total_seconds() for begin, end, _ in segments)
    by_weekday, by_hour = [0.0] * 7, [0.0] * 24
    together: Counter[tuple[str, ...]] = Counter()
    for begin, end, fronting in segments:
        _spread(begin, end, zone, by_weekday, by_hour)
        if len(fronting) > 1:
            together[tuple(sorted(fronting))] += (end - begin).total_seconds()
    longest = max(clipped, key=lambda piece: piece.seconds, default=None)
    return Fronting(
        total_seconds=round(total), switch_count=switch_count, members=_per_member(clipped, total),
        top_cofronts=[Cofront(member_ids=list(ids), seconds=round(seconds))
                      for ids, seconds in together.most_common(TOP_COFRONTS)],
        longest_session=None if longest is None else LongestSession(
            member_id=longest.member.hid, started_at=longest.started_at, ended_at=longest.ended_at,
            seconds=round(longest.seconds)),
        by_weekday=[round(seconds) for seconds in by_weekday], by_hour=[round(seconds) for seconds in by_hour],
    )


def _clipped_fronts(session: Session, access: Access, start: datetime, until: datetime) -> list[_Clipped]:
    """The fronts overlapping [start, until) that the viewer may see, clipped to it. Plain rows, not ORM objects: a
    year can hold tens of thousands of fronts."""
    floor = earliest_start_going_on_at(session, access.system_uuid, None, start)
    rows = session.execute(
        select(Front.started_at, Front.ended_at, Member.uuid, Member.hid, Member.name, Member.privacy)
        .join(Member, Member.uuid == Front.member_uuid)
        .where(Front.system_uuid == access.system_uuid, Front.started_at < until, Front.started_at >= floor,
               (Front.ended_at.is_(None)) | (Front.ended_at > start))).all()
    fronters: dict[uuid.UUID, _Fronter] = {}
    clipped = []
    for started_at, ended_at, member_uuid, hid, name, privacy in rows:
        if not access.sees(privacy, "visibility"):
            continue
        if member_uuid not in fronters:
            fronters[member_uuid] = _Fronter(member_uuid, hid, name if access.sees(privacy, "name") else None)
        clipped.append(_Clipped(fronters[member_uuid], started_at, ended_at, max(started_at, start),
                                min(ended_at or until, until)))
    return clipped


def _segments(clipped: list[_Clipped], changes: set[datetime]
              ) -> tuple[list[tuple[datetime, datetime, frozenset[str]]], int]:
    """The stretches of time with the same members fronting, and how many of the `changes` changed who fronted."""
    deltas: dict[datetime, Counter[str]] = {}
    for piece in clipped:
        deltas.setdefault(piece.start, Counter())[piece.member.hid] += 1
        deltas.setdefault(piece.end, Counter())[piece.member.hid] -= 1
    fronting: Counter[str] = Counter()
    segments, switches, previous = [], 0, None
    for moment in sorted(deltas):
        before = frozenset(fronting)
        if previous is not None and before:
            segments.append((previous, moment, before))
        fronting.update(deltas[moment])
        fronting = +fronting  # drops members no longer fronting
        if moment in changes and frozenset(fronting) != before:
            switches += 1
        previous = moment
    return segments, switches


def _spread(begin: datetime, end: datetime, zone: ZoneInfo, by_weekday: list[float], by_hour: list[float]) -> None:
    """Adds the stretch to the local weekday and hour it falls in, cut at every local hour."""
    moment = begin
    while moment < end:
        local = moment.astimezone(zone)
        next_hour = moment + timedelta(minutes=60 - local.minute, seconds=-local.second,
                                       microseconds=-local.microsecond)
        piece_end = min(next_hour, end)
        seconds = (piece_end - moment).total_seconds()
        by_weekday[local.weekday()] += seconds
        by_hour[local.hour] += seconds
        moment = piece_end


def _per_member(clipped: list[_Clipped], total: float) -> list[MemberFronting]:
    members: dict[uuid.UUID, _Fronter] = {}
    seconds: Counter[uuid.UUID] = Counter()
    sessions: Counter[uuid.UUID] = Counter()
    longest: dict[uuid.UUID, float] = {}
    for piece in clipped:
        key = piece.member.uuid
        members[key] = piece.member
        seconds[key] += piece.seconds
        sessions[key] += 1
        longest[key] = max(longest.get(key, 0.0), piece.seconds)
    ranked = sorted(members, key=lambda key: (-seconds[key], members[key].hid))
    return [MemberFronting(
        member_id=members[key].hid, name=members[key].name, seconds=round(seconds[key]),
        share=round(seconds[key] / total, 4) if total else 0.0, sessions=sessions[key],
        longest_session_seconds=round(longest[key])) for key in ranked]


# --- the owner's counts ------------------------------------------------------------------------------------------

def _members(session: Session, system_uuid: uuid.UUID, start: datetime, end: datetime) -> MembersRecap:
    def count(column) -> int:
        return session.execute(select(func.count()).select_from(Member).where(
            Member.system_uuid == system_uuid, column >= start, column < end)).scalar_one()

    return MembersRecap(created=count(Member.created_at), archived=count(Member.archived_at))


def _journal(session: Session, system_uuid: uuid.UUID, start: datetime, end: datetime) -> JournalRecap:
    bodies = session.execute(select(JournalEntry.body).where(
        JournalEntry.system_uuid == system_uuid, JournalEntry.created_at >= start,
        JournalEntry.created_at < end)).scalars().all()
    return JournalRecap(entries=len(bodies), words=sum(len(body.split()) for body in bodies))


def _polls(session: Session, system_uuid: uuid.UUID, start: datetime, end: datetime) -> PollsRecap:
    created = session.execute(select(func.count()).select_from(Poll).where(
        Poll.system_uuid == system_uuid, Poll.created_at >= start, Poll.created_at < end)).scalar_one()
    votes = session.execute(select(func.count()).select_from(Vote).join(Poll, Poll.id == Vote.poll_id).where(
        Poll.system_uuid == system_uuid, Vote.created_at >= start, Vote.created_at < end)).scalar_one()
    return PollsRecap(created=created, votes=votes)


def _thoughts(session: Session, system_uuid: uuid.UUID, period: Period) -> ThoughtsRecap:
    first, after = period.local_first_day().date().isoformat(), period.local_day_after().date().isoformat()
    count = session.execute(select(func.count()).select_from(Thought).where(
        Thought.system_uuid == system_uuid, Thought.date >= first, Thought.date < after)).scalar_one()
    return ThoughtsRecap(count=count)

"""Wrapped: a month or a year of a system, in the system's time zone; finished periods are stored.

Periods run from local midnight to local midnight; a period still going is counted up to now (`final` false) and
computed on every read. A finished period is computed once and stored (`models.WrappedSnapshot`, `generated_at` =
when computed); the triggers of migration 0011 mark it stale when a change touches it, and a read of a stale
snapshot, or of one computed in another time zone than the system's current one, computes it again. Fronting is
computed from one read of the period's fronts (`compute.py`); a front still open counts up to now.

Who sees what (docs/API.md §5 and §8): the system's `wrapped` privacy decides whether anyone but the owner sees a
recap at all. Others see the fronting part only, and only when the system's `front_history` is public; it is
computed as if the members they may not see did not exist (their fronts are left out of every number); when the
system's `front` is private, fronts still open are left out too (otherwise the recap would tell who fronts now).
Names show where the member's name is public. The member, journal, poll and thought counts are the owner's alone.
A snapshot stores the owner's fronting and the public one; the rare public view of a period that an open front
touches while `front` is private is computed when asked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from ..auth.principal import Principal
from ..fronts.models import Front
from ..journal.models import JournalEntry
from ..kit.db import Database
from ..kit.errors import NotFound, ValidationFailed
from ..kit.pagination import PageRequest, decode_cursor, encode_cursor
from ..kit.timeutil import utcnow
from ..members.models import Member
from ..members.service import visible_name
from ..polls.models import Poll, Vote
from ..systems.access import Access, read_access
from ..thoughts.models import Thought
from . import compute
from .models import WrappedSnapshot
from .schemas import (
    Cofront,
    Fronting,
    JournalRecap,
    LongestSession,
    MemberFronting,
    MembersRecap,
    PeriodOut,
    PollsRecap,
    ThoughtsRecap,
    WrappedOut,
)


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

    @property
    def order(self) -> tuple[int, int]:
        """Newest first is this, descending: a year right after its January."""
        return self.year, self.month or 0

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


# --- the list of periods -----------------------------------------------------------------------------------------

def list_periods(session: Session, sid: str, viewer: Principal | None, paging: PageRequest,
                 now: datetime | None = None) -> tuple[list[PeriodOut], str | None]:
    """Every month and year from the system's beginning (its creation, or its oldest front when an import brought
    older history) to now, newest first, each year after its months; paged by a cursor naming the last one served."""
    access, zone = _recaps_of(session, sid, viewer)
    now = now or utcnow()
    after = _decode_period_cursor(paging.cursor)
    oldest_front = session.execute(select(func.min(Front.started_at))
                                   .where(Front.system_uuid == access.system_uuid)).scalar()
    first = min(filter(None, [access.system.created_at, oldest_front])).astimezone(zone)
    latest = now.astimezone(zone)
    periods: list[Period] = []
    year, month = latest.year, latest.month
    while (year, month) >= (first.year, first.month) and len(periods) <= paging.limit:
        for period in (Period(year, month), Period(year, None)):
            if period.month is None and not (month == 1 or (year, month) == (first.year, first.month)):
                continue
            if after is None or period.order < after:
                periods.append(period)
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    page, more = periods[:paging.limit], len(periods) > paging.limit
    cursor = encode_cursor(("wrapped", *page[-1].order)) if more else None
    return [period.out(zone, now) for period in page], cursor


def _decode_period_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    kind, year, month = decode_cursor(cursor, 3)
    if kind != "wrapped" or not isinstance(year, int) or not isinstance(month, int) or not 0 <= month <= 12:
        raise ValidationFailed.field("cursor", "is not a cursor this server issued")
    return year, month


def _recaps_of(session: Session, sid: str, viewer: Principal | None) -> tuple[Access, ZoneInfo]:
    """The system whose recaps the viewer may see (403 when its `wrapped` setting keeps them private), and its zone."""
    access = read_access(session, sid, viewer)
    access.require_area("wrapped")
    return access, ZoneInfo(access.system.timezone)


# --- one recap ---------------------------------------------------------------------------------------------------

async def recap(database: Database, sid: str, viewer: Principal | None, period: Period) -> WrappedOut:
    """The recap as this viewer may see it: from storage when the period is finished and its snapshot fresh;
    otherwise a reserved row first (committed, so that the triggers of concurrent changes see it and mark it), then
    the computation and the snapshot in a transaction that holds the row: a change committed meanwhile waits for
    it and marks the new snapshot stale again."""
    served = await database.read(_served, sid, viewer, period)
    if served is not None:
        return served
    await database.write(_reserve, sid, viewer, period)
    return await database.write(_compute_and_store, sid, viewer, period)


def _open(session: Session, sid: str, viewer: Principal | None, period: Period
          ) -> tuple[Access, ZoneInfo, datetime, datetime, datetime]:
    access, zone = _recaps_of(session, sid, viewer)
    now = utcnow()
    start, end = period.bounds(zone)
    if start > now:
        raise NotFound("This period has not begun.")
    return access, zone, start, end, now


def _fresh(snapshot: WrappedSnapshot | None, access: Access) -> TypeGuard[WrappedSnapshot]:
    return (snapshot is not None and not snapshot.stale and snapshot.timezone == access.system.timezone
            and bool(snapshot.recap))


def _served(session: Session, sid: str, viewer: Principal | None, period: Period) -> WrappedOut | None:
    """The recap, computed live for a period still going, from a fresh snapshot, or None (compute and store it)."""
    access, zone, start, end, now = _open(session, sid, viewer, period)
    if end > now:
        computed = _compute(session, access, period, start, now, zone)
        return _view(session, access, period, zone, computed, now, final=False)
    snapshot = session.get(WrappedSnapshot, (access.system_uuid, period.name))
    if not _fresh(snapshot, access):
        return None
    return _view(session, access, period, zone, snapshot.recap, snapshot.generated_at, final=True)


def _reserve(session: Session, sid: str, viewer: Principal | None, period: Period) -> None:
    access, _zone, start, end, now = _open(session, sid, viewer, period)
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgres_insert
    session.execute(insert(WrappedSnapshot).values(
        system_uuid=access.system_uuid, period=period.name, timezone=access.system.timezone, start_at=start,
        end_at=end, generated_at=now, stale=True, recap={}).on_conflict_do_nothing())


def _compute_and_store(session: Session, sid: str, viewer: Principal | None, period: Period) -> WrappedOut:
    access, zone, start, end, now = _open(session, sid, viewer, period)
    snapshot = session.execute(select(WrappedSnapshot).where(
        WrappedSnapshot.system_uuid == access.system_uuid, WrappedSnapshot.period == period.name)
        .with_for_update()).scalar_one()
    if not _fresh(snapshot, access):  # another request may have stored it meanwhile
        snapshot.recap = _compute(session, access, period, start, end, zone)
        snapshot.timezone, snapshot.start_at, snapshot.end_at = access.system.timezone, start, end
        snapshot.generated_at, snapshot.stale = now, False
        session.flush()
    return _view(session, access, period, zone, snapshot.recap, snapshot.generated_at, final=True)


# Each member's uuid, short id, name and privacy, by uuid as text: what a recap shows of its members.
MemberRows = dict[str, Row[tuple[uuid.UUID, str, str, dict[str, str]]]]


def _members_of(session: Session, system_uuid: uuid.UUID) -> MemberRows:
    rows = session.execute(select(Member.uuid, Member.hid, Member.name, Member.privacy)
                           .where(Member.system_uuid == system_uuid)).all()
    return {str(row.uuid): row for row in rows}


def _counted(members: MemberRows, access: Access) -> list[compute.Counted]:
    """The members a viewer's recap is about: the ones the viewer may see (docs/API.md §8: for anyone else, hidden
    members do not exist)."""
    return sorted((compute.Counted(row.uuid, row.hid) for row in members.values()
                   if access.sees(row.privacy, "visibility")), key=lambda member: member.hid)


def _compute(session: Session, access: Access, period: Period, start: datetime, until: datetime,
             zone: ZoneInfo) -> dict[str, Any]:
    """Everything a snapshot holds: the owner's recap and the fronting part as the public sees it."""
    members = _members_of(session, access.system_uuid)
    owner, public = Access(access.system, owner=True), Access(access.system, owner=False)
    system = access.system_uuid
    fronts = compute.fronts_of(session, system, start, until, include_open=True)
    return {
        "owner": compute.fronting(fronts, _counted(members, owner), start, until, zone),
        "public": compute.fronting(fronts, _counted(members, public), start, until, zone),
        "public_open": _touches_open_front(session, system, until),
        "members": _members(session, system, start, until).model_dump(),
        "journal": _journal(session, system, start, until).model_dump(),
        "polls": _polls(session, system, start, until).model_dump(),
        "thoughts": _thoughts(session, system, period).model_dump(),
    }


def _touches_open_front(session: Session, system_uuid: uuid.UUID, until: datetime) -> bool:
    return session.execute(select(func.count()).select_from(Front).where(
        Front.system_uuid == system_uuid, Front.ended_at.is_(None), Front.started_at < until)).scalar_one() > 0


def _view(session: Session, access: Access, period: Period, zone: ZoneInfo, stored: dict[str, Any],
          generated_at: datetime,
          *, final: bool) -> WrappedOut:
    start, end = period.bounds(zone)
    members = _members_of(session, access.system_uuid)
    owner = access.owner
    if owner:
        fronting = _fronting_out(stored["owner"], members, access)
    elif not access.area_public("front_history"):
        fronting = None
    elif stored["public_open"] and not access.area_public("front"):
        until = min(end, generated_at)
        fronts = compute.fronts_of(session, access.system_uuid, start, until, include_open=False)
        fronting = _fronting_out(compute.fronting(fronts, _counted(members, access), start, until, zone), members,
                                 access)
    else:
        fronting = _fronting_out(stored["public"], members, access)
    return WrappedOut(
        period=period.name, kind=period.kind, start=start, end=end, final=final, generated_at=generated_at,
        fronting=fronting,
        members=MembersRecap(**stored["members"]) if owner else None,
        journal=JournalRecap(**stored["journal"]) if owner else None,
        polls=PollsRecap(**stored["polls"]) if owner else None,
        thoughts=ThoughtsRecap(**stored["thoughts"]) if owner else None,
    )


def _seconds(micros: int) -> int:
    return round(micros / compute.MICROS)


def _fronting_out(raw: dict[str, Any], members: MemberRows, access: Access) -> Fronting:
    def hid(key: str) -> str:
        short_id: str = members[key].hid
        return short_id

    def name(key: str) -> str | None:
        return visible_name(access, members[key].name, members[key].privacy)

    total = raw["total"]
    present = [m for m in raw["members"] if m["uuid"] in members]
    ranked = sorted(present, key=lambda m: (-m["us"], hid(m["uuid"])))
    longest = raw["longest"]
    return Fronting(
        total_seconds=_seconds(total), switch_count=raw["switches"],
        members=[MemberFronting(member_id=hid(m["uuid"]), name=name(m["uuid"]), seconds=_seconds(m["us"]),
                                share=round(m["us"] / total, 4) if total else 0.0, sessions=m["sessions"],
                                longest_session_seconds=_seconds(m["longest_us"])) for m in ranked],
        top_cofronts=[Cofront(member_ids=sorted(hid(key) for key in c["uuids"] if key in members),
                              seconds=_seconds(c["us"])) for c in raw["cofronts"]],
        longest_session=None if longest is None or longest["uuid"] not in members else LongestSession(
            member_id=hid(longest["uuid"]), started_at=datetime.fromisoformat(longest["started_at"]),
            ended_at=None if longest["ended_at"] is None else datetime.fromisoformat(longest["ended_at"]),
            seconds=_seconds(longest["us"])),
        by_weekday=[_seconds(v) for v in raw["by_weekday"]], by_hour=[_seconds(v) for v in raw["by_hour"]],
    )


# --- the owner's counts ------------------------------------------------------------------------------------------

def _members(session: Session, system_uuid: uuid.UUID, start: datetime, end: datetime) -> MembersRecap:
    def count(column: InstrumentedAttribute[datetime | None]) -> int:
        found: int = session.execute(select(func.count()).select_from(Member).where(
            Member.system_uuid == system_uuid, column >= start, column < end)).scalar_one()
        return found

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

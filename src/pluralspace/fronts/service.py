"""Fronts: per-member intervals, the current fronters and the switches derived from the same rows.

Invariant: a member never has two overlapping fronts ([start, end) intervals, a null end is +infinity; touching
ends are not an overlap). Every write first takes the system's row lock (`SELECT ... FOR NO KEY UPDATE` on
PostgreSQL, so concurrent writers of one system queue even across worker processes; SQLite serializes writes
anyway) and then checks the member's history with one indexed query (`check_overlap`). Because the invariant
holds, the latest front of the member that starts before the new end is the only one that can overlap.

Privacy: the owner sees everything. Other viewers need the system's `front` setting public for /fronters and
`front_history` public for /fronts and /switches (403 otherwise), and they see the history as if the members
hidden from them (visibility private) did not exist: those members' fronts are left out of every list, a single
such front and `?member=` of such a member are 404 exactly like unknown ids, and switches are the change points
of the visible fronts only (a change that only hidden members make is no switch). Every read below goes through
`_seen`, so no path can forget the rule. The `member` objects shown go through `member_out`'s public view.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from ..auth.principal import Principal
from ..kit.errors import Conflict, NotFound, ValidationFailed
from ..kit.pagination import PageRequest, keyset_page
from ..kit.timeutil import format_timestamp, utcnow
from ..members.models import Member
from ..members.service import member_out
from ..systems.access import (
    Access,
    find_by_uuid,
    find_in_body,
    find_visible,
    read_access,
    resolve_public_ids,
    write_access,
)
from .models import Front
from .schemas import FrontCreate, FrontEnd, FrontersReplace, FrontOut, FrontPatch, SwitchOut
from .switches import Interval, Switch, change_points

# --- writing ---------------------------------------------------------------------------------------------------

def check_overlap(session: Session, member_uuid: uuid.UUID, start: datetime, end: datetime | None,
                  exclude: uuid.UUID | None = None) -> None:
    """409 front_overlap when [start, end) meets another front of the member (one index probe)."""
    query = select(Front.id, Front.started_at, Front.ended_at).where(Front.member_uuid == member_uuid)
    if end is not None:
        query = query.where(Front.started_at < end)
    if exclude is not None:
        query = query.where(Front.id != exclude)
    latest = session.execute(query.order_by(Front.started_at.desc()).limit(1)).first()
    if latest is None:
        return
    if latest.started_at >= start or latest.ended_at is None or latest.ended_at > start:
        until = format_timestamp(latest.ended_at) if latest.ended_at else "now"
        raise Conflict("front_overlap", f"The member already fronts from {format_timestamp(latest.started_at)} "
                                        f"until {until} (front {latest.id}); a member's fronts cannot overlap.")


def _check_order(start: datetime, end: datetime | None, field: str = "ended_at") -> None:
    if end is not None and end <= start:
        message = "must be after started_at" if field == "ended_at" else "must be before ended_at"
        raise ValidationFailed.field(field, f"{message} ({format_timestamp(start)} .. {format_timestamp(end)})")



def create_front(session: Session, sid: str, principal: Principal, spec: FrontCreate) -> FrontOut:
    access = write_access(session, sid, principal, serialize=True)
    member = find_in_body(session, Member, access.system_uuid, spec.member_id, "member_id", "member")
    now = utcnow()
    start = spec.started_at or now
    _check_order(start, spec.ended_at)
    check_overlap(session, member.uuid, start, spec.ended_at)
    front = Front(id=uuid.uuid4(), system_uuid=access.system_uuid, member_uuid=member.uuid, started_at=start,
                  ended_at=spec.ended_at, comment=spec.comment, created_at=now, updated_at=now)
    session.add(front)
    session.flush()
    return front_out(front, member, access, with_member=False)


def _front(session: Session, access: Access, front_id: uuid.UUID) -> Front:
    return find_by_uuid(session, Front, access.system_uuid, front_id, "front")


def update_front(session: Session, sid: str, principal: Principal, front_id: uuid.UUID,
                 patch: FrontPatch) -> FrontOut:
    access = write_access(session, sid, principal, serialize=True)
    front = _front(session, access, front_id)
    changes = patch.sent()
    start = changes.get("started_at", front.started_at)
    end = changes.get("ended_at", front.ended_at)
    _check_order(start, end, "started_at" if "ended_at" not in changes else "ended_at")
    if start != front.started_at or end != front.ended_at:
        check_overlap(session, front.member_uuid, start, end, exclude=front.id)
    front.started_at, front.ended_at = start, end
    if "comment" in changes:
        front.comment = changes["comment"]
    front.updated_at = utcnow()
    return front_out(front, _member_of(session, front), access, with_member=False)


def end_front(session: Session, sid: str, principal: Principal, front_id: uuid.UUID, spec: FrontEnd) -> FrontOut:
    access = write_access(session, sid, principal, serialize=True)
    front = _front(session, access, front_id)
    if front.ended_at is not None:
        raise Conflict("front_ended", f"This front already ended at {format_timestamp(front.ended_at)}.")
    now = utcnow()
    end = spec.ended_at or now
    _check_order(front.started_at, end)
    front.ended_at, front.updated_at = end, now
    return front_out(front, _member_of(session, front), access, with_member=False)


def delete_front(session: Session, sid: str, principal: Principal, front_id: uuid.UUID) -> None:
    access = write_access(session, sid, principal, serialize=True)
    session.delete(_front(session, access, front_id))


def replace_fronters(session: Session, sid: str, principal: Principal, spec: FrontersReplace) -> list[FrontOut]:
    """One unit of work: end the open fronts of members left out, start fronts for members newly listed.

    Members who already front keep their open front untouched, so sending the same set twice changes nothing.
    """
    access = write_access(session, sid, principal, serialize=True)
    wanted: dict[uuid.UUID, Member] = {m.uuid: m for m in resolve_public_ids(
        session, Member, access.system_uuid, spec.member_ids, "member_ids")}
    now = utcnow()
    at = spec.at or now
    open_fronts = session.execute(select(Front).where(Front.system_uuid == access.system_uuid,
                                                      Front.ended_at.is_(None))).scalars().all()
    fronting = {front.member_uuid for front in open_fronts}
    current: list[Front] = []
    for front in open_fronts:
        if front.member_uuid in wanted:
            current.append(front)
            continue
        if at <= front.started_at:
            raise ValidationFailed.field("at", f"must be after {format_timestamp(front.started_at)}, the start of "
                                               f"the front it would end ({front.id})")
        front.ended_at, front.updated_at = at, now
    for member in wanted.values():
        if member.uuid in fronting:
            continue
        check_overlap(session, member.uuid, at, None)
        front = Front(id=uuid.uuid4(), system_uuid=access.system_uuid, member_uuid=member.uuid, started_at=at,
                      ended_at=None, comment=spec.comment, created_at=now, updated_at=now)
        session.add(front)
        current.append(front)
    session.flush()
    current.sort(key=lambda f: (f.started_at, str(f.id)))
    return [front_out(front, wanted[front.member_uuid], access, with_member=True) for front in current]


# --- reading ---------------------------------------------------------------------------------------------------

def _member_of(session: Session, front: Front) -> Member:
    member = session.get(Member, front.member_uuid)
    assert member is not None, "a front's member exists (deleting a member deletes its fronts)"
    return member


def _seen(access: Access, query: Select[Any]) -> Select[Any]:
    """`query` (over fronts joined with their members) narrowed to the fronts this viewer may see: all for the
    owner, for anyone else only those of members whose visibility lets them see the member."""
    return access.only_visible(query, Member)


def front_out(front: Front, member: Member, access: Access, *, with_member: bool) -> FrontOut:
    return FrontOut(id=str(front.id), member_id=member.hid,
                    member=member_out(member, access) if with_member else None,
                    started_at=front.started_at, ended_at=front.ended_at, comment=front.comment,
                    created_at=front.created_at, updated_at=front.updated_at)


@dataclass(frozen=True)
class FrontFilter:
    member: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    active: bool | None = None


def list_fronts(session: Session, sid: str, viewer: Principal | None, paging: PageRequest, filters: FrontFilter,
                include_member: bool) -> tuple[list[FrontOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area("front_history")
    query = _seen(access, select(Front, Member).join(Member, Member.uuid == Front.member_uuid))
    member_uuid = None
    if filters.member is not None:
        # The member is this system's, so its index alone bounds the scan (no system condition to mislead).
        member_uuid = find_visible(session, access, Member, filters.member, "member").uuid
        query = query.where(Front.member_uuid == member_uuid)
    else:
        query = query.where(Front.system_uuid == access.system_uuid)
    if filters.until is not None:
        query = query.where(Front.started_at < filters.until)
    if filters.since is not None:
        query = query.where((Front.ended_at.is_(None)) | (Front.ended_at > filters.since))
        query = query.where(Front.started_at >= earliest_start_going_on_at(session, access.system_uuid, member_uuid,
                                                                           filters.since))
    if filters.active is not None:
        query = query.where(Front.ended_at.is_(None) if filters.active else Front.ended_at.is_not(None))
    rows, cursor = keyset_page(query, [Front.started_at, Front.id], paging, descending=True, session=session,
                               row_key=lambda row: (row[0].started_at, row[0].id))
    return [front_out(front, member, access, with_member=include_member) for front, member in rows], cursor


def earliest_start_going_on_at(session: Session, system_uuid: uuid.UUID, member_uuid: uuid.UUID | None,
                                moment: datetime) -> datetime:
    """The floor of a `?since=` walk. The walk goes newest first and nothing else tells it where to stop, so without
    a floor its last page reads the whole older history. Fronts that started at `moment` or later all match; an
    earlier one matches only if it is still going at `moment`, and each member has at most one such front: its
    latest start before `moment`, one index probe per member."""
    latest_before = (select(Front.id).where(Front.member_uuid == Member.uuid, Front.started_at < moment)
                     .order_by(Front.started_at.desc(), Front.id.desc()).limit(1).correlate(Member).scalar_subquery())
    probe = (select(func.min(Front.started_at)).select_from(Member).join(Front, Front.id == latest_before)
             .where(Member.system_uuid == system_uuid, (Front.ended_at.is_(None)) | (Front.ended_at > moment)))
    if member_uuid is not None:
        probe = probe.where(Member.uuid == member_uuid)
    earliest = session.execute(probe).scalar()
    return moment if earliest is None else min(earliest, moment)


def get_front(session: Session, sid: str, viewer: Principal | None, front_id: uuid.UUID,
              include_member: bool) -> FrontOut:
    access = read_access(session, sid, viewer)
    access.require_area("front_history")
    found = session.execute(_seen(access, select(Front, Member).join(Member, Member.uuid == Front.member_uuid)
                                  .where(Front.id == front_id, Front.system_uuid == access.system_uuid))).first()
    if found is None:
        raise NotFound("No such front.")  # word for word what an id that was never issued gets
    front, member = found
    return front_out(front, member, access, with_member=include_member)


def _open_fronts(session: Session, access: Access, with_member: bool = True) -> list[FrontOut]:
    # Sorted here, not in SQL: an ORDER BY started_at tempts the planner into walking the start index over the
    # whole history instead of picking the few open fronts out of the (system_uuid, ended_at) index.
    rows = session.execute(_seen(access, select(Front, Member).join(Member, Member.uuid == Front.member_uuid)
                                 .where(Front.system_uuid == access.system_uuid, Front.ended_at.is_(None)))).all()
    rows = sorted(rows, key=lambda row: (row[0].started_at, str(row[0].id)))
    return [front_out(front, member, access, with_member=with_member) for front, member in rows]


def current_fronters(session: Session, sid: str, viewer: Principal | None, with_member: bool = True
                     ) -> list[FrontOut]:
    """The open fronts, each with its member unless `with_member` is false (a token without members:read)."""
    access = read_access(session, sid, viewer)
    access.require_area("front")
    return _open_fronts(session, access, with_member)


def current_switch(session: Session, sid: str, viewer: Principal | None
                   ) -> tuple[datetime | None, list[FrontOut]]:
    """When the latest switch happened (None: there is none) and who fronts since, for PluralKit's /fronters.

    Needs only `front` public, as /fronters does: the time of the latest switch is part of "who fronts now" there.
    It is derived like /switches, from the fronts this viewer may see.
    """
    access = read_access(session, sid, viewer)
    access.require_area("front")
    latest, _ = _switches(session, access, None, 1)
    return (latest[0].timestamp if latest else None), _open_fronts(session, access)


def _newest_event_times(session: Session, access: Access, before: datetime | None, count: int) -> list[datetime]:
    """The newest `count` distinct start or end times earlier than `before` of the fronts this viewer may see:
    two short index scans (for other viewers, each row also probes its member's primary key)."""
    def times(column: InstrumentedAttribute[Any]) -> Select[Any]:
        query = select(column).where(Front.system_uuid == access.system_uuid)
        if not access.owner:  # the owner's scan needs no member rows
            query = _seen(access, query.join(Member, Member.uuid == Front.member_uuid))
        return query

    starts = times(Front.started_at)
    ends = times(Front.ended_at).where(Front.ended_at.is_not(None))
    if before is not None:
        starts = starts.where(Front.started_at < before)
        ends = ends.where(Front.ended_at < before)
    found: set[datetime] = set(session.execute(starts.distinct().order_by(Front.started_at.desc()).limit(count))
                               .scalars())
    found |= set(session.execute(ends.distinct().order_by(Front.ended_at.desc()).limit(count)).scalars())
    return sorted(found, reverse=True)[:count]


def _intervals_around(session: Session, access: Access, oldest: datetime, newest: datetime) -> list[Interval[str]]:
    """Every front this viewer may see covering an instant between just before `oldest` and just after `newest`.

    Those are the fronts starting inside [oldest, newest] (a range of the system's start index) plus, per member,
    the latest front starting before `oldest` (one probe of the member index each): since a member's fronts never
    overlap, no earlier front of that member can reach `oldest`. Neither part grows with the history's length.
    """
    system_uuid = access.system_uuid
    inside = (select(Member.hid, Front.started_at, Front.ended_at).join(Member, Member.uuid == Front.member_uuid)
              .where(Front.system_uuid == system_uuid, Front.started_at >= oldest, Front.started_at <= newest))
    earlier = aliased(Front)
    latest_before = (select(earlier.id).where(earlier.member_uuid == Member.uuid, earlier.started_at < oldest)
                     .order_by(earlier.started_at.desc()).limit(1).correlate(Member).scalar_subquery())
    spanning = (select(Member.hid, Front.started_at, Front.ended_at).select_from(Member)
                .join(Front, Front.id == latest_before)
                .where(Member.system_uuid == system_uuid)
                .where((Front.ended_at.is_(None)) | (Front.ended_at >= oldest)))
    return [Interval(hid, start, end) for query in (inside, spanning)
            for hid, start, end in session.execute(_seen(access, query))]


def list_switches(session: Session, sid: str, viewer: Principal | None, before: datetime | None,
                  limit: int) -> tuple[list[SwitchOut], str | None]:
    """Switches newest first, earlier than `before`; the cursor is the timestamp of the last switch served."""
    access = read_access(session, sid, viewer)
    access.require_area("front_history")
    served, more = _switches(session, access, before, limit)
    cursor = format_timestamp(served[-1].timestamp) if more else None
    return [SwitchOut(timestamp=s.timestamp, member_ids=list(s.member_ids)) for s in served], cursor


def _switches(session: Session, access: Access, before: datetime | None, limit: int) -> tuple[list[Switch], bool]:
    """Up to `limit` switches of the fronts this viewer may see, newest first, earlier than `before`; and whether
    there are more. Event times that change nothing for this viewer (a hidden member's alone) are skipped."""
    found: list[Switch] = []
    bound = before
    while len(found) <= limit:
        moments = _newest_event_times(session, access, bound, limit + 1)
        if not moments:
            break
        intervals = _intervals_around(session, access, moments[-1], moments[0])
        found += change_points(intervals, moments)
        if len(moments) < limit + 1:
            break
        bound = moments[-1]  # only events that changed nothing were skipped: look further back
    return found[:limit], len(found) > limit

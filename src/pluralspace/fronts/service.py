"""Fronts: per-member intervals, the current fronters and the switches derived from the same rows.

Invariant: a member never has two overlapping fronts ([start, end) intervals, a null end is +infinity; touching
ends are not an overlap). Every write first takes the system's row lock (`SELECT ... FOR NO KEY UPDATE` on
PostgreSQL, so concurrent writers of one system queue even across worker processes; SQLite serializes writes
anyway). A front write then checks the member's history with one indexed query (`check_overlap`): because the
invariant holds, the latest front of the member that starts before the new end is the only one that can overlap.
Switch edits (the last section) keep it by construction instead: they change fronts only inside one span between
two change points, where the same members front throughout, or move front events without reordering them.

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

from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import Bundle, Session, aliased

from ..auth.principal import Principal
from ..events import service as events
from ..kit.errors import Conflict, NotFound, ValidationFailed
from ..kit.pagination import PageRequest, keyset_page
from ..kit.rows import columns, plain
from ..kit.timeutil import format_timestamp, utcnow
from ..members.models import Member
from ..members.service import MemberRow, member_columns, member_out
from ..systems.access import (
    Access,
    find_by_uuid,
    find_in_body,
    find_visible,
    read_access,
    resolve_public_ids,
    visible_or_unknown,
    write_access,
)
from .models import Front
from .schemas import (
    FrontCreate,
    FrontEnd,
    FrontersReplace,
    FrontOut,
    FrontPatch,
    SwitchCreate,
    SwitchOut,
    SwitchPatch,
)
from .switches import Interval, Switch, change_points, fronting_after, fronting_before

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



def _shown_front(front: Front, member: Member) -> events.Render:
    """The front as GET /fronts/{id} shows it to each viewer: what its events carry."""
    def render(access: Access) -> FrontOut:
        access.require_area("front_history")
        return front_out(front, visible_or_unknown(access, member, "front"), access, with_member=False)

    return render


def _shown_fronters(session: Session) -> events.Render:
    """Who fronts now, as GET /fronters shows it to each viewer (without member objects: those need members:read,
    the fronters themselves only fronts:read)."""
    def render(access: Access) -> list[FrontOut]:
        access.require_area("front")
        return _open_fronts(session, access, with_member=False)

    return render


def _record(session: Session, access: Access, kind: str, front: Front, member: Member, *, fronters: bool) -> None:
    """`front.<kind>`, and `fronters.changed` when the change touches who fronts now."""
    events.record(session, access.system, f"front.{kind}", _shown_front(front, member))
    if fronters:
        session.flush()
        events.record(session, access.system, "fronters.changed", _shown_fronters(session), once=True)


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
    _record(session, access, "started", front, member, fronters=front.ended_at is None)
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
    was_open = front.ended_at is None
    front.started_at, front.ended_at = start, end
    if "comment" in changes:
        front.comment = changes["comment"]
    front.updated_at = utcnow()
    member = _member_of(session, front)
    _record(session, access, "updated", front, member, fronters=was_open != (end is None))
    return front_out(front, member, access, with_member=False)


def end_front(session: Session, sid: str, principal: Principal, front_id: uuid.UUID, spec: FrontEnd) -> FrontOut:
    access = write_access(session, sid, principal, serialize=True)
    front = _front(session, access, front_id)
    if front.ended_at is not None:
        raise Conflict("front_ended", f"This front already ended at {format_timestamp(front.ended_at)}.")
    now = utcnow()
    end = spec.ended_at or now
    _check_order(front.started_at, end)
    front.ended_at, front.updated_at = end, now
    member = _member_of(session, front)
    _record(session, access, "ended", front, member, fronters=True)
    return front_out(front, member, access, with_member=False)


def delete_front(session: Session, sid: str, principal: Principal, front_id: uuid.UUID) -> None:
    access = write_access(session, sid, principal, serialize=True)
    front = _front(session, access, front_id)
    member = _member_of(session, front)
    events.record(session, access.system, "front.deleted", _shown_front(front, member))
    session.delete(front)
    if front.ended_at is None:
        session.flush()
        events.record(session, access.system, "fronters.changed", _shown_fronters(session), once=True)


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
    ended: list[Front] = []
    for front in open_fronts:
        if front.member_uuid in wanted:
            current.append(front)
            continue
        if at <= front.started_at:
            raise ValidationFailed.field("at", f"must be after {format_timestamp(front.started_at)}, the start of "
                                               f"the front it would end ({front.id})")
        front.ended_at, front.updated_at = at, now
        ended.append(front)
    started: list[Front] = []
    for member in wanted.values():
        if member.uuid in fronting:
            continue
        check_overlap(session, member.uuid, at, None)
        front = Front(id=uuid.uuid4(), system_uuid=access.system_uuid, member_uuid=member.uuid, started_at=at,
                      ended_at=None, comment=spec.comment, created_at=now, updated_at=now)
        session.add(front)
        current.append(front)
        started.append(front)
    session.flush()
    if ended or started:
        members = {m.uuid: m for m in session.execute(select(Member).where(
            Member.uuid.in_([f.member_uuid for f in ended]))).scalars()} if ended else {}
        members.update(wanted)
        for kind, fronts in (("ended", ended), ("started", started)):
            for front in fronts:
                events.record(session, access.system, f"front.{kind}", _shown_front(front, members[front.member_uuid]))
        events.record(session, access.system, "fronters.changed", _shown_fronters(session), once=True)
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


FrontRow = Front | Any
"""A front as read: the entity (writes), or the `front` part of a plain `_rows()` row (reads; kit/rows.py)."""


def _rows() -> Select[Any]:
    """Fronts joined with their members as rows: `row.front`, `row.member` (what `front_out` takes)."""
    return (select(Bundle("front", *columns(Front)), Bundle("member", *member_columns()))
            .join(Member, Member.uuid == Front.member_uuid))


def front_out(front: FrontRow, member: MemberRow, access: Access, *, with_member: bool) -> FrontOut:
    return FrontOut(id=str(front.id), member_id=member.hid,
                    member=member_out(member, access) if with_member else None,
                    started_at=front.started_at, ended_at=front.ended_at, comment=front.comment,
                    created_at=front.created_at, updated_at=front.updated_at)


INCLUDES = {"member": "members:read"}
"""`?include=` on front reads (`member` fills each front's member object), and the read scope each needs."""


@dataclass(frozen=True)
class FrontFilter:
    member: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    active: bool | None = None


def list_fronts(session: Session, sid: str, viewer: Principal | None, paging: PageRequest, filters: FrontFilter,
                include: frozenset[str]) -> tuple[list[FrontOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area("front_history")
    query = _seen(access, _rows())
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
                               row_key=lambda row: (row.front.started_at, row.front.id))
    return [front_out(front, member, access, with_member="member" in include)
            for front, member in plain(rows)], cursor


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
              include: frozenset[str]) -> FrontOut:
    access = read_access(session, sid, viewer)
    access.require_area("front_history")
    found = session.execute(_seen(access, _rows().where(Front.id == front_id,
                                                        Front.system_uuid == access.system_uuid))).first()
    if found is None:
        raise NotFound("No such front.")  # word for word what an id that was never issued gets
    front, member = plain([found])[0]
    return front_out(front, member, access, with_member="member" in include)


def _open_fronts(session: Session, access: Access, with_member: bool = True) -> list[FrontOut]:
    # Sorted here, not in SQL: an ORDER BY started_at tempts the planner into walking the start index over the
    # whole history instead of picking the few open fronts out of the (system_uuid, ended_at) index.
    rows = session.execute(_seen(access, _rows().where(Front.system_uuid == access.system_uuid,
                                                       Front.ended_at.is_(None)))).all()
    rows = sorted(plain(rows), key=lambda row: (row.front.started_at, str(row.front.id)))
    return [front_out(front, member, access, with_member=with_member) for front, member in rows]


def current_fronters(session: Session, sid: str, viewer: Principal | None,
                     include: frozenset[str] = frozenset(INCLUDES)) -> list[FrontOut]:
    """The open fronts, each with its member when `include` has `member` (not for a token without members:read)."""
    access = read_access(session, sid, viewer)
    access.require_area("front")
    return _open_fronts(session, access, "member" in include)


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


def _event_times(session: Session, access: Access, count: int, *, before: datetime | None = None,
                 after: datetime | None = None) -> list[datetime]:
    """The `count` distinct start or end times of the fronts this viewer may see nearest to a bound: the newest
    earlier than `before`, newest first, or with `after` the oldest later than it, oldest first. Two short index
    scans (for other viewers, each row also probes its member's primary key)."""
    def nearest(column: Any) -> Select[Any]:
        query = select(column).where(Front.system_uuid == access.system_uuid)
        if not access.owner:  # the owner's scan needs no member rows
            query = _seen(access, query.join(Member, Member.uuid == Front.member_uuid))
        if column is Front.ended_at:
            query = query.where(Front.ended_at.is_not(None))
        if before is not None:
            query = query.where(column < before)
        if after is not None:
            query = query.where(column > after)
        return query.distinct().order_by(column.asc() if after is not None else column.desc()).limit(count)

    times = set(session.execute(nearest(Front.started_at)).scalars())
    times |= set(session.execute(nearest(Front.ended_at)).scalars())
    return sorted(times, reverse=after is None)[:count]


_EARLIER = aliased(Front)  # built once: an alias memoizes its columns, which costs more than the query it is in


def _around(access: Access, oldest: datetime, newest: datetime, *columns: Any) -> list[Select[Any]]:
    """Queries of `columns` over every front this viewer may see covering an instant between just before `oldest`
    and just after `newest`.

    Those are the fronts starting inside [oldest, newest] (a range of the system's start index) plus, per member,
    the latest front starting before `oldest` (one probe of the member index each): since a member's fronts never
    overlap, no earlier front of that member can reach `oldest`. Neither part grows with the history's length.
    """
    system_uuid = access.system_uuid
    inside = (select(*columns).join(Member, Member.uuid == Front.member_uuid)
              .where(Front.system_uuid == system_uuid, Front.started_at >= oldest, Front.started_at <= newest))
    earlier = _EARLIER
    latest_before = (select(earlier.id).where(earlier.member_uuid == Member.uuid, earlier.started_at < oldest)
                     .order_by(earlier.started_at.desc()).limit(1).correlate(Member).scalar_subquery())
    spanning = (select(*columns).select_from(Member)
                .join(Front, Front.id == latest_before)
                .where(Member.system_uuid == system_uuid)
                .where((Front.ended_at.is_(None)) | (Front.ended_at >= oldest)))
    return [_seen(access, inside), _seen(access, spanning)]


def _intervals_around(session: Session, access: Access, oldest: datetime, newest: datetime) -> list[Interval[str]]:
    """The fronts of `_around` as intervals keyed by the members' short ids."""
    return [Interval(hid, start, end) for query in _around(access, oldest, newest, Member.hid, Front.started_at,
                                                           Front.ended_at)
            for hid, start, end in session.execute(query)]


def list_switches(session: Session, sid: str, viewer: Principal | None, before: datetime | None,
                  limit: int) -> tuple[list[SwitchOut], str | None]:
    """Switches newest first, earlier than `before`; the cursor is the timestamp of the last switch served."""
    access = read_access(session, sid, viewer)
    access.require_area("front_history")
    served, more = _switches(session, access, before, limit)
    cursor = format_timestamp(served[-1].timestamp) if more else None
    return [_switch_out(switch) for switch in served], cursor


def _switches(session: Session, access: Access, before: datetime | None, limit: int) -> tuple[list[Switch], bool]:
    """Up to `limit` switches of the fronts this viewer may see, newest first, earlier than `before`; and whether
    there are more. Event times that change nothing for this viewer (a hidden member's alone) are skipped."""
    found: list[Switch] = []
    bound = before
    while len(found) <= limit:
        moments = _event_times(session, access, limit + 1, before=bound)
        if not moments:
            break
        intervals = _intervals_around(session, access, moments[-1], moments[0])
        found += change_points(intervals, moments)
        if len(moments) < limit + 1:
            break
        bound = moments[-1]  # only events that changed nothing were skipped: look further back
    return found[:limit], len(found) > limit


# --- one switch: read, add, move, change, remove ---------------------------------------------------------------
#
# A switch has no row: it is the change point at its timestamp, so the timestamp is its id. Each edit below is
# carried out on the fronts, in one transaction under the system's lock, and leaves the history free of overlaps:
# a span between two change points is fronted throughout by the same members, so setting who fronts in it only
# cuts, extends or adds fronts inside that span; a move keeps every front event in its order. `keep` names
# members whose fronting an edit leaves as it is (PluralKit cannot see custom fronts, so its edits keep them).

NO_SUCH_SWITCH = "No such switch."


def find_switch(session: Session, access: Access, at: datetime) -> SwitchOut | None:
    """The switch at `at` as this viewer sees it (derived from the fronts they may see), or None."""
    found = change_points(_intervals_around(session, access, at, at), [at])
    return _switch_out(found[0]) if found else None


def _switch_out(switch: Switch) -> SwitchOut:
    return SwitchOut(timestamp=switch.timestamp, member_ids=list(switch.member_ids))


def _existing_switch(session: Session, access: Access, at: datetime) -> SwitchOut:
    found = find_switch(session, access, at)
    if found is None:
        raise NotFound(NO_SUCH_SWITCH)  # word for word the same for a switch hidden from this viewer
    return found


def get_switch(session: Session, sid: str, viewer: Principal | None, at: datetime) -> SwitchOut:
    access = read_access(session, sid, viewer)
    access.require_area("front_history")
    return _existing_switch(session, access, at)


def create_switch(session: Session, sid: str, principal: Principal, spec: SwitchCreate,
                  keep: frozenset[uuid.UUID] = frozenset()) -> SwitchOut:
    """A switch at `spec.timestamp` (default now): `spec.member_ids` front from then until the next change point,
    so a back-dated switch is inserted into the history and the switches after it stay."""
    access = write_access(session, sid, principal, serialize=True)
    at = spec.timestamp or utcnow()
    wanted = _member_keys(session, access, spec.member_ids)
    before, after = _fronting_at(session, access, at)
    if before != after:
        raise Conflict("switch_exists", f"There is a switch at {format_timestamp(at)} already: change it instead.")
    wanted = _kept(wanted, after, keep)
    if wanted == after:
        raise Conflict("no_change", f"Exactly these members front at {format_timestamp(at)}: that is no switch.")
    _set_span(session, access, at, _next_change(session, access, at, after), wanted)
    return _existing_switch(session, access, at)


def update_switch(session: Session, sid: str, principal: Principal, at: datetime, patch: SwitchPatch,
                  keep: frozenset[uuid.UUID] = frozenset()) -> SwitchOut:
    """Replace who fronts from the switch until the next one (`member_ids`), then move it (`timestamp`); what is
    not sent stays, and the members it has already change nothing."""
    access = write_access(session, sid, principal, serialize=True)
    before, after = _fronting_at_switch(session, access, at)
    changes = patch.sent()
    if "member_ids" in changes:
        wanted = _kept(_member_keys(session, access, patch.member_ids), after, keep)
        if wanted == before:
            raise ValidationFailed.field("member_ids", "are who fronted before this switch, so it would be no "
                                                       "switch: delete it instead")
        if wanted != after:
            _set_span(session, access, at, _next_change(session, access, at, after), wanted)
    if "timestamp" in changes and patch.timestamp != at:
        _move(session, access, at, patch.timestamp)
        at = patch.timestamp
    return _existing_switch(session, access, at)


def delete_switch(session: Session, sid: str, principal: Principal, at: datetime,
                  keep: frozenset[uuid.UUID] = frozenset()) -> None:
    """Remove the change point: who fronted before it fronts on until the next switch."""
    access = write_access(session, sid, principal, serialize=True)
    before, after = _fronting_at_switch(session, access, at)
    _set_span(session, access, at, _next_change(session, access, at, after), _kept(before, after, keep))


def _member_keys(session: Session, access: Access, member_ids: list[str]) -> set[str]:
    return {str(member.uuid) for member in resolve_public_ids(session, Member, access.system_uuid, member_ids,
                                                               "member_ids")}


def _kept(wanted: set[str], fronting: set[str], keep: frozenset[uuid.UUID]) -> set[str]:
    """`wanted`, with the members of `keep` fronting exactly as in `fronting`."""
    kept = {str(key) for key in keep}
    return (wanted - kept) | (fronting & kept)


def _intervals(fronts: list[Front]) -> list[Interval[str]]:
    """Fronts as intervals keyed by member uuid (as text)."""
    return [Interval(str(front.member_uuid), front.started_at, front.ended_at) for front in fronts]


def _fronts_around(session: Session, access: Access, oldest: datetime, newest: datetime) -> list[Front]:
    return [front for query in _around(access, oldest, newest, Front) for front in session.execute(query).scalars()]


def _fronting_at(session: Session, access: Access, at: datetime) -> tuple[set[str], set[str]]:
    """Who fronts right before `at` and right after it."""
    window = _intervals(_fronts_around(session, access, at, at))
    return ({i.member for i in fronting_before(window, at)}, {i.member for i in fronting_after(window, at)})


def _fronting_at_switch(session: Session, access: Access, at: datetime) -> tuple[set[str], set[str]]:
    """Who fronts right before and right after the switch at `at` (the owner's view); 404 when it is no switch."""
    before, after = _fronting_at(session, access, at)
    if before == after:
        raise NotFound(NO_SUCH_SWITCH)
    return before, after


NEXT_CHANGE_SCAN = 8
"""Event times read per step while looking for the next change point (most often the very next event is one)."""


def _next_change(session: Session, access: Access, at: datetime, fronting: set[str]) -> datetime | None:
    """The first change point after `at`, where `fronting` (who fronts right after `at`) stops fronting together;
    None when they front on."""
    bound = at
    while True:
        moments = _event_times(session, access, NEXT_CHANGE_SCAN, after=bound)
        if not moments:
            return None
        window = _intervals(_fronts_around(session, access, moments[0], moments[-1]))
        for moment in moments:
            if {i.member for i in fronting_after(window, moment)} != fronting:
                return moment
        if len(moments) < NEXT_CHANGE_SCAN:
            return None
        bound = moments[-1]


def _move(session: Session, access: Access, at: datetime, new: datetime) -> None:
    """Every front starting or ending at `at` starts or ends at `new` instead. `new` must stay between the front
    events before and after `at`, so no front can come to end before it starts or to overlap another."""
    earlier = _event_times(session, access, 1, before=at)
    later = _event_times(session, access, 1, after=at)
    if (earlier and new <= earlier[0]) or (later and new >= later[0]):
        before, after = _fronting_at(session, access, new)
        if before != after:
            raise Conflict("switch_exists", f"There is a switch at {format_timestamp(new)} already.")
        bounds = [f"after {format_timestamp(earlier[0])}"] if earlier else []
        bounds += [f"before {format_timestamp(later[0])}"] if later else []
        raise ValidationFailed.field("timestamp", f"must stay between the changes around this switch: "
                                                  f"{' and '.join(bounds)}")
    now = utcnow()
    # Two queries, one per index: an OR of the two columns would scan the whole history on SQLite.
    starting = session.execute(select(Front).where(Front.system_uuid == access.system_uuid,
                                                   Front.started_at == at)).scalars().all()
    ending = session.execute(select(Front).where(Front.system_uuid == access.system_uuid,
                                                 Front.ended_at == at)).scalars().all()
    for front in starting:
        front.started_at, front.updated_at = new, now
    for front in ending:
        front.ended_at, front.updated_at = new, now
    _announce_edits(session, access)


def _set_span(session: Session, access: Access, start: datetime, end: datetime | None, wanted: set[str]) -> None:
    """Make `wanted` exactly the fronters of [start, end) (end None: from start on), where the fronters were one
    set throughout. Members left out are cut out of the span (their fronts shortened, split or deleted); a member
    added continues a front that touches the span rather than getting a second one, so a member who fronts on
    without a break keeps one front."""
    now = utcnow()
    newest = end or max([start, *_event_times(session, access, 1)])
    present: set[str] = set()
    before: dict[str, Front] = {}  # fronts ending where the span starts, by member
    after: dict[str, Front] = {}  # fronts starting where the span ends
    for front in _fronts_around(session, access, start, newest):
        member = str(front.member_uuid)
        if front.ended_at == start:
            before[member] = front
        if end is not None and front.started_at == end:
            after[member] = front
        if (end is not None and front.started_at >= end) or (front.ended_at is not None and front.ended_at <= start):
            continue
        if member in wanted:
            present.add(member)
            continue
        old_end = front.ended_at
        left = front.started_at < start
        right = end is not None and (old_end is None or old_end > end)
        if left and right:  # the member fronted across the whole span: keep what came after it
            session.add(Front(id=uuid.uuid4(), system_uuid=access.system_uuid, member_uuid=front.member_uuid,
                              started_at=end, ended_at=old_end, comment=front.comment, created_at=now,
                              updated_at=now))
        if left:
            front.ended_at, front.updated_at = start, now
        elif right:
            assert end is not None  # `right` holds only for a span with an end
            front.started_at, front.updated_at = end, now
        else:
            session.delete(front)
    for member in sorted(wanted - present):
        earlier, later = before.get(member), after.get(member)
        if earlier is not None and later is not None:
            earlier.ended_at, earlier.updated_at = later.ended_at, now
            session.delete(later)
        elif earlier is not None:
            earlier.ended_at, earlier.updated_at = end, now
        elif later is not None:
            later.started_at, later.updated_at = start, now
        else:
            session.add(Front(id=uuid.uuid4(), system_uuid=access.system_uuid, member_uuid=uuid.UUID(member),
                              started_at=start, ended_at=end, comment=None, created_at=now, updated_at=now))
    _announce_edits(session, access)
    session.flush()


def _announce_edits(session: Session, access: Access) -> None:
    """The events of a switch edit: `front.started|updated|deleted` for each front it added, changed or removed
    (read from the session's pending changes, so every branch above is covered), and `fronters.changed` when an
    open front was among them."""
    pending = [("started", session.new), ("updated", session.dirty), ("deleted", session.deleted)]
    touched = sorted(((kind, item) for kind, items in pending for item in items if isinstance(item, Front)),
                     key=lambda pair: (pair[1].started_at, str(pair[1].member_uuid)))
    if not touched:
        return
    # Read before the member query below flushes (a flush forgets each attribute's earlier value).
    fronters_changed = any(front.ended_at is None or None in inspect(front).attrs.ended_at.history.deleted
                           for _, front in touched)
    members = {member.uuid: member for member in session.execute(
        select(Member).where(Member.uuid.in_({front.member_uuid for _, front in touched}))).scalars()}
    for kind, front in touched:
        events.record(session, access.system, f"front.{kind}", _shown_front(front, members[front.member_uuid]))
    if fronters_changed:
        session.flush()
        events.record(session, access.system, "fronters.changed", _shown_fronters(session), once=True)

"""PluralKit switches on top of pluralspace's fronts.

pluralspace stores fronts (one interval per member); PluralKit's switches are the change points of that history,
exactly what the native `list_switches` derives. Mapping:

* **Ids.** A change point has no row, so its id is derived: a version-8 UUID carrying the timestamp in
  microseconds since 1900 (the first 60 bits, so ids sort by time) and 62 bits of SHA-256 over the system's uuid and
  that timestamp. The same switch always has the same id; the id names its system; and the server can read the
  timestamp back without scanning the history. Moving a switch (PATCH timestamp) gives it a new id.
* **Create** (POST) = the native "replace fronters" at `timestamp` (default now). Only switches later than every
  front event can be added: the native operation replaces *current* fronters, so inserting into the middle of the
  history would rewrite what follows. An earlier timestamp is refused (40001) rather than corrupting history; a
  timestamp equal to an existing switch is 40005, the current fronters again 40004.
* **PATCH timestamp** moves every front start and end at the change point to the new time, with the native
  `update_front` (its rules apply). The switch must stay between the neighbouring front events (40001 otherwise),
  so the order of events never changes.
* **PATCH members** sets who fronts from the switch until the next change point: fronts of members left out are
  cut out of that span (shortened, split or deleted), members added get a front for it (or their front ending at
  the switch is extended). **DELETE** does the same with the members fronting just before the switch, so the span
  continues the previous switch, which is what deleting a switch means in PluralKit.
* **Custom fronts** do not exist for PluralKit: they are left out of switch member lists, and a switch posted
  through /pk keeps the custom fronts that are open.
* **Order.** Members of a switch are ordered by when they started fronting (ties by id), not by the order a client
  sent them in: fronts do not record an order.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..fronts import service as fronts
from ..fronts.models import Front
from ..fronts.schemas import FrontCreate, FrontersReplace, FrontPatch, SwitchOut
from ..fronts.switches import Interval, event_times, fronting_after, fronting_before
from ..kit.errors import Forbidden
from ..kit.ids import parse_uuid
from ..kit.timeutil import format_timestamp, utcnow
from ..members.models import Member
from ..members.schemas import MemberOut
from ..members.service import member_out
from ..systems.access import Access, read_access, write_access
from .errors import PkError, member_not_yours, member_ref_not_found, switch_not_found
from .refs import custom_front_uuids, member_keys, own_rows, system_sid
from .translate import Shape, member_v2, timestamp, validated

EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MAX_PAGE = 100
SWITCH_FIELDS = Shape(keys={"members": "member_ids", "timestamp": "at"})
FRONT_FIELDS = Shape(keys={"timestamp": "started_at"})
_LOW_62 = (1 << 62) - 1


# --- ids ---------------------------------------------------------------------------------------------------------

def _digest(system_uuid: uuid.UUID, micros: int) -> int:
    digest = hashlib.sha256(system_uuid.bytes + micros.to_bytes(8, "big")).digest()
    return int.from_bytes(digest[:8], "big") & _LOW_62


def switch_id(system_uuid: uuid.UUID, at: datetime) -> str:
    micros = (at - EPOCH) // MICROSECOND
    value = (micros >> 12) << 80 | 0x8 << 76 | (micros & 0xFFF) << 64 | 0b10 << 62 | _digest(system_uuid, micros)
    return str(uuid.UUID(int=value))


def switch_time(system_uuid: uuid.UUID, ident: str) -> datetime:
    """The timestamp a switch id of this system names; 40006 for a non-UUID, 20008 for anyone else's id."""
    key = parse_uuid(ident)
    if key is None:
        raise PkError(400, 40006, "Invalid switch ID.")
    micros = (key.int >> 80) << 12 | (key.int >> 64) & 0xFFF
    if key.version != 8 or key.int & _LOW_62 != _digest(system_uuid, micros):
        raise switch_not_found()
    return EPOCH + micros * MICROSECOND


def parse_time(value: Any, key: str = "timestamp") -> datetime | None:
    """PluralKit parses timestamps leniently: ISO 8601, `Z` or an offset; without one it is UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise PkError.invalid({key: "must be an ISO 8601 timestamp"}) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


# --- reading -----------------------------------------------------------------------------------------------------

def _switch_at(session: Session, sid: str, viewer: Principal | None, at: datetime) -> SwitchOut | None:
    switches, _ = fronts.list_switches(session, sid, viewer, at + MICROSECOND, 1)
    return switches[0] if switches and switches[0].timestamp == at else None


def _written(session: Session, sid: str, principal: Principal, at: datetime) -> SwitchOut:
    """The switch a write has just made at `at`."""
    switch = _switch_at(session, sid, principal, at)
    assert switch is not None, "the write made a switch at this time"
    return switch


def _shown(session: Session, access: Access, switch: SwitchOut, *, full: bool) -> dict[str, Any]:
    """A derived switch in PluralKit's shape: member short ids (lists) or full members, custom fronts left out."""
    keys = member_keys(session, access.system_uuid)
    hids = [hid for hid in switch.member_ids if hid in keys and not keys[hid][1]]
    members: list[Any] = hids
    if full and hids:
        rows = {m.hid: m for m in session.execute(select(Member).where(Member.hid.in_(hids))).scalars()}
        members = [member_v2(member_out(rows[hid], access)) for hid in hids]
    return {"id": switch_id(access.system_uuid, switch.timestamp), "timestamp": timestamp(switch.timestamp),
            "members": members}


def list_switches(session: Session, sid: str, viewer: Principal | None, before: datetime | None,
                  limit: int) -> list[dict[str, Any]]:
    sid = system_sid(session, sid)
    switches, _ = fronts.list_switches(session, sid, viewer, before, limit)
    access = read_access(session, sid, viewer)
    return [_shown(session, access, switch, full=False) for switch in switches]


def get_switch(session: Session, sid: str, viewer: Principal | None, ident: str) -> dict[str, Any]:
    sid = system_sid(session, sid)
    access = read_access(session, sid, viewer)
    at = switch_time(access.system_uuid, ident)
    try:
        found = _switch_at(session, sid, viewer, at)
    except Forbidden:
        raise switch_not_found() from None  # PluralKit masks a private front history as "not found"
    if found is None:
        raise switch_not_found()
    return _shown(session, access, found, full=True)


def _latest_event(session: Session, system_uuid: uuid.UUID) -> datetime | None:
    starts, ends = session.execute(select(func.max(Front.started_at), func.max(Front.ended_at))
                                   .where(Front.system_uuid == system_uuid)).one()
    return max((t for t in (starts, ends) if t is not None), default=None)


def fronters(session: Session, sid: str, viewer: Principal | None
             ) -> tuple[str, datetime, list[MemberOut]] | None:
    """(switch id, timestamp, members) of the current switch; None (204) when the system has no switches at all."""
    sid = system_sid(session, sid)
    at, current = fronts.current_switch(session, sid, viewer)
    if at is None:
        return None
    access = read_access(session, sid, viewer)
    current.sort(key=lambda front: (front.started_at, front.member_id))
    return switch_id(access.system_uuid, at), at, [f.member for f in current
                                                   if f.member is not None and not f.member.is_custom_front]


# --- writing -----------------------------------------------------------------------------------------------------

def _members_in_body(session: Session, principal: Principal, refs: Any) -> list[uuid.UUID]:
    rows = own_rows(session, Member, principal, refs, member_ref_not_found, member_not_yours)
    if len({row.uuid for row in rows}) != len(rows):
        raise PkError(400, 40003, "Duplicate members in member list.")
    return [row.uuid for row in rows]


def _open_members(session: Session, system_uuid: uuid.UUID) -> set[uuid.UUID]:
    return set(session.execute(select(Front.member_uuid).where(Front.system_uuid == system_uuid,
                                                               Front.ended_at.is_(None))).scalars())


def _writable(session: Session, sid: str, principal: Principal) -> Access:
    # Serialized like every native front write, so the checks below and the changes see one consistent history.
    return write_access(session, system_sid(session, sid), principal, serialize=True)


def create_switch(session: Session, sid: str, principal: Principal, body: Any) -> dict[str, Any]:
    access = _writable(session, sid, principal)
    sid = str(access.system_uuid)
    if not isinstance(body, dict):
        raise PkError.bad_request()
    wanted = _members_in_body(session, principal, body.get("members"))
    at = parse_time(body.get("timestamp")) or utcnow()
    if _switch_at(session, sid, principal, at) is not None:
        raise PkError(400, 40005, "Switch with provided timestamp already exists.")
    latest = _latest_event(session, access.system_uuid)
    if latest is not None and at <= latest:
        raise PkError.invalid({"timestamp": f"must be later than the latest switch ({format_timestamp(latest)}): "
                                            "pluralspace adds switches at the end of the history only"})
    current = _open_members(session, access.system_uuid)
    custom = custom_front_uuids(session, access.system_uuid)
    if set(wanted) == current - custom:
        raise PkError(400, 40004, "Member list identical to current fronter list.")
    spec = validated(FrontersReplace, {"member_ids": [str(m) for m in [*wanted, *(current & custom)]], "at": at},
                     SWITCH_FIELDS)
    fronts.replace_fronters(session, sid, principal, spec)
    return _shown(session, access, _written(session, sid, principal, at), full=True)


def _existing(session: Session, sid: str, principal: Principal, access: Access, ident: str) -> datetime:
    at = switch_time(access.system_uuid, ident)
    if _switch_at(session, sid, principal, at) is None:
        raise switch_not_found()
    return at


def move_switch(session: Session, sid: str, principal: Principal, ident: str, body: Any) -> dict[str, Any]:
    access = _writable(session, sid, principal)
    sid = str(access.system_uuid)
    at = _existing(session, sid, principal, access, ident)
    new = parse_time(body.get("timestamp")) if isinstance(body, dict) else None
    if new is None:
        raise PkError.invalid({"timestamp": "is required"})
    if new != at:
        if _switch_at(session, sid, principal, new) is not None:
            raise PkError(400, 40005, "Switch with provided timestamp already exists.")
        history = _history_from(session, access.system_uuid, min(at, new) - MICROSECOND)
        earlier = [t for t in event_times(history) if t < at]
        later = [t for t in event_times(history) if t > at]
        if (earlier and new <= max(earlier)) or (later and new >= min(later)):
            raise PkError.invalid({"timestamp": "must stay between the switches before and after it"})
        rows = {front.id: front for front in _fronts_from(session, access.system_uuid, min(at, new) - MICROSECOND)}
        steps = [(front.id, "ended_at") for front in rows.values() if front.ended_at == at]
        steps += [(front.id, "started_at") for front in rows.values() if front.started_at == at]
        if new > at:
            steps.reverse()  # moving later: starts move first, so no front ever ends before it starts
        for front_id, key in steps:
            fronts.update_front(session, sid, principal, front_id, validated(FrontPatch, {key: new}, FRONT_FIELDS))
    return _shown(session, access, _written(session, sid, principal, new), full=True)


def replace_switch_members(session: Session, sid: str, principal: Principal, ident: str,
                           refs: Any) -> dict[str, Any]:
    access = _writable(session, sid, principal)
    sid = str(access.system_uuid)
    at = _existing(session, sid, principal, access, ident)
    wanted = set(_members_in_body(session, principal, refs))
    history = _history_from(session, access.system_uuid, at)
    current = {i.member for i in fronting_after(history, at)}
    custom = custom_front_uuids(session, access.system_uuid)
    if wanted == current - custom:
        raise PkError(400, 40004, "Member list identical to current fronter list.")
    wanted |= current & custom
    if wanted == {i.member for i in fronting_before(history, at)}:
        raise PkError.invalid({"members": "is the member list of the switch before; delete this switch instead"})
    _set_fronters(session, sid, principal, access, at, _next_change(history, at), wanted)
    return _shown(session, access, _written(session, sid, principal, at), full=True)


def delete_switch(session: Session, sid: str, principal: Principal, ident: str) -> None:
    access = _writable(session, sid, principal)
    sid = str(access.system_uuid)
    at = _existing(session, sid, principal, access, ident)
    history = _history_from(session, access.system_uuid, at)
    previous = {i.member for i in fronting_before(history, at)}
    _set_fronters(session, sid, principal, access, at, _next_change(history, at), previous)


def _fronts_from(session: Session, system_uuid: uuid.UUID, since: datetime) -> list[Front]:
    """Every front covering an instant from just before `since` on."""
    return list(session.execute(select(Front).where(
        Front.system_uuid == system_uuid, or_(Front.ended_at.is_(None), Front.ended_at >= since))
        .order_by(Front.started_at, Front.id)).scalars())


def _history_from(session: Session, system_uuid: uuid.UUID, since: datetime) -> list[Interval[uuid.UUID]]:
    return [Interval(f.member_uuid, f.started_at, f.ended_at) for f in _fronts_from(session, system_uuid, since)]


def _next_change(history: list[Interval[uuid.UUID]], at: datetime) -> datetime | None:
    """The next change point after `at`: until then the fronters stay those right after `at`."""
    fronting = {i.member for i in fronting_after(history, at)}
    for moment in sorted(t for t in event_times(history) if t > at):
        if {i.member for i in fronting_after(history, moment)} != fronting:
            return moment
    return None


def _set_fronters(session: Session, sid: str, principal: Principal, access: Access, start: datetime,
                  end: datetime | None, wanted: set[uuid.UUID]) -> None:
    """Make `wanted` the fronters of [start, end) (end None: from start on) with the native front operations."""
    present: set[uuid.UUID] = set()
    before: dict[uuid.UUID, Front] = {}  # fronts ending where the span starts, by member
    after: dict[uuid.UUID, Front] = {}  # fronts starting where the span ends
    for front in _fronts_from(session, access.system_uuid, start):
        if front.ended_at == start:
            before[front.member_uuid] = front
        if end is not None and front.started_at == end:
            after[front.member_uuid] = front
        if (end is not None and front.started_at >= end) or (front.ended_at is not None and front.ended_at <= start):
            continue
        if front.member_uuid in wanted:
            present.add(front.member_uuid)
            continue
        old_end = front.ended_at
        left = front.started_at < start
        right = end is not None and (old_end is None or old_end > end)
        if left:
            _patch(session, sid, principal, front.id, {"ended_at": start})
        elif right:
            _patch(session, sid, principal, front.id, {"started_at": end})
        else:
            fronts.delete_front(session, sid, principal, front.id)
        if left and right:  # the member fronted across the whole span: keep what came after it
            spec = {"member_id": str(front.member_uuid), "started_at": end, "ended_at": old_end,
                    "comment": front.comment}
            fronts.create_front(session, sid, principal, validated(FrontCreate, spec, FRONT_FIELDS))
    # Members added to the span continue a front that touches it rather than getting a second one, so a member
    # who fronts on without a break keeps one front (and its place in the switch's order).
    for member_uuid in sorted(wanted - present):
        earlier, later = before.get(member_uuid), after.get(member_uuid)
        if earlier is not None and later is not None:
            until = later.ended_at
            fronts.delete_front(session, sid, principal, later.id)
            _patch(session, sid, principal, earlier.id, {"ended_at": until})
        elif earlier is not None:
            _patch(session, sid, principal, earlier.id, {"ended_at": end})
        elif later is not None:
            _patch(session, sid, principal, later.id, {"started_at": start})
        else:
            spec = {"member_id": str(member_uuid), "started_at": start, "ended_at": end}
            fronts.create_front(session, sid, principal, validated(FrontCreate, spec, FRONT_FIELDS))


def _patch(session: Session, sid: str, principal: Principal, front_id: uuid.UUID, changes: dict[str, Any]) -> None:
    fronts.update_front(session, sid, principal, front_id, validated(FrontPatch, changes, FRONT_FIELDS))

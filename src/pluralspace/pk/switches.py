"""PluralKit switches on top of pluralspace's fronts.

pluralspace stores fronts (one interval per member); PluralKit's switches are the change points of that history,
exactly what the native `list_switches` derives. Mapping:

* **Ids.** A change point has no row, so its id is derived: a version-8 UUID carrying the timestamp in
  microseconds since 1900 (the first 60 bits, so ids sort by time) and 62 bits of SHA-256 over the system's uuid and
  that timestamp. The same switch always has the same id; the id names its system; and the server can read the
  timestamp back without scanning the history. Moving a switch (PATCH timestamp) gives it a new id.
* **Editing** is translation only: create, move (PATCH timestamp), replace members (PATCH members) and delete call
  the native switch operations of `fronts.service`, which carry them out on the fronts. A switch may be posted at
  any time, back-dated ones included: it is inserted into the history, its members fronting from its timestamp
  until the next switch, and the switches after it stay. A timestamp equal to an existing switch is 40005, a
  member list that changes nothing (the fronters at that time already) 40004; a move must stay between the
  changes around the switch (40001 otherwise). Deleting a switch lets the members fronting before it front on
  until the next switch, which is what deleting a switch means in PluralKit.
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

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..fronts import service as fronts
from ..fronts.schemas import SwitchCreate, SwitchOut, SwitchPatch
from ..kit.ids import parse_uuid
from ..members.models import Member
from ..members.schemas import MemberOut
from ..members.service import member_out
from ..systems.access import Access, read_access, write_access
from .errors import PkCode, PkError
from .refs import custom_front_uuids, member_keys, own_rows, system_sid
from .translate import Shape, member_v2, timestamp, validated

EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MAX_PAGE = 100
SWITCH_FIELDS = Shape(keys={"members": "member_ids", "timestamp": "timestamp"})
SWITCH_CONFLICTS = {"switch_exists": PkCode.SWITCH_EXISTS, "no_change": PkCode.SAME_FRONTERS}
"""The native switch operations' 409 reasons, as PluralKit's codes."""
_LOW_62 = (1 << 62) - 1
_LAST_MICROS = (datetime.max.replace(tzinfo=UTC) - EPOCH) // MICROSECOND


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
        raise PkError(PkCode.INVALID_SWITCH_ID)
    micros = (key.int >> 80) << 12 | (key.int >> 64) & 0xFFF
    if key.version != 8 or key.int & _LOW_62 != _digest(system_uuid, micros) or micros > _LAST_MICROS:
        raise PkError(PkCode.SWITCH_NOT_FOUND)  # the digest is no secret: anyone can build an id past year 9999
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

def _shown(session: Session, access: Access, switch: SwitchOut, *, full: bool) -> dict[str, Any]:
    return _shown_all(session, access, [switch], full=full)[0]


def _shown_all(session: Session, access: Access, switches: list[SwitchOut], *, full: bool) -> list[dict[str, Any]]:
    """Derived switches in PluralKit's shape: member short ids (lists) or full members, custom fronts left out.
    The system's members are looked up once for all of them."""
    keys = member_keys(session, access.system_uuid)
    shown = []
    for switch in switches:
        hids = [hid for hid in switch.member_ids if hid in keys and not keys[hid][1]]
        members: list[Any] = hids
        if full and hids:
            rows = {m.hid: m for m in session.execute(select(Member).where(Member.hid.in_(hids))).scalars()}
            members = [member_v2(member_out(rows[hid], access)) for hid in hids]
        shown.append({"id": switch_id(access.system_uuid, switch.timestamp), "timestamp": timestamp(switch.timestamp),
                      "members": members})
    return shown


def list_switches(session: Session, sid: str, viewer: Principal | None, before: datetime | None,
                  limit: int) -> list[dict[str, Any]]:
    sid = system_sid(session, sid)
    switches, _ = fronts.list_switches(session, sid, viewer, before, limit)
    access = read_access(session, sid, viewer)
    return _shown_all(session, access, switches, full=False)


def _switch(session: Session, access: Access, ident: str) -> SwitchOut:
    """The switch an id names, as this viewer sees it. PluralKit masks a private front history as "not found"."""
    at = switch_time(access.system_uuid, ident)
    found = fronts.find_switch(session, access, at) if access.area_public("front_history") else None
    if found is None:
        raise PkError(PkCode.SWITCH_NOT_FOUND)
    return found


def get_switch(session: Session, sid: str, viewer: Principal | None, ident: str) -> dict[str, Any]:
    access = read_access(session, system_sid(session, sid), viewer)
    return _shown(session, access, _switch(session, access, ident), full=True)


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


# --- writing: the native switch operations, custom fronts kept as they are ----------------------------------------

def _writable(session: Session, sid: str, principal: Principal) -> Access:
    # Serialized like the native operations, so the checks here and the changes see one consistent history.
    return write_access(session, system_sid(session, sid), principal, serialize=True)


def _members_in_body(session: Session, principal: Principal, refs: Any) -> list[Member]:
    rows = own_rows(session, Member, principal, refs, PkCode.MEMBER_REF_NOT_FOUND, PkCode.MEMBER_REF_NOT_YOURS)
    if len({row.uuid for row in rows}) != len(rows):
        raise PkError(PkCode.DUPLICATE_MEMBERS)
    return rows


def _keep(session: Session, access: Access) -> frozenset[uuid.UUID]:
    return frozenset(custom_front_uuids(session, access.system_uuid))


def create_switch(session: Session, sid: str, principal: Principal, body: Any) -> dict[str, Any]:
    access = _writable(session, sid, principal)
    if not isinstance(body, dict):
        raise PkError(PkCode.BAD_REQUEST)
    wanted = _members_in_body(session, principal, body.get("members"))
    spec = validated(SwitchCreate, {"member_ids": [str(row.uuid) for row in wanted],
                                    "timestamp": parse_time(body.get("timestamp"))}, SWITCH_FIELDS)
    created = fronts.create_switch(session, str(access.system_uuid), principal, spec, _keep(session, access))
    return _shown(session, access, created, full=True)


def move_switch(session: Session, sid: str, principal: Principal, ident: str, body: Any) -> dict[str, Any]:
    access = _writable(session, sid, principal)
    at = _switch(session, access, ident).timestamp
    new = parse_time(body.get("timestamp")) if isinstance(body, dict) else None
    if new is None:
        raise PkError.invalid({"timestamp": "is required"})
    patch = validated(SwitchPatch, {"timestamp": new}, SWITCH_FIELDS)
    moved = fronts.update_switch(session, str(access.system_uuid), principal, at, patch)
    return _shown(session, access, moved, full=True)


def replace_switch_members(session: Session, sid: str, principal: Principal, ident: str,
                           refs: Any) -> dict[str, Any]:
    access = _writable(session, sid, principal)
    switch = _switch(session, access, ident)
    wanted = _members_in_body(session, principal, refs)
    keep = _keep(session, access)
    shown = {hid for hid, (key, _) in member_keys(session, access.system_uuid).items()
             if hid in switch.member_ids and key not in keep}
    if {row.hid for row in wanted} == shown:
        raise PkError(PkCode.SAME_FRONTERS)
    patch = validated(SwitchPatch, {"member_ids": [str(row.uuid) for row in wanted]}, SWITCH_FIELDS)
    changed = fronts.update_switch(session, str(access.system_uuid), principal, switch.timestamp, patch, keep)
    return _shown(session, access, changed, full=True)


def delete_switch(session: Session, sid: str, principal: Principal, ident: str) -> None:
    access = _writable(session, sid, principal)
    at = _switch(session, access, ident).timestamp
    fronts.delete_switch(session, str(access.system_uuid), principal, at, _keep(session, access))

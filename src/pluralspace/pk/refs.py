"""PluralKit's references: what a path or body names, resolved to pluralspace rows.

PluralKit names members and groups without their system (`/members/{ref}`), by short id (any case, dash
tolerated) or uuid, and systems also by a linked Discord account id. The native services take a system and an id
within it, so these helpers find the owning system first and hand the native services `(system uuid, row uuid)`.

A member or group the caller may not see (another system's, with visibility private: the native rule in
`systems.access`) is not found here, before any other check. PluralKit answers such refs on writes with 403
"not part of your system" (30006-30009), which confirms that they exist; pluralspace answers them exactly like
refs that name nothing (20002-20005), on reads and writes alike.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..kit.ids import normalize_short_id, parse_uuid
from ..members.models import Member
from ..systems.access import read_access
from ..systems.service import ME
from .errors import PkError, system_not_found
from .models import PkAccount

if TYPE_CHECKING:
    from ..groups.models import Group

# A member or a group.
T = TypeVar("T", Member, "Group")
DISCORD_ID = re.compile(r"^[0-9]{17,19}$")


def system_sid(session: Session, ref: str) -> str:
    """A native `{sid}` for a PluralKit system ref: @me, short id, uuid, or a linked Discord account id."""
    if ref != ME and DISCORD_ID.match(ref):
        account = session.get(PkAccount, ref)
        if account is None:
            raise system_not_found()
        return str(account.system_uuid)
    return ref


def locate(session: Session, model: type[T], ref: str) -> T | None:
    """A member or group of any system, by short id or uuid."""
    hid = normalize_short_id(ref)
    if hid is not None:
        return session.execute(select(model).where(model.hid == hid)).scalar_one_or_none()
    key = parse_uuid(ref)
    return session.get(model, key) if key else None


def visible(session: Session, model: type[T], ref: str, viewer: Principal | None) -> T | None:
    """A member or group by ref, if `viewer` may see it at all; None for one hidden from them as for a bad ref."""
    found = locate(session, model, ref)
    if found is None or not read_access(session, str(found.system_uuid), viewer).sees(found.privacy, "visibility"):
        return None
    return found


def locate_or(session: Session, model: type[T], ref: str, viewer: Principal | None,
              missing: Callable[[], PkError]) -> T:
    found = visible(session, model, ref, viewer)
    if found is None:
        raise missing()
    return found


def own_rows(session: Session, model: type[T], principal: Principal, refs: object,
             missing: Callable[[str], PkError], foreign: Callable[[str], PkError]) -> list[T]:
    """The rows a body's list of refs names, in order; each must exist for the caller (20003/20005) and be in the
    caller's system (30008/9)."""
    if not isinstance(refs, list) or not all(isinstance(ref, str) for ref in refs):
        raise PkError.bad_request()
    rows = []
    for ref in refs:
        row = visible(session, model, ref, principal)
        if row is None:
            raise missing(ref)
        if not principal.owns(row.system_uuid):
            raise foreign(ref)
        rows.append(row)
    return rows


def custom_front_uuids(session: Session, system_uuid: uuid.UUID) -> set[uuid.UUID]:
    """Custom fronts are members to pluralspace but do not exist for PluralKit: its shapes leave them out."""
    return set(session.execute(select(Member.uuid).where(Member.system_uuid == system_uuid,
                                                         Member.is_custom_front.is_(True))).scalars())


def member_keys(session: Session, system_uuid: uuid.UUID) -> dict[str, tuple[uuid.UUID, bool]]:
    """short id -> (uuid, is custom front) for every member of a system, in one query."""
    return {hid: (key, custom) for hid, key, custom in session.execute(
        select(Member.hid, Member.uuid, Member.is_custom_front).where(Member.system_uuid == system_uuid))}

"""Systems: resolving `{sid}`, the owner and public views, and profile changes."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ..auth.principal import Principal
from ..events import service as events
from ..identity.account import Account
from ..identity.system import SYSTEM_PRIVACY, System
from ..kit.errors import NotFound, Unauthenticated
from ..kit.ids import new_short_id, normalize_short_id, parse_uuid
from ..kit.patch import apply_patch
from ..kit.privacy import is_public
from ..kit.timeutil import utcnow
from ..kit.validators import color_out
from .schemas import SystemOut, SystemPatch

ME = "@me"


def find_system(session: Session, sid: str, principal: Principal | None, *, snapshot: bool = False) -> System:
    """The system `sid` names (short id, uuid or @me); 404 when there is none.

    With `snapshot`, for reads only, the caller's own system is the row that came with the token, which saves
    every owner read a look-up; writes load it inside their own transaction.
    """
    if sid == ME and principal is None:
        raise Unauthenticated("@me needs a token.")
    if principal is not None and names_own_system(sid, principal):
        if snapshot and principal.system is not None:
            return principal.system
        return own_system(session, principal)
    hid = normalize_short_id(sid)
    system_uuid = None if hid is not None else parse_uuid(sid)
    if hid is None and system_uuid is None:
        raise NotFound("No such system.")
    # A disabled account's system is hidden from everyone, exactly as if it did not exist.
    query = select(System).join(Account, Account.id == System.account_id).where(Account.disabled_at.is_(None))
    query = query.where(System.hid == hid) if hid is not None else query.where(System.uuid == system_uuid)
    system = session.execute(query).scalar_one_or_none()
    if system is None:
        raise NotFound("No such system.")
    return system


def names_own_system(sid: str, principal: Principal | None) -> bool:
    return principal is not None and sid in (ME, principal.system_hid, str(principal.system_uuid))


def own_system_view(sid: str, principal: Principal | None) -> SystemOut | None:
    """The owner's view of their own system when `sid` names it, from the row that came with the token: the
    commonest read of all needs no unit of work of its own. None when `sid` names another system."""
    if principal is None or principal.system is None or not names_own_system(sid, principal):
        return None
    return system_out(principal.system, owner=True)


def is_owner(system: System, principal: Principal | None) -> bool:
    return principal is not None and principal.owns(system.uuid)


def unique_short_id(session: Session, column: InstrumentedAttribute[str]) -> str:
    while True:
        candidate = new_short_id()
        if session.execute(select(column).where(column == candidate)).first() is None:
            return candidate


def create_system(session: Session, account_id: uuid.UUID, name: str | None) -> System:
    now = utcnow()
    system = System(hid=unique_short_id(session, System.hid), account_id=account_id, name=name,
                    timezone="UTC", privacy=SYSTEM_PRIVACY.defaults(), created_at=now, updated_at=now)
    session.add(system)
    return system


def system_out(system: System, owner: bool) -> SystemOut:
    private = not owner
    return SystemOut(
        id=system.hid, uuid=str(system.uuid), name=system.name,
        description=None if private and not is_public(system.privacy.get("description")) else system.description,
        tag=system.tag, pronouns=system.pronouns, color=color_out(system.color), avatar_url=system.avatar_url,
        banner_url=system.banner_url, timezone=system.timezone, privacy=None if private else system.privacy,
        created_at=system.created_at, updated_at=system.updated_at,
    )


def get_system(session: Session, sid: str, principal: Principal | None) -> SystemOut:
    system = find_system(session, sid, principal, snapshot=True)
    return system_out(system, is_owner(system, principal))


def own_system(session: Session, principal: Principal) -> System:
    system = session.get(System, principal.system_uuid)
    assert system is not None, "a principal's system exists (deleting it deletes the account's credentials)"
    return system


def update_system(session: Session, principal: Principal, patch: SystemPatch) -> SystemOut:
    system = own_system(session, principal)
    changes = patch.sent()
    if "timezone" in changes and changes["timezone"] is None:
        changes["timezone"] = "UTC"
    apply_patch(system, changes)
    system.updated_at = utcnow()
    events.record(session, system, "system.updated", lambda access: system_out(system, access.owner))
    return system_out(system, owner=True)

"""Who may see or change what inside a system: the rules every system-scoped domain shares (docs/API.md §5)."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, class_mapper

from ..auth.principal import Principal
from ..identity.access import Access as Access
from ..identity.access import InSystem as InSystem
from ..identity.access import Listed as Listed
from ..identity.system import System
from ..jobs.models import IMPORT, Job
from ..kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..kit.ids import normalize_short_id, parse_uuid
from .service import find_system, is_owner

M = TypeVar("M", bound=Listed)
R = TypeVar("R", bound=InSystem)


def read_access(session: Session, sid: str, viewer: Principal | None) -> Access:
    system = find_system(session, sid, viewer, snapshot=True)
    return Access(system, is_owner(system, viewer))


def write_access(session: Session, sid: str, principal: Principal, *, serialize: bool = False) -> Access:
    """Changes are for the owner only; another system's data is never touched.

    `serialize` makes concurrent writers of one system take turns (a row lock on PostgreSQL, held across worker
    processes; SQLite writes are serialized already), for rules that span rows and that no unique index can
    state: no overlapping fronts, no duplicate edge in either direction, no cycle of groups.
    """
    system = find_system(session, sid, principal)
    if not is_owner(system, principal):
        raise Forbidden("Only the system's owner can change it.")
    # An import applied in steps (SQLite) commits as it goes; a write in between could break what it checked in
    # memory (no overlapping fronts), and its undo on failure would take such a write back with it.
    if session.execute(select(Job.id).where(Job.system_uuid == system.uuid, Job.kind == IMPORT,
                                            Job.status == "running").limit(1)).first() is not None:
        raise Conflict("import_running", "An import of this system is running; change it once it has finished.")
    if serialize:
        # NO KEY UPDATE: writers of this system queue, while inserts elsewhere that reference it stay unblocked.
        session.execute(select(System.uuid).where(System.uuid == system.uuid).with_for_update(key_share=True))
    return Access(system, owner=True)


def find_by_public_id(session: Session, model: type[M], system_uuid: uuid.UUID, ident: str, what: str) -> M:
    """A member or group of this system by short id or uuid; 404 for anything else, other systems' included."""
    hid = normalize_short_id(ident)
    if hid is not None:
        columns = class_mapper(model).columns
        found = session.execute(select(model).where(columns.hid == hid, columns.system_uuid == system_uuid)
                                ).scalar_one_or_none()
    else:
        key = parse_uuid(ident)
        found = session.get(model, key) if key else None
        if found is not None and found.system_uuid != system_uuid:
            found = None
    if found is None:
        raise NotFound(f"No such {what}.")
    return found


def find_visible(session: Session, access: Access, model: type[M], ident: str, what: str) -> M:
    """Like find_by_public_id, but an object whose visibility is private is 404 to anyone but the owner."""
    return visible_or_unknown(access, find_by_public_id(session, model, access.system_uuid, ident, what), what)


def visible_or_unknown(access: Access, found: M, what: str) -> M:
    """`found` (a member or group) when this viewer may see it; 404 otherwise, exactly as an unknown id."""
    if not access.sees(found.privacy, "visibility"):
        raise NotFound(f"No such {what}.")
    return found


def find_in_body(session: Session, model: type[M], system_uuid: uuid.UUID, ident: str, key: str, what: str) -> M:
    """A member or group named by a body key: anything not in this system is a 422 naming that key."""
    try:
        return find_by_public_id(session, model, system_uuid, ident, what)
    except NotFound:
        raise ValidationFailed.field(key, f"{ident!r} is not a {what} of this system") from None


def find_by_uuid(session: Session, model: type[R], system_uuid: uuid.UUID, ident: uuid.UUID, what: str) -> R:
    found = session.get(model, ident)
    if found is None or found.system_uuid != system_uuid:
        raise NotFound(f"No such {what}.")
    return found


def resolve_public_ids(session: Session, model: type[M], system_uuid: uuid.UUID, idents: list[str],
                       path: str) -> list[M]:
    """Maps short ids / uuids sent in a body to this system's rows, in two queries whatever the count.

    Any id that is not in this system (unknown, malformed, another system's) is a 422 naming its position.
    Repeated ids collapse to one row.
    """
    wanted: list[tuple[int, str, object]] = []
    for index, ident in enumerate(idents):
        hid = normalize_short_id(ident)
        key = None if hid else parse_uuid(ident)
        if hid is None and key is None:
            raise ValidationFailed.field(f"{path}.{index}", f"{ident!r} is not an id")
        wanted.append((index, ident, hid or key))
    hids = {value for _, _, value in wanted if isinstance(value, str)}
    keys = {value for _, _, value in wanted if isinstance(value, uuid.UUID)}
    found: dict[object, M] = {}
    columns = class_mapper(model).columns
    if hids:
        for row in session.execute(select(model).where(columns.system_uuid == system_uuid, columns.hid.in_(hids))
                                   ).scalars():
            found[row.hid] = row
    if keys:
        for row in session.execute(select(model).where(columns.system_uuid == system_uuid, columns.uuid.in_(keys))
                                   ).scalars():
            found[row.uuid] = row
    rows: dict[uuid.UUID, M] = {}
    for index, ident, value in wanted:
        match = found.get(value)
        if match is None:
            raise ValidationFailed.field(f"{path}.{index}", f"{ident!r} is not in this system")
        rows.setdefault(match.uuid, match)
    return list(rows.values())

"""Relationship types and the relationships (edges) between a system's members."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, Select, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from ..auth.principal import Principal
from ..kit.errors import Conflict, NotFound, ValidationFailed
from ..kit.pagination import PageRequest, keyset_page
from ..kit.timeutil import utcnow
from ..members.models import Member
from ..systems.access import Access, find_by_uuid, find_in_body, find_visible, read_access, write_access
from .models import Relationship, RelationshipType
from .schemas import (
    RelationshipCreate,
    RelationshipOut,
    RelationshipPatch,
    RelationshipTypeCreate,
    RelationshipTypeOut,
    RelationshipTypePatch,
)

AREA = "relationships"


def type_out(kind: RelationshipType) -> RelationshipTypeOut:
    return RelationshipTypeOut(id=str(kind.id), name=kind.name, inverse_name=kind.inverse_name,
                               description=kind.description, created_at=kind.created_at,
                               updated_at=kind.updated_at)


def list_types(session: Session, sid: str, viewer: Principal | None,
               paging: PageRequest) -> tuple[list[RelationshipTypeOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area(AREA)
    query = select(RelationshipType).where(RelationshipType.system_uuid == access.system_uuid)
    rows, cursor = keyset_page(query, [RelationshipType.created_at, RelationshipType.id], paging, descending=False,
                               session=session, row_key=lambda r: (r[0].created_at, r[0].id))
    return [type_out(row[0]) for row in rows], cursor


def get_type(session: Session, sid: str, viewer: Principal | None, type_id: uuid.UUID) -> RelationshipTypeOut:
    access = read_access(session, sid, viewer)
    access.require_area(AREA)
    return type_out(find_by_uuid(session, RelationshipType, access.system_uuid, type_id, "relationship type"))


def create_type(session: Session, sid: str, principal: Principal, spec: RelationshipTypeCreate
                ) -> RelationshipTypeOut:
    access = write_access(session, sid, principal)
    now = utcnow()
    kind = RelationshipType(system_uuid=access.system_uuid, name=spec.name, inverse_name=spec.inverse_name,
                            description=spec.description, created_at=now, updated_at=now)
    session.add(kind)
    session.flush()
    return type_out(kind)


def update_type(session: Session, sid: str, principal: Principal, type_id: uuid.UUID,
                patch: RelationshipTypePatch) -> RelationshipTypeOut:
    access = write_access(session, sid, principal)
    kind = find_by_uuid(session, RelationshipType, access.system_uuid, type_id, "relationship type")
    changes = patch.sent()
    if "inverse_name" in changes and changes["inverse_name"] is None and kind.inverse_name is not None \
            and _has_reverse_pairs(session, kind.id):
        raise Conflict("relationship_exists", "This type links some members both ways, which a symmetric type "
                                              "cannot express; remove one of each pair first.")
    for key, value in changes.items():
        setattr(kind, key, value)
    kind.updated_at = utcnow()
    return type_out(kind)


def _has_reverse_pairs(session: Session, type_id: uuid.UUID) -> bool:
    reverse = aliased(Relationship)
    return session.execute(select(exists().where(
        Relationship.type_id == type_id, reverse.type_id == type_id,
        reverse.source_member_uuid == Relationship.target_member_uuid,
        reverse.target_member_uuid == Relationship.source_member_uuid))).scalar_one()


def delete_type(session: Session, sid: str, principal: Principal, type_id: uuid.UUID) -> None:
    access = write_access(session, sid, principal)
    kind = find_by_uuid(session, RelationshipType, access.system_uuid, type_id, "relationship type")
    session.delete(kind)  # its relationships cascade in the database


def edges(access: Access) -> Select[tuple[Relationship, str, str]]:
    """Relationships with both members' short ids joined in the same query (no lookup per row).

    Viewers other than the owner never see an edge touching a member whose visibility is private.
    Rows are (Relationship, source short id, target short id), as `relationship_out` takes them.
    """
    source, target = Member.__table__.alias("source"), Member.__table__.alias("target")
    query = (select(Relationship, source.c.hid, target.c.hid)
             .join(source, source.c.uuid == Relationship.source_member_uuid)
             .join(target, target.c.uuid == Relationship.target_member_uuid))
    if not access.owner:
        query = query.where(source.c.privacy["visibility"].as_string() == "public",
                            target.c.privacy["visibility"].as_string() == "public")
    return query


def relationship_out(row: Row[tuple[Relationship, str, str]]) -> RelationshipOut:
    relationship, source_hid, target_hid = row
    return RelationshipOut(id=str(relationship.id), type_id=str(relationship.type_id),
                           source_member_id=source_hid, target_member_id=target_hid, note=relationship.note,
                           created_at=relationship.created_at)


def _one(session: Session, access: Access, relationship_id: uuid.UUID) -> RelationshipOut:
    row = session.execute(edges(access).where(Relationship.id == relationship_id,
                                              Relationship.system_uuid == access.system_uuid)).first()
    if row is None:
        raise NotFound("No such relationship.")
    return relationship_out(row)


def list_relationships(session: Session, sid: str, viewer: Principal | None, paging: PageRequest,
                       member: str | None) -> tuple[list[RelationshipOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area(AREA)
    query = edges(access)
    if member is None:
        query = query.where(Relationship.system_uuid == access.system_uuid)
    else:
        # The member is this system's, so its edges are too; filtering on it alone lets the source and target
        # indexes answer instead of scanning the whole system.
        member_uuid = find_visible(session, access, Member, member, "member").uuid
        query = query.where(or_(Relationship.source_member_uuid == member_uuid,
                                Relationship.target_member_uuid == member_uuid))
    rows, cursor = keyset_page(query, [Relationship.created_at, Relationship.id], paging, descending=False,
                               session=session, row_key=lambda r: (r[0].created_at, r[0].id))
    return [relationship_out(row) for row in rows], cursor


def get_relationship(session: Session, sid: str, viewer: Principal | None, relationship_id: uuid.UUID
                     ) -> RelationshipOut:
    access = read_access(session, sid, viewer)
    access.require_area(AREA)
    return _one(session, access, relationship_id)


def _edge(session: Session, access: Access, ends: dict[str, Any]) -> tuple[RelationshipType, uuid.UUID, uuid.UUID]:
    """The type and both members named in a body, all required to be this system's (422 naming the key)."""
    try:
        kind = find_by_uuid(session, RelationshipType, access.system_uuid, ends["type_id"], "relationship type")
    except NotFound:
        raise ValidationFailed.field("type_id", "is not a relationship type of this system") from None
    source, target = (find_in_body(session, Member, access.system_uuid, ends[key], key, "member").uuid
                      for key in ("source_member_id", "target_member_id"))
    if source == target:
        raise ValidationFailed.field("target_member_id", "must differ from source_member_id")
    return kind, source, target


def _require_new_edge(session: Session, kind: RelationshipType, source: uuid.UUID, target: uuid.UUID,
                      other_than: uuid.UUID | None = None) -> None:
    """One edge per (type, source, target); for a symmetric type (b, a) is the same edge as (a, b)."""
    pairs = [(source, target)] if kind.inverse_name is not None else [(source, target), (target, source)]
    query = select(Relationship.id).where(Relationship.type_id == kind.id, or_(*(
        and_(Relationship.source_member_uuid == s, Relationship.target_member_uuid == t) for s, t in pairs)))
    if other_than is not None:
        query = query.where(Relationship.id != other_than)
    if session.execute(query.limit(1)).first() is not None:
        raise Conflict("relationship_exists", "These members already have a relationship of this type.")


def create_relationship(session: Session, sid: str, principal: Principal, spec: RelationshipCreate
                        ) -> RelationshipOut:
    # Serialized: two concurrent creates of (a, b) and (b, a) of a symmetric type must not both pass the check.
    access = write_access(session, sid, principal, serialize=True)
    kind, source, target = _edge(session, access, spec.model_dump())
    _require_new_edge(session, kind, source, target)
    now = utcnow()
    relationship = Relationship(system_uuid=access.system_uuid, type_id=kind.id, source_member_uuid=source,
                                target_member_uuid=target, note=spec.note, created_at=now, updated_at=now)
    session.add(relationship)
    session.flush()  # assigns the id the read-back below looks up
    return _one(session, access, relationship.id)


def update_relationship(session: Session, sid: str, principal: Principal, relationship_id: uuid.UUID,
                        patch: RelationshipPatch) -> RelationshipOut:
    access = write_access(session, sid, principal, serialize=True)
    relationship = find_by_uuid(session, Relationship, access.system_uuid, relationship_id, "relationship")
    changes = patch.sent()
    if changes.keys() - {"note"}:
        # Checked before anything is assigned: an autoflush of a half-changed edge would hit the unique
        # constraint before the check could answer with its reason.
        ends = {"type_id": relationship.type_id, "source_member_id": str(relationship.source_member_uuid),
                "target_member_id": str(relationship.target_member_uuid), **changes}
        kind, source, target = _edge(session, access, ends)
        _require_new_edge(session, kind, source, target, other_than=relationship.id)
        relationship.type_id, relationship.source_member_uuid, relationship.target_member_uuid = \
            kind.id, source, target
    if "note" in changes:
        relationship.note = changes["note"]
    relationship.updated_at = utcnow()
    return _one(session, access, relationship.id)


def delete_relationship(session: Session, sid: str, principal: Principal, relationship_id: uuid.UUID) -> None:
    access = write_access(session, sid, principal)
    session.delete(find_by_uuid(session, Relationship, access.system_uuid, relationship_id, "relationship"))

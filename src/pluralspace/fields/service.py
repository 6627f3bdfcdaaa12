"""Custom field definitions: typed, ordered by position, each public or private."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..events import service as events
from ..kit.errors import NotFound, ValidationFailed
from ..kit.pagination import PageRequest, keyset_page
from ..kit.patch import apply_patch
from ..kit.privacy import public
from ..kit.timeutil import utcnow
from ..systems.access import Access, find_by_uuid, read_access, write_access
from .models import Field, FieldValue
from .schemas import FieldCreate, FieldOut, FieldPatch, _check_options
from .values import fits


def field_out(field: Field) -> FieldOut:
    return FieldOut(id=str(field.id), name=field.name, type=field.type, options=field.options,
                    position=field.position, privacy=field.privacy, created_at=field.created_at,
                    updated_at=field.updated_at)


def _visible_field(session: Session, access: Access, field_id: uuid.UUID) -> Field:
    return _visible(access, find_by_uuid(session, Field, access.system_uuid, field_id, "field"))


def _visible(access: Access, field: Field) -> Field:
    if not access.shows(field.privacy):
        raise NotFound("No such field.")
    return field


def _shown(field: Field) -> events.Render:
    """The field as GET /fields/{id} shows it to each viewer: what its events carry."""
    def render(access: Access) -> FieldOut:
        access.require_area("fields")
        return field_out(_visible(access, field))

    return render


def list_fields(session: Session, sid: str, viewer: Principal | None,
                paging: PageRequest) -> tuple[list[FieldOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area("fields")
    query = select(Field).where(Field.system_uuid == access.system_uuid)
    if not access.owner:
        query = query.where(public(Field.privacy))
    rows, cursor = keyset_page(query, [Field.position, Field.created_at, Field.id], paging, descending=False,
                               session=session, row_key=lambda r: (r[0].position, r[0].created_at, r[0].id))
    return [field_out(row[0]) for row in rows], cursor


def get_field(session: Session, sid: str, viewer: Principal | None, field_id: uuid.UUID) -> FieldOut:
    access = read_access(session, sid, viewer)
    access.require_area("fields")
    return field_out(_visible_field(session, access, field_id))


def create_field(session: Session, sid: str, principal: Principal, spec: FieldCreate) -> FieldOut:
    access = write_access(session, sid, principal)
    position = spec.position
    if position is None:
        last = session.execute(select(func.max(Field.position)).where(Field.system_uuid == access.system_uuid)
                               ).scalar_one()
        position = 0 if last is None else last + 1
    now = utcnow()
    field = Field(system_uuid=access.system_uuid, name=spec.name, type=spec.type, options=spec.options,
                  position=position, privacy=spec.privacy, created_at=now, updated_at=now)
    session.add(field)
    session.flush()
    events.record(session, access.system, "field.created", _shown(field))
    return field_out(field)


def update_field(session: Session, sid: str, principal: Principal, field_id: uuid.UUID,
                 patch: FieldPatch) -> FieldOut:
    access = write_access(session, sid, principal)
    field = find_by_uuid(session, Field, access.system_uuid, field_id, "field")
    changes = patch.sent()
    if changes.pop("type", field.type) != field.type:
        raise ValidationFailed.field("type", "cannot change; create a new field instead")
    if "options" in changes:
        try:
            _check_options(field.type, changes["options"])
        except ValueError as exc:
            raise ValidationFailed.field("options", str(exc).removeprefix("options: ")) from None
    apply_patch(field, changes)
    if "options" in changes:
        _drop_values_that_no_longer_fit(session, field)
    field.updated_at = utcnow()
    events.record(session, access.system, "field.updated", _shown(field))
    return field_out(field)


def _drop_values_that_no_longer_fit(session: Session, field: Field) -> None:
    """Removing an option removes the values that chose it: a select value is always one of the options."""
    stale = [member_uuid for member_uuid, value in session.execute(
        select(FieldValue.member_uuid, FieldValue.value).where(FieldValue.field_id == field.id))
        if not fits(field, value)]
    if stale:
        session.execute(delete(FieldValue).where(FieldValue.field_id == field.id,
                                                 FieldValue.member_uuid.in_(stale)))


def delete_field(session: Session, sid: str, principal: Principal, field_id: uuid.UUID) -> None:
    access = write_access(session, sid, principal)
    field = find_by_uuid(session, Field, access.system_uuid, field_id, "field")
    events.record(session, access.system, "field.deleted", _shown(field))
    session.delete(field)  # values cascade in the database

"""Custom field values: validated against the field's type, stored per member, shown per viewer."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..kit.errors import ValidationFailed
from ..kit.validators import check_https_url, parse_color
from .models import Field, FieldValue

MAX_TEXT = 1_000
MAX_MARKDOWN = 10_000


def _text(limit: int) -> Callable[[Any, Field], str]:
    def check(value: Any, _field: Field) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value

    return check


def _number(value: Any, _field: Field) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) == float("inf"):
        raise ValueError("must be a number")
    return value


def _boolean(value: Any, _field: Field) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _date(value: Any, _field: Field) -> str:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date as YYYY-MM-DD") from None
    return value


def _colour(value: Any, _field: Field) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a colour as rrggbb or #rrggbb")
    return "#" + parse_color(value)


def _url(value: Any, _field: Field) -> str:
    if not isinstance(value, str) or len(value) > 2048:
        raise ValueError("must be an https:// URL")
    return check_https_url(value)


def _select(value: Any, field: Field) -> str:
    if not isinstance(value, str) or value not in (field.options or []):
        raise ValueError(f"must be one of the options: {', '.join(field.options or [])}")
    return value


def _multiselect(value: Any, field: Field) -> list[str]:
    if not isinstance(value, list) or any(not isinstance(v, str) or v not in (field.options or []) for v in value):
        raise ValueError(f"must be a list of the options: {', '.join(field.options or [])}")
    if len(set(value)) != len(value):
        raise ValueError("must not repeat an option")
    return value


CHECKS = {
    "text": _text(MAX_TEXT), "markdown": _text(MAX_MARKDOWN), "number": _number, "boolean": _boolean,
    "date": _date, "color": _colour, "url": _url, "select": _select, "multiselect": _multiselect,
}


def fits(field: Field, value: Any) -> bool:
    try:
        CHECKS[field.type](value, field)
    except ValueError:
        return False
    return True


def set_values(session: Session, system_uuid: uuid.UUID, member_uuid: uuid.UUID, values: dict[str, Any]) -> None:
    """Sets a member's values by field id; null removes one. Every id must be a field of this system."""
    wanted: dict[uuid.UUID, tuple[str, Any]] = {}
    for key, value in values.items():
        try:
            wanted[uuid.UUID(key)] = (key, value)
        except ValueError:
            raise ValidationFailed.field(f"fields.{key}", "is not a field id") from None
    fields = {f.id: f for f in session.execute(
        select(Field).where(Field.system_uuid == system_uuid, Field.id.in_(wanted))).scalars()}
    rows = []
    for field_id, (key, value) in wanted.items():
        field = fields.get(field_id)
        if field is None:
            raise ValidationFailed.field(f"fields.{key}", "is not a field of this system")
        if value is not None:
            try:
                rows.append(FieldValue(member_uuid=member_uuid, field_id=field_id,
                                       value=CHECKS[field.type](value, field)))
            except ValueError as exc:
                raise ValidationFailed.field(f"fields.{key}", str(exc)) from None
    if wanted:
        session.execute(delete(FieldValue).where(FieldValue.member_uuid == member_uuid,
                                                 FieldValue.field_id.in_(wanted)))
        session.add_all(rows)


def values_for(session: Session, member_uuids: list[uuid.UUID], public_only: bool) -> dict[uuid.UUID, dict[str, Any]]:
    """Field values of several members in one query; public viewers get only public fields' values."""
    result: dict[uuid.UUID, dict[str, Any]] = defaultdict(dict)
    if not member_uuids:
        return result
    query = (select(FieldValue.member_uuid, FieldValue.field_id, FieldValue.value)
             .join(Field, Field.id == FieldValue.field_id).where(FieldValue.member_uuid.in_(member_uuids)))
    if public_only:
        query = query.where(Field.privacy == "public")
    for member_uuid, field_id, value in session.execute(query):
        result[member_uuid][str(field_id)] = value
    return result

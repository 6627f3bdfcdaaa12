"""Keyset pagination: the cursor carries the sort key of the last row served, so pages stay stable while rows
are inserted, and each page is one indexed range scan however deep the client pages."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from sqlalchemy import ColumnElement, Select, and_, or_

from .errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1..200.")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description="Cursor from the previous page.")] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, UUID):
        return {"u": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and "u" in value:
        return UUID(value["u"])
    return value


def encode_cursor(values: tuple) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> tuple:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = tuple(_decode_value(v) for v in json.loads(raw))
    except (ValueError, TypeError, KeyError):
        raise ValidationFailed.field("cursor", "is not a cursor this server issued") from None
    if len(values) != width:
        raise ValidationFailed.field("cursor", "is not a cursor this server issued")
    return values


def keyset_page(query: Select, keys: list[ColumnElement], request: PageRequest, *, descending: bool,
                session, row_key) -> tuple[list, str | None]:
    """Runs `query` ordered by `keys` (unique together) from the cursor on; returns rows and the next cursor.

    `row_key(row)` gives the key values of a result row in the order of `keys`.
    """
    if request.cursor:
        after = decode_cursor(request.cursor, len(keys))
        query = query.where(_after(keys, after, descending))
    order = [k.desc() if descending else k.asc() for k in keys]
    rows = list(session.execute(query.order_by(*order).limit(request.limit + 1)))
    if len(rows) <= request.limit:
        return rows, None
    rows = rows[: request.limit]
    return rows, encode_cursor(row_key(rows[-1]))


def _after(keys: list[ColumnElement], values: tuple, descending: bool) -> ColumnElement:
    """(k1, k2, ...) > (v1, v2, ...) written out, since row-value comparison is not portable to every engine."""
    clauses = []
    for index, key in enumerate(keys):
        beyond = key < values[index] if descending else key > values[index]
        equal_prefix = [keys[i] == values[i] for i in range(index)]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(*clauses)

"""Keyset pagination: the cursor carries the sort key of the last row served, so pages stay stable while rows
are inserted, and each page is one indexed range scan however deep the client pages.

Cursors are signed (HMAC-SHA256 with a key derived from the server's secret): a cursor this server did not issue is
422 before any of its values reaches a query, so a crafted one cannot give a wrong type to a comparison.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from sqlalchemy import ColumnElement, Row, Select, and_, or_
from sqlalchemy.orm import QueryableAttribute, Session

from .errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
SIGNATURE_BYTES = 16

# Set per request by the edge middleware from the server's secret, so cursors survive restarts and work on every
# worker. Outside a request (the CLI's export) a key of this process signs the cursors it issues and reads back.
signing_key_var: ContextVar[bytes] = ContextVar("cursor_signing_key", default=secrets.token_bytes(32))  # noqa: B039 (bytes are immutable)


# A column or an ORM attribute that a page is sorted on.
SortKey = ColumnElement[Any] | QueryableAttribute[Any]


def cursor_signing_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"pluralspace pagination cursor", hashlib.sha256).digest()


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None


# What `encode_cursor` writes: the sort key and its signature, each base64url without padding, joined by a dot.
# The document states the form; that the signature is the server's can only be checked by the server.
CURSOR_PATTERN = rf"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{{{-(-SIGNATURE_BYTES * 4 // 3)}}}$"


# `async def`, like every dependency that does no I/O: FastAPI runs a plain `def` dependency on its thread pool, and
# the hand-off costs more than the work.
async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1..200.")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description="Cursor from the previous page.",
                                        json_schema_extra={"pattern": CURSOR_PATTERN})] = None,
) -> PageRequest:
    if cursor is not None:
        _signed_payload(cursor)  # a forged cursor is refused here, before the route looks anything up
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


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _signature(payload: str) -> str:
    return _b64(hmac.new(signing_key_var.get(), payload.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES])


def encode_cursor(values: tuple[Any, ...]) -> str:
    payload = _b64(json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload)}"


def _not_ours() -> ValidationFailed:
    return ValidationFailed.field("cursor", "is not a cursor this server issued")


def _signed_payload(cursor: str) -> str:
    payload, _, signature = cursor.partition(".")
    if not hmac.compare_digest(signature.encode(), _signature(payload).encode()):
        raise _not_ours()
    return payload


def decode_cursor(cursor: str, width: int) -> tuple[Any, ...]:
    payload = _signed_payload(cursor)
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        values = tuple(_decode_value(v) for v in json.loads(raw))
    except (ValueError, TypeError, KeyError):  # signed by this server, so only after a change of format
        raise _not_ours() from None
    if len(values) != width:
        raise _not_ours()
    return values


def keyset_page(query: Select[Any], keys: Sequence[SortKey], request: PageRequest, *, descending: bool,
                session: Session, row_key: Callable[[Row[Any]], tuple[Any, ...]]) -> tuple[list[Row[Any]], str | None]:
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


def _after(keys: Sequence[SortKey], values: tuple[Any, ...], descending: bool) -> ColumnElement[bool]:
    """(k1, k2, ...) > (v1, v2, ...) written out, since row-value comparison is not portable to every engine."""
    clauses = []
    for index, key in enumerate(keys):
        beyond = key < values[index] if descending else key > values[index]
        equal_prefix = [keys[i] == values[i] for i in range(index)]
        clauses.append(and_(*equal_prefix, beyond))
    return or_(*clauses)

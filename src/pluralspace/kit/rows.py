"""Lists read as Core rows made plain tuples, not ORM entities.

A list shows every column of every row once, so what a row costs to build and to read is most of what the list
costs. Against entities (`select(Member)`), rows of `select(*columns(Member))` spare the ORM's objects (instance
state, identity map), and `plain()` turns them into named tuples, whose fields read about a hundred times faster
than a `Row`'s or an entity's (docs/BENCHMARKS.md, "Fast lists"). They read like the entity (`row.name`,
`row.privacy`), so the functions that show an object take either. Writes, which change what they load, keep the
entities.

A read that joins two tables puts each table's columns in a `Bundle` of its own (`row.front.started_at`,
`row.member.hid`), so columns of the same name do not meet; `plain()` makes each part a named tuple too.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlalchemy.orm import QueryableAttribute, class_mapper

from .db import Base

Column = QueryableAttribute[Any] | ColumnElement[Any]


def columns(model: type[Base], *names: str) -> list[Column]:
    """The entity's columns by attribute name: those in `names`, or every loaded one (deferred ones left out, as
    the entity leaves them)."""
    if names:
        return [getattr(model, name) for name in names]
    return [getattr(model, attr.key) for attr in class_mapper(model).column_attrs if not attr.deferred]


# Through a name of our own: mypy checks a direct call as a class definition, which needs the fields written out.
_namedtuple: Callable[..., Any] = namedtuple


@cache
def _maker(fields: tuple[str, ...]) -> Callable[[Iterable[Any]], tuple[Any, ...]]:
    """Builds the named tuples of rows with these fields (one class per shape of row)."""
    shape = _namedtuple("Plain", fields)
    make: Callable[[Iterable[Any]], tuple[Any, ...]] = shape._make
    return make


def plain(rows: Sequence[Row[Any]]) -> list[Any]:
    """`rows` (all of one statement) as named tuples with the same fields; a `Bundle`'s part becomes one too."""
    if not rows:
        return []
    first = rows[0]
    make = _maker(first._fields)
    parts = {index: _maker(value._fields) for index, value in enumerate(first) if isinstance(value, Row)}
    if not parts:
        return [make(row) for row in rows]
    return [make(parts[i](value) if i in parts else value for i, value in enumerate(row)) for row in rows]

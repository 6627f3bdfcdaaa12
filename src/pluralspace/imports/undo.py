"""The undo log of an import applied in steps (SQLite): how a failure, or a restart, halfway through an import
still leaves the system exactly as it was.

An import on SQLite commits every few tens of milliseconds (`kit.db.Steps`), so that other systems' writes take
their turns; what the committed steps wrote must then be taken back should a later step fail or the server stop.
`Recorder` watches the import's session and notes every row it writes, whatever the path:

* the ORM's flushes (`after_flush`): a new object is noted by its key, a changed one with its values as they were,
  a deleted one whole;
* statements run through the session (`do_orm_execute`): an INSERT by the keys of its rows, an UPDATE or DELETE by
  the rows it is about to change, read first with the same WHERE clause (or, for an UPDATE by primary key, the same
  keys). A write the log cannot describe (an INSERT without its keys, text SQL) stops the import instead of going
  unrecorded.

Each step's notes are written to `import_undo` in the step's own transaction, so the log always matches what is
committed. `take_back` replays it newest first, in steps too, removing each entry in the transaction that undoes it
(so an undo cut short by a crash goes on where it stopped).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, event, insert, inspect, select, tuple_, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator

from ..jobs.models import PENDING, Job
from ..kit.db import Base, Steps, table_of
from .models import ImportUndo

CREATED, UPDATED, DELETED = "created", "updated", "deleted"
UNDO_TABLE = table_of(ImportUndo)
CHUNK = 500  # keys per statement when undoing


class Unrecordable(RuntimeError):
    """A write the undo log cannot describe: the import stops rather than write something it could not undo."""


class Recorder:
    def __init__(self, steps: Steps, job_id: uuid.UUID) -> None:
        self.job_id = job_id
        self.pending: list[tuple[Table, str, list[dict[str, Any]]]] = []
        # Objects the import created: undoing deletes them, so their later changes need no note.
        self.created: set[tuple[str, tuple[Any, ...]]] = set()
        event.listen(steps.session, "after_flush", self._flushed)
        event.listen(steps.session, "do_orm_execute", self._executing)
        steps.before_commit.append(self.write)

    def write(self, session: Session) -> None:
        if self.pending:
            session.execute(insert(UNDO_TABLE), [
                {"job_id": self.job_id, "table_name": table.name, "action": action,
                 "rows": json.dumps(rows, default=_plain)} for table, action, rows in self.pending])
        self.pending = []

    def _note(self, table: Table, action: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.pending and self.pending[-1][0] is table and self.pending[-1][1] == action:
            self.pending[-1][2].extend(rows)  # consecutive notes alike are one entry (undone in reverse order)
        else:
            self.pending.append((table, action, list(rows)))

    def _flushed(self, session: Session, _flush: UOWTransaction) -> None:
        # After the flush the session still lists what it flushed, and each attribute its history.
        for obj in session.new:
            table, state = _table_of(obj), inspect(obj)
            self._note(table, CREATED, [{c.name: getattr(obj, state.mapper.get_property_by_column(c).key)
                                         for c in table.primary_key}])
            self.created.add((table.name, tuple(state.mapper.primary_key_from_instance(obj))))
        for obj in session.dirty:
            table, state = _table_of(obj), inspect(obj)
            created = (table.name, tuple(state.mapper.primary_key_from_instance(obj))) in self.created
            if not created and session.is_modified(obj, include_collections=False):
                self._note(table, UPDATED, [_before(obj)])
        for obj in session.deleted:
            self._note(_table_of(obj), DELETED, [_before(obj)])

    def _executing(self, state: ORMExecuteState) -> None:
        if isinstance(state.statement, TextClause):
            raise Unrecordable("an import ran text SQL, which the undo log cannot read")
        if not (state.is_insert or state.is_update or state.is_delete):
            return
        statement: Any = state.statement
        table = Base.metadata.tables[statement.table.name]
        if table is UNDO_TABLE:
            return
        params: Any = state.parameters
        rows: list[dict[str, Any]] = [dict(p) for p in params] if isinstance(params, list) else \
            [dict(params)] if params else []
        keys = list(table.primary_key)
        if state.is_insert:
            if not rows or any(c.name not in row for row in rows for c in keys):
                raise Unrecordable(f"an INSERT into {table.name} without its keys cannot be undone")
            self._note(table, CREATED, [{c.name: row[c.name] for c in keys} for row in rows])
            return
        where: ColumnElement[bool] | None = statement.whereclause
        if where is None:  # an UPDATE by primary key: one row per parameter set
            if not rows or any(c.name not in row for row in rows for c in keys):
                raise Unrecordable(f"an UPDATE of {table.name} that names no rows cannot be undone")
            before = _rows_by_key(state.session, table, [tuple(row[c.name] for c in keys) for row in rows])
        else:
            before = [dict(row._mapping) for row in state.session.execute(select(table).where(where))]
        self._note(table, UPDATED if state.is_update else DELETED, before)


def _table_of(obj: Any) -> Table:
    table = inspect(obj).mapper.local_table
    assert isinstance(table, Table), "a model maps one table"
    return table


def _before(obj: Any) -> dict[str, Any]:
    """The object's row as it was before this flush (a value it never had loaded cannot be known: refused)."""
    state = inspect(obj)
    row = {}
    for column in _table_of(obj).columns:
        history = state.attrs[state.mapper.get_property_by_column(column).key].history
        if history.deleted:
            row[column.name] = history.deleted[0]
        elif history.unchanged:
            row[column.name] = history.unchanged[0]
        elif history.added:
            raise Unrecordable(f"{column.table.name}.{column.name} changed before it was ever read")
        else:
            row[column.name] = None
    return row


def _rows_by_key(session: Session, table: Table, keys: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(keys):
        rows += [dict(row._mapping) for row in session.execute(select(table).where(_key_in(table, chunk)))]
    return rows


def _key_in(table: Table, keys: list[tuple[Any, ...]]) -> ColumnElement[bool]:
    columns = list(table.primary_key)
    if len(columns) == 1:
        return columns[0].in_([key[0] for key in keys])
    return tuple_(*columns).in_(keys)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _plain(value: Any) -> str:
    if isinstance(value, uuid.UUID | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    raise TypeError(f"{type(value).__name__} in an undo log")


def _revived(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """A row read back from JSON, each value in its column's Python type again."""
    revived = {}
    for name, value in row.items():
        column_type = table.c[name].type
        if isinstance(column_type, TypeDecorator):
            column_type = column_type.impl_instance
        try:
            kind: type | None = column_type.python_type
        except NotImplementedError:
            kind = None
        if value is not None and kind is uuid.UUID:
            value = uuid.UUID(value)
        elif value is not None and kind is datetime:
            value = datetime.fromisoformat(value)
        elif value is not None and kind is date:
            value = date.fromisoformat(value)
        revived[name] = value
    return revived


# --- taking an import back ---------------------------------------------------------------------------------------

def take_back(steps: Steps, job_id: uuid.UUID) -> int:
    """Undoes what the job's committed steps wrote, newest first; returns how many entries it undid."""
    session = steps.session
    undone = 0
    while (entry := session.execute(select(ImportUndo).where(ImportUndo.job_id == job_id)
                                    .order_by(ImportUndo.id.desc()).limit(1)).scalar_one_or_none()) is not None:
        table = Base.metadata.tables[entry.table_name]
        rows = [_revived(table, row) for row in json.loads(entry.rows)]
        keys = [c.name for c in table.primary_key]
        if entry.action == CREATED:
            for chunk in _chunks([tuple(row[k] for k in keys) for row in rows]):
                session.execute(delete(table).where(_key_in(table, chunk)))
        elif entry.action == UPDATED:
            # Newest first within the entry too: a row updated twice ends as it was before the first update.
            statement = update(table).where(*(table.c[k] == bindparam(f"key_{k}") for k in keys)).values(
                {c.name: bindparam(f"value_{c.name}") for c in table.columns if c.name not in keys})
            session.connection().execute(statement, [{f"{'key' if name in keys else 'value'}_{name}": value
                                                      for name, value in row.items()} for row in reversed(rows)])
        else:
            session.execute(insert(table), rows)
        session.execute(delete(ImportUndo).where(ImportUndo.id == entry.id))
        undone += 1
        steps.pause()
    return undone


def forget(session: Session, job_id: uuid.UUID) -> None:
    """The job's log, once the job has succeeded: its changes stay."""
    session.execute(delete(ImportUndo).where(ImportUndo.job_id == job_id))


def left_over(session: Session) -> list[uuid.UUID]:
    """Jobs no longer queued or running that still have a log: an undo that could not finish (the database went
    away while a failed import was being taken back)."""
    pending = select(Job.id).where(Job.status.in_(PENDING))
    return list(session.execute(select(ImportUndo.job_id).where(ImportUndo.job_id.not_in(pending)).distinct())
                .scalars())

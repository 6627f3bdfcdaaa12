"""Checks before serving: a server that cannot store data refuses to start with one line that names the path or the
database and the cause, instead of a traceback (or, worse, starting and failing every write)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from ..config import Settings, ensure_data_dir
from ..kit.db import SQLITE_SYNCHRONOUS, Database, database_fault, fault_cause, is_sqlite
from ..kit.logs import LOG_FORMATS


class CannotStart(Exception):
    """The one line to print, and exit 1."""


def check_and_migrate(settings: Settings) -> None:
    """The data dir and the database can take writes; migrations are applied. Raises CannotStart."""
    from ..migrate import upgrade

    if settings.log_format not in LOG_FORMATS:
        raise CannotStart(f"PLURALSPACE_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    if settings.sqlite_synchronous not in SQLITE_SYNCHRONOUS:
        raise CannotStart(f"PLURALSPACE_SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS)}")
    data_dir = settings.data_dir.resolve()
    _check_writable_folder(data_dir, "data dir", create=True)
    url = settings.resolved_database_url
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            _check_sqlite_file(Path(database))
    try:
        upgrade(url)
    except Exception as exc:
        if database_fault(exc) is None:
            raise  # a bug: its traceback is wanted
        raise CannotStart(f"the database {_shown(url)} cannot be used: {fault_cause(exc)}") from exc
    problem = asyncio.run(_readiness(url))
    if problem:
        raise CannotStart(f"the database {_shown(url)}: {problem}")


def _check_writable_folder(folder: Path, what: str, create: bool = False) -> None:
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".pluralspace-write-check-"):
            pass
    except OSError as exc:
        raise CannotStart(f"the {what} {folder} is not writable: {exc.strerror or exc}") from None
    if create:  # only once it is known writable: tightening a read-only one would log a second, misleading line
        ensure_data_dir(folder)


def _check_sqlite_file(path: Path) -> None:
    _check_writable_folder(path.parent, "database folder", create=True)  # the WAL and its index are made there
    # access(2), not an open: closing a descriptor of a database this process has open drops SQLite's locks on it.
    if path.exists() and not os.access(path, os.W_OK):
        reason = "Read-only file system" if os.statvfs(path).f_flag & os.ST_RDONLY else "Permission denied"
        raise CannotStart(f"the database file {path} is not writable: {reason}")


async def _readiness(url: str) -> str | None:
    """/ready's verdict, which on PostgreSQL includes whether it takes writes (a standby, a read-only default)."""
    database = Database(url, pool_size=1)
    try:
        problem = await database.readiness()
    finally:
        await database.dispose()
    return problem.message if problem is not None else None


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


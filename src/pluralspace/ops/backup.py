"""`pluralspace backup` and `pluralspace restore` for the SQLite database (PostgreSQL: pg_dump, see DEPLOYMENT.md).

Both use SQLite's online backup API. A backup copies every page in one step, inside one read transaction: in WAL
mode that is a consistent snapshot taken while the server keeps reading and writing (writers are not blocked), and it
holds every write committed before it began. The copy is checked (`PRAGMA integrity_check`) before it is given its
name. A restore checks the file first (integrity, and a schema revision this version knows), then copies it into the
live database the same way, under SQLite's write lock, and migrates it to the current schema.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from ..kit.db import is_sqlite
from ..migrate import alembic_config, upgrade

BUSY_TIMEOUT_MS = 30_000


class BackupError(Exception):
    """Why a backup or restore was not done, in words for the operator."""


def sqlite_path(database_url: str) -> Path:
    if not is_sqlite(database_url):
        raise BackupError("the database is PostgreSQL: back it up with pg_dump and restore it with pg_restore "
                          "(docs/DEPLOYMENT.md)")
    name = make_url(database_url).database
    if not name or name == ":memory:":
        raise BackupError("the database is not a file")
    return Path(name)


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    target = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    connection = sqlite3.connect(target, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return connection


def integrity_problems(connection: sqlite3.Connection) -> list[str]:
    rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def backup(database_url: str, output: Path) -> None:
    source_path = sqlite_path(database_url)
    if not source_path.exists():
        raise BackupError(f"there is no database at {source_path}")
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # every system's data: owner only
    try:
        source, copy = _connect(source_path), _connect(partial)
        try:
            source.backup(copy)  # pages=-1: all in one step, one snapshot
            problems = integrity_problems(copy)
            if problems:
                raise BackupError("the copy failed its integrity check: " + "; ".join(problems[:5]))
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
            source.close()
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def check_backup(path: Path) -> str:
    """The schema revision of a backup file that passes the checks; BackupError naming what is wrong otherwise."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        connection = _connect(path, read_only=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened: {exc}") from exc
    try:
        problems = integrity_problems(connection)
        if problems:
            raise BackupError(f"{path} failed its integrity check: " + "; ".join(problems[:5]))
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a pluralspace database: {exc}") from exc
    finally:
        connection.close()
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()}
    if revision is None or not isinstance(revision[0], str) or revision[0] not in known:
        raise BackupError(f"{path} has a schema revision this version does not know; restore it with the version "
                          "that made it")
    return revision[0]


def restore(database_url: str, backup_file: Path) -> str:
    """Replaces the database's content with the backup's and migrates it; returns the backup's schema revision."""
    target_path = sqlite_path(database_url)
    revision = check_backup(backup_file)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source, target = _connect(backup_file, read_only=True), _connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    upgrade(database_url)
    return revision

"""The server's files are its user's alone: the data dir 0700, every file in it 0600, whatever existed before.

A data dir made beforehand (a volume, a `mkdir`) often comes 0755 with files 0644; every system's data and the
secret key are in there, so the server takes group and other permissions away at start and logs that it did.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

log = logging.getLogger("pluralspace.files")


def _restrict(path: Path, mode: int) -> bool:
    """Sets `mode` when group or others hold any permission; True when it did."""
    try:
        current = stat.S_IMODE(path.lstat().st_mode)
    except FileNotFoundError:
        return False
    if not current & 0o077:
        return False
    try:
        path.chmod(mode)
    except OSError as refused:  # not the server's file: say so, and let the server run
        log.error("cannot make %s private (%s); it is readable by others", path, refused)
        return False
    return True


def _log_tightened(paths: list[Path]) -> None:
    if paths:
        log.warning("made private to the server's user (dirs 0700, files 0600), as they were readable by others: %s",
                    ", ".join(str(p) for p in paths))


def keep_dir_private(directory: Path) -> None:
    """Creates `directory` 0700 if needed, then tightens it and everything under it."""
    directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tightened = [directory] if _restrict(directory, PRIVATE_DIR) else []
    for root, dirs, files in os.walk(directory):
        tightened += [Path(root, d) for d in dirs if _restrict(Path(root, d), PRIVATE_DIR)]
        tightened += [Path(root, f) for f in files if _restrict(Path(root, f), PRIVATE_FILE)]
    _log_tightened(tightened)


def keep_sqlite_files_private(database: str | None) -> None:
    """Creates the database file 0600 before SQLite opens it, and tightens the files SQLite keeps beside it.

    SQLite creates the `-wal`, `-shm` and `-journal` files later, with the database file's own mode, so a 0600
    database keeps them 0600 too.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    # Only ever a file that does not exist yet (O_EXCL): closing a descriptor of a database this process already has
    # open would drop every POSIX lock SQLite holds on it, for all its connections (SQLite's documented caveat), and
    # another server or engine in the same process (a test's, the job queue's) then meets "disk I/O error".
    # If it exists already, or the place is missing or read-only, SQLite reports that when it opens the file.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    companions = [path] + [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]
    _log_tightened([p for p in companions if _restrict(p, PRIVATE_FILE)])

"""Every file the server keeps in its data dir is its user's alone: the dir 0700, files 0600 (the SQLite database
and its -wal/-shm files, the secret key, anything else in there), whatever existed before, with one log line saying
what was tightened. SQLite only: with PostgreSQL the data dir holds just the key, which the same code covers."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from pluralspace.config import Settings, ensure_data_dir
from pluralspace.migrate import upgrade

from ..conftest import RunningServer

CHEAP_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    """The umask most hosts run with (022: new files 0644): the server must not depend on a stricter one."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def serve_and_write(data_dir: Path) -> None:
    server = RunningServer(Settings(data_dir=data_dir, **CHEAP_HASHING))
    try:
        api = server.api()
        api.register()  # writes: the WAL and the shared-memory file exist while the server runs
        assert (data_dir / "pluralspace.db-wal").exists() and (data_dir / "pluralspace.db-shm").exists()
        assert_private(data_dir)
        api.close()
    finally:
        server.stop()
    assert_private(data_dir)


def assert_private(data_dir: Path) -> None:
    assert mode(data_dir) == 0o700
    files = {p.name: mode(p) for p in data_dir.rglob("*") if p.is_file()}
    assert {"pluralspace.db", "secret_key"} <= files.keys()
    assert files == dict.fromkeys(files, 0o600), files


def test_a_new_data_dir_is_private_from_the_start(tmp_path, loose_umask):
    data_dir = tmp_path / "fresh"
    ensure_data_dir(data_dir)  # what `pluralspace serve` does first, then it migrates, then it serves
    upgrade(Settings(data_dir=data_dir).resolved_database_url)
    assert mode(data_dir / "pluralspace.db") == 0o600
    serve_and_write(data_dir)


def test_an_existing_readable_data_dir_is_tightened_and_the_server_says_so(tmp_path, loose_umask, caplog):
    data_dir = tmp_path / "volume"
    data_dir.mkdir()
    database = data_dir / "pluralspace.db"
    upgrade(f"sqlite:///{database}")
    (data_dir / "secret_key").write_text("an old key, once written 0644 by another tool\n")
    (data_dir / "exports").mkdir()
    (data_dir / "exports" / "old-export.json").write_text("{}")
    for path in [data_dir, data_dir / "exports"]:
        path.chmod(0o755)
    for path in [database, data_dir / "secret_key", data_dir / "exports" / "old-export.json"]:
        path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="pluralspace.files"):
        serve_and_write(data_dir)
    assert mode(data_dir / "exports") == 0o700
    tightened = [r.getMessage() for r in caplog.records if r.name == "pluralspace.files"]
    assert len(tightened) == 1 and str(database) in tightened[0] and "old-export.json" in tightened[0], tightened

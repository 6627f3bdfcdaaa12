"""`pluralspace backup` while the server writes, and `pluralspace restore` of what it wrote."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

from typer.testing import CliRunner

from pluralspace.cli import app
from pluralspace.config import Settings
from pluralspace.migrate import upgrade

from ..conftest import RunningServer
from ..helpers import data

runner = CliRunner()


def sqlite_server(directory: Path) -> RunningServer:
    url = f"sqlite:///{directory / 'pluralspace.db'}"
    upgrade(url)
    return RunningServer(Settings(data_dir=directory, database_url=url, secret_key="backup-test-key",
                                  rate_limit_enabled=False, argon2_time_cost=1, argon2_memory_kib=1024,
                                  argon2_parallelism=1))


def cli(monkeypatch, directory: Path, *args: str):
    monkeypatch.setenv("PLURALSPACE_DATA_DIR", str(directory))
    monkeypatch.setenv("PLURALSPACE_DATABASE_URL", f"sqlite:///{directory / 'pluralspace.db'}")
    return runner.invoke(app, list(args))


def integrity(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def test_a_backup_taken_during_writes_restores_with_every_acknowledged_write(tmp_path, monkeypatch):
    live, restored_dir = tmp_path / "live", tmp_path / "restored"
    live.mkdir()
    restored_dir.mkdir()
    server = sqlite_server(live)
    api = server.api()
    owner = api.register()
    acknowledged: list[tuple[float, str]] = []
    stop = threading.Event()

    def write() -> None:
        writer = server.api()
        number = 0
        while not stop.is_set():
            number += 1
            response = writer.post("/api/v1/systems/@me/members", owner.session, json={"name": f"m{number}"})
            assert response.status_code == 201, response.text
            acknowledged.append((time.monotonic(), response.json()["data"]["id"]))
        writer.close()

    writers = [threading.Thread(target=write) for _ in range(2)]
    for thread in writers:
        thread.start()
    while len(acknowledged) < 40:
        time.sleep(0.05)
    backup_started = time.monotonic()
    backup_file = tmp_path / "backup.db"
    done = cli(monkeypatch, live, "backup", "-o", str(backup_file))
    while len([t for t, _ in acknowledged if t > backup_started]) < 10:  # writes went on during and after
        time.sleep(0.05)
    stop.set()
    for thread in writers:
        thread.join()
    api.close()
    server.stop()
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(os.stat(backup_file).st_mode) == 0o600
    assert integrity(backup_file) == "ok"
    assert not (tmp_path / "backup.db.partial").exists()

    restored = cli(monkeypatch, restored_dir, "restore", "--yes", str(backup_file))
    assert restored.exit_code == 0, restored.output
    assert integrity(restored_dir / "pluralspace.db") == "ok"
    server = sqlite_server(restored_dir)
    try:
        reader = server.api()
        kept = set()
        cursor = None
        while True:
            response = reader.get("/api/v1/systems/@me/members", owner.session,
                                  params={"limit": 200, **({"cursor": cursor} if cursor else {})})
            kept |= {member["id"] for member in data(response)}
            cursor = response.json()["pagination"]["cursor"]
            if cursor is None:
                break
        reader.close()
    finally:
        server.stop()
    before_backup = {member_id for at, member_id in acknowledged if at < backup_started}
    assert before_backup and before_backup <= kept
    assert kept <= {member_id for _, member_id in acknowledged}


def test_restore_checks_the_file_first(tmp_path, monkeypatch):
    target = tmp_path / "data"
    target.mkdir()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE notes (text)")
    connection.commit()
    connection.close()
    for path in (garbage, foreign, tmp_path / "missing.db"):
        refused = cli(monkeypatch, target, "restore", "--yes", str(path))
        assert refused.exit_code == 1 and "not restored" in refused.output, refused.output
    assert not (target / "pluralspace.db").exists()


def test_backup_of_postgresql_points_to_pg_dump(tmp_path, monkeypatch):
    monkeypatch.setenv("PLURALSPACE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLURALSPACE_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    refused = runner.invoke(app, ["backup", "-o", str(tmp_path / "x.db")])
    assert refused.exit_code == 1 and "pg_dump" in refused.output
    assert not (tmp_path / "x.db").exists()

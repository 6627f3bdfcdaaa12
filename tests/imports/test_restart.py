"""A server killed while it applies an import: the server that starts next ends the job as failed and removes its
file, and nothing of the import is in the database from its first answer on; the system takes a file again
afterwards."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ..helpers import PASSWORD, Api, data, wait_until_serving
from .common import IMPORTS, everything

MEMBERS = "/api/v1/systems/@me/members"
FRONTS = "/api/v1/systems/@me/fronts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def large_export(members: int, fronts_each: int) -> bytes:
    """A Simply Plural export with a long front history: its apply phase lasts long enough to be cut short."""
    rng = random.Random(7)
    start = 1_420_070_400_000
    history = []
    for index in range(members):
        moment = start + rng.randrange(3_600_000)
        for number in range(fronts_each):
            length = rng.randrange(600_000, 7_200_000)
            history.append({"_id": f"f{index}-{number}", "member": f"m{index}", "startTime": moment,
                            "endTime": moment + length, "live": False, "custom": False})
            moment += length + rng.randrange(60_000, 600_000)
    return json.dumps({"users": [{"_id": "uid", "username": "Interrupted"}],
                       "members": [{"_id": f"m{i}", "name": f"Member {i}", "desc": "words " * 20}
                                   for i in range(members)],
                       "frontHistory": history}).encode()


class Served:
    """`pluralspace serve` in a process of its own, on the test's own database."""

    def __init__(self, server, database_url: str, data_dir: Path, **env: str) -> None:
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        environment = {**os.environ, "PLURALSPACE_DATABASE_URL": database_url,
                       "PLURALSPACE_DATA_DIR": str(data_dir), "PLURALSPACE_SECRET_KEY": server.settings.secret_key,
                       "PLURALSPACE_RATE_LIMIT_ENABLED": "false", "PLURALSPACE_ARGON2_TIME_COST": "1",
                       "PLURALSPACE_ARGON2_MEMORY_KIB": "1024", "PLURALSPACE_ARGON2_PARALLELISM": "1", **env}
        command = os.path.join(os.path.dirname(sys.executable), "pluralspace")
        self.process = subprocess.Popen([command, "serve", "--port", str(port)], env=environment,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_until_serving(self.process, self.base)
        self.api = Api(httpx.Client(base_url=self.base, timeout=60))

    def kill(self) -> None:
        self.api.close()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        self.api.close()
        self.process.terminate()
        self.process.communicate(timeout=30)


def test_a_server_killed_mid_import_leaves_nothing_and_the_next_one_fails_the_job(server, own_database, tmp_path):
    data_dir = tmp_path / "data"
    first = Served(server, own_database, data_dir)
    try:
        owner = first.api.register()
        job = data(first.api.post(IMPORTS, owner.session, content=large_export(400, 150),
                                  headers={"Content-Type": "application/json"}), 202)
        deadline = time.monotonic() + 300
        while True:  # until it applies (past reading the file), then the server dies
            seen = data(first.api.get(f"{IMPORTS}/{job['id']}", owner.session))
            assert seen["status"] in ("queued", "running"), seen  # it must not finish before the kill
            if seen["status"] == "running" and seen["progress"] >= 0.3:
                break
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        first.kill()
    # The next server (the killed one's process is gone; on PostgreSQL its heartbeat goes stale) ends the job as
    # failed and removes its file. Nothing of the import is there from its first answer on: on PostgreSQL the
    # import's one transaction never committed; on SQLite, whose steps did commit, the server took them back from
    # the undo log before it began to serve.
    second = Served(server, own_database, data_dir, PLURALSPACE_JOB_STALE_SECONDS="2")
    api = second.api
    try:
        session = api.login(owner.email, PASSWORD)["access_token"]
        assert everything(api, session, MEMBERS) == [] and everything(api, session, FRONTS) == []
        assert data(api.get("/api/v1/systems/@me", session))["name"] is None
        deadline = time.monotonic() + 120
        while (ended := data(second.api.get(f"{IMPORTS}/{job['id']}", session)))["status"] != "failed":
            assert ended["status"] == "running" and time.monotonic() < deadline, ended
            time.sleep(0.2)
        assert "stopped" in ended["error"]["message"] and "nothing of it was applied" in ended["error"]["message"]
        assert list((data_dir / "imports").iterdir()) == []
        assert everything(api, session, MEMBERS) == []
        again = data(second.api.post(IMPORTS, session, content=large_export(3, 2),
                                     headers={"Content-Type": "application/json"}), 202)
        while (done := data(second.api.get(f"{IMPORTS}/{again['id']}", session)))["status"] not in (
                "succeeded", "failed"):
            time.sleep(0.1)
        assert done["status"] == "succeeded" and len(everything(api, session, MEMBERS)) == 3
    finally:
        second.stop()

"""Test servers: the real app under uvicorn on a loopback port, once on SQLite and once on PostgreSQL.

PostgreSQL comes from PLURALSPACE_TEST_POSTGRES_URL and Redis from PLURALSPACE_TEST_REDIS_URL. Without them the
tests that need them are skipped with a reason, except in CI (CI=true), where a missing service fails the run.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from pluralspace.app import create_app
from pluralspace.config import Settings
from pluralspace.kit.timeutil import Clock
from pluralspace.migrate import upgrade

from .helpers import Api

POSTGRES_ENV = "PLURALSPACE_TEST_POSTGRES_URL"
REDIS_ENV = "PLURALSPACE_TEST_REDIS_URL"
BACKENDS = ["sqlite", "postgres"]


def service_url(env_var: str) -> str:
    url = os.environ.get(env_var, "").strip()
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{env_var} is not set: CI must run this test against the real service")
    pytest.skip(f"set {env_var} to run this test")


async def _postgres_admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


@dataclass
class Backend:
    name: str
    database_url: str
    data_dir: Path


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory) -> Iterator[Backend]:
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    if request.param == "sqlite":
        yield Backend("sqlite", f"sqlite:///{data_dir / 'pluralspace.db'}", data_dir)
        return
    base_url = service_url(POSTGRES_ENV)
    name = f"pluralspace_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        asyncio.run(_postgres_admin(base_url, f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_ENV} is unreachable: {exc}")
    try:
        yield Backend("postgres", _with_database(base_url, name), data_dir)
    finally:
        asyncio.run(_postgres_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def migrated(backend: Backend) -> Backend:
    upgrade(backend.database_url)
    return backend


class MovableClock(Clock):
    """The app's clock, which a test moves forward instead of waiting (a token's expiry): the app is built with it
    here, in the test's own process, so nothing reachable over HTTP can move it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.offset

    @contextmanager
    def moved(self, by: timedelta) -> Iterator[None]:
        """The server's time is `by` later until the block ends (the tests of one server run one at a time)."""
        self.offset += by
        try:
            yield
        finally:
            self.offset -= by


class RunningServer:
    """uvicorn serving the app in a thread of its own; `url` is its loopback base URL, `clock` its movable clock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings.with_secret()
        self.clock = MovableClock()
        self.app = create_app(self.settings, self.clock)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
                                lifespan="on", **self.settings.server_options())
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    @property
    def state(self):
        return self.app.state.pluralspace

    def api(self) -> Api:
        return Api(httpx.Client(base_url=self.url, timeout=30))

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


def base_settings(backend: Backend) -> Settings:
    # Budgets are high so tests never trip each other; the limits have tests of their own. Password hashing is
    # cheap here (the default cost is tested in tests/kit/test_passwords.py): it would dominate the suite's time.
    # Redis gets a generous timeout: several servers share this process and its GIL, and a stall past the default
    # would move counting in-process (tests/ops/test_faults.py sets short bounds where it means to). SQLite skips the
    # fsync per commit that the default pays for power-loss durability, which no test here can observe; the
    # servers that tests start with `pluralspace serve` run the default. The database bounds are long (as the pool
    # wait was before it became a setting): racing tests queue many writes on a busy machine, and a 503 there
    # would be the bound working, not a bug (the bounds' own tests set them short).
    return Settings(data_dir=backend.data_dir, database_url=backend.database_url, rate_limit_read=1_000_000,
                    rate_limit_write=1_000_000, login_failures_per_ip=1_000_000, login_failures_per_account=5,
                    registrations_per_ip=1_000_000,
                    usage_flush_seconds=0.2, argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1,
                    redis_timeout=1.0, sqlite_synchronous="normal", db_pool_timeout=30.0, db_statement_timeout=30.0)


@pytest.fixture(scope="session")
def server(migrated: Backend) -> Iterator[RunningServer]:
    running = RunningServer(base_settings(migrated))
    yield running
    running.stop()


@pytest.fixture
def own_database(migrated: Backend, tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own, for servers run as processes: no other server's job worker shares
    its queue (the session server's worker would claim their jobs, whose files are in another data dir)."""
    if migrated.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'own.db'}"
        upgrade(url)
        yield url
        return
    base_url = service_url(POSTGRES_ENV)
    name = f"pluralspace_own_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_postgres_admin(base_url, f'CREATE DATABASE "{name}"'))
    try:
        url = _with_database(base_url, name)
        upgrade(url)
        yield url
    finally:
        asyncio.run(_postgres_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def make_server(migrated: Backend):
    """Starts a server with other settings on the same database; stopped after the test."""
    started: list[RunningServer] = []

    def start(**overrides) -> RunningServer:
        running = RunningServer(replace(base_settings(migrated), **overrides))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def api(server: RunningServer) -> Iterator[Api]:
    client = server.api()
    yield client
    client.close()

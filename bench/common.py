"""Shared by the bench scripts: paths, free ports, starting/stopping one server process on loopback, and the
setup of a benchmark that fills a database (a fresh database, an account made through the API, bulk inserts of
its rows on either engine)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DEFAULT_DATA_DIR = BENCH_DIR / ".data"
DEFAULT_TOKENS = DEFAULT_DATA_DIR / "tokens.json"
HOST = "127.0.0.1"  # every bench server listens on, and every load goes to, loopback only
PASSWORD = "bench password 123"
T = TypeVar("T")


def batches(rows, size: int):
    """`rows` in lists of `size` (the last one shorter), for bulk inserts that never hold a whole history."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def code_snapshot(ref: str) -> tuple[str, Path | None]:
    """The app code the bench runs: `worktree` = the editable install as it is now (src/ may be mid-edit);
    anything else is a git ref whose src/ is exported once to bench/.data/code-<sha>/ and put first on PYTHONPATH
    of every server (and of in-process scripts via `use_code`). Returns (description, src path or None)."""
    if ref == "worktree":
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=REPO_DIR, capture_output=True,
                               text=True).stdout.strip()
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_DIR, capture_output=True,
                              text=True).stdout.strip()
        return f"worktree (HEAD {head}{', src/ modified' if dirty else ''})", None
    sha = subprocess.run(["git", "rev-parse", "--short=12", ref], cwd=REPO_DIR, capture_output=True, text=True,
                         check=True).stdout.strip()
    target = DEFAULT_DATA_DIR / f"code-{sha}"
    if not (target / "src" / "pluralspace").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha, "src"], cwd=REPO_DIR, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return f"git {sha}", target / "src"


def code_env(src: Path | None) -> dict[str, str]:
    return {"PYTHONPATH": str(src)} if src is not None else {}


def use_code(ref: str) -> str:
    """For a script that imports pluralspace itself: re-executes it with the snapshot first on PYTHONPATH."""
    description, src = code_snapshot(ref)
    if src is not None and os.environ.get("PYTHONPATH") != str(src):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONPATH": str(src)})
    return description


def exit_on_sigterm() -> None:
    """SIGTERM becomes SystemExit, so `finally` blocks (and Server.__exit__) still stop the servers."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def python() -> str:
    return sys.executable


def pluralspace_cli() -> str:
    candidate = Path(sys.executable).with_name("pluralspace")
    return str(candidate) if candidate.exists() else "pluralspace"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def load_tokens(path: Path) -> dict:
    return json.loads(Path(path).read_text())


class Server:
    """One server process (one uvicorn worker) on 127.0.0.1:<port>; always stopped by `stop()` or on exit."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, cpus: str | None = None,
                 log_path: Path | None = None) -> None:
        self.name = name
        self.port = port
        self.url = f"http://{HOST}:{port}"
        if cpus:
            argv = ["taskset", "-c", cpus, *argv]
        self.log_path = log_path
        self._log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
        # Nothing from the caller's environment may change the configuration under test.
        base = {key: value for key, value in os.environ.items() if not key.startswith(("PLURALSPACE_", "BENCH_"))}
        self.process = subprocess.Popen(argv, env={**base, **env}, cwd=REPO_DIR, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, path: str = "/api/v1/health", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status < 500:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready in {timeout}s")

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully (lifespan runs)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._log is not subprocess.DEVNULL:
            self._log.close()
        return self.process.returncode

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def real_server(data_dir: Path, port: int, *, rate_limit: bool, cpus: str | None = None,
                log_path: Path | None = None, extra_env: dict[str, str] | None = None) -> Server:
    """The real app exactly as a user runs it: `pluralspace serve` (migrations, then one uvicorn worker)."""
    env = {"PLURALSPACE_DATA_DIR": str(data_dir)}
    if not rate_limit:
        env["PLURALSPACE_RATE_LIMIT_ENABLED"] = "false"
    env.update(extra_env or {})
    return Server("real", [pluralspace_cli(), "serve", "--host", HOST, "--port", str(port)], env, port, cpus,
                  log_path)


def uvicorn_server(name: str, factory: str, data_dir: Path, port: int, *, cpus: str | None = None,
                   log_path: Path | None = None, extra_env: dict[str, str] | None = None) -> Server:
    """A comparison app under the same uvicorn settings `pluralspace serve` uses (httptools + uvloop, no access
    log, one worker)."""
    env = {"BENCH_DATA_DIR": str(data_dir), **(extra_env or {})}
    argv = [python(), "-m", "uvicorn", factory, "--factory", "--host", HOST, "--port", str(port),
            "--workers", "1", "--no-access-log", "--log-level", "warning", "--proxy-headers"]
    return Server(name, argv, env, port, cpus, log_path)


# --- a database filled for one benchmark ----------------------------------------------------------------------------

def call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None,
         timeout: float = 120) -> dict:
    """One JSON request to a bench server; the decoded answer."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def is_sqlite(database_url: str) -> bool:
    from sqlalchemy.engine import make_url

    return make_url(database_url).get_backend_name() == "sqlite"


def bench_database(data_dir: Path, database_url: str | None, *, reuse: bool = False) -> str:
    """The database a benchmark fills: the PostgreSQL URL as given (a scratch database; the first server start
    migrates it), or else `pluralspace.db` in `data_dir`, deleted first unless `reuse`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if database_url is not None:
        return database_url
    if not reuse:
        for name in ("pluralspace.db", "pluralspace.db-wal", "pluralspace.db-shm"):
            (data_dir / name).unlink(missing_ok=True)
    return f"sqlite:///{data_dir / 'pluralspace.db'}"


def bench_account(base: str, *, members: int, scopes: list[str],
                  timezone: str | None = None) -> tuple[str, str, uuid.UUID]:
    """A new account made through the API, with `members` members (and the system in `timezone`): (its e-mail,
    a personal access token with `scopes`, its system's uuid)."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.org"
    call(base, "POST", "/api/v1/auth/register", body={"email": email, "password": PASSWORD})
    session = call(base, "POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD})
    session = session["data"]["access_token"]
    if timezone is not None:
        call(base, "PATCH", "/api/v1/systems/@me", session, {"timezone": timezone})
    for index in range(members):
        call(base, "POST", "/api/v1/systems/@me/members", session, {"name": f"member {index}"})
    pat = call(base, "POST", "/api/v1/me/tokens", session, {"name": "bench", "scopes": scopes})["data"]["token"]
    return email, pat, uuid.UUID(call(base, "GET", "/api/v1/systems/@me", session)["data"]["uuid"])


Rows = Iterable[tuple[object, list[dict]]]  # (a table, rows for it), in the order they must go in


def bulk_insert(database_url: str, system_uuid: uuid.UUID, rows: Callable[[list[uuid.UUID]], Iterable[Rows]],
                analyze: tuple[str, ...], sqlite_after: tuple[str, ...] = ()) -> None:
    """Inserts `rows(the system's member uuids)` with SQLAlchemy Core, one batch of rows per statement, in one
    transaction, then analyzes the `analyze` tables (and runs `sqlite_after` on SQLite): on SQLite with the
    synchronous driver, on PostgreSQL with asyncpg, as the server runs each."""
    from sqlalchemy import select

    import pluralspace.app  # noqa: F401 - loads every model, so that foreign-key columns know their types
    from pluralspace.kit.db import async_postgres_url, null_pool_engine
    from pluralspace.members.models import Member

    members = select(Member.uuid).where(Member.system_uuid == system_uuid)
    if is_sqlite(database_url):
        engine = null_pool_engine(database_url)
        with engine.begin() as connection:
            for batch in rows(list(connection.execute(members).scalars())):
                for table, values in batch:
                    if values:
                        connection.execute(table.insert(), values)
        with engine.connect() as connection:
            for statement in ("ANALYZE", *sqlite_after):
                connection.exec_driver_sql(statement)
        engine.dispose()
        return

    async def postgres() -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(async_postgres_url(database_url))
        try:
            async with engine.begin() as connection:
                for batch in rows(list((await connection.execute(members)).scalars())):
                    for table, values in batch:
                        if values:
                            await connection.execute(table.insert(), values)
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                for table in analyze:
                    await connection.exec_driver_sql(f"VACUUM ANALYZE {table}")
        finally:
            await engine.dispose()

    asyncio.run(postgres())


def in_process(database_url: str, work: Callable[..., T]) -> T:
    """`work` run here on a session of the database (a sync one on SQLite; on PostgreSQL asyncpg through run_sync,
    as the server runs it)."""
    from sqlalchemy.orm import Session

    from pluralspace.kit.db import async_postgres_url, null_pool_engine

    if is_sqlite(database_url):
        engine = null_pool_engine(database_url)
        try:
            with Session(engine) as session:
                return work(session)
        finally:
            engine.dispose()

    async def postgres() -> T:
        from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

        engine = create_async_engine(async_postgres_url(database_url))
        try:
            async with AsyncSession(engine) as session:
                return await session.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(postgres())

"""Where a request's time goes, without HTTP: the real app's pieces timed one by one in this process.

Then whole requests straight into the ASGI apps (real, real with the database stubbed, the baselines), and
priced alternatives for the data access. Sequential (one call at a time). "wall" is per-call latency (CPU plus thread hand-offs, plus whatever else the
machine runs); "CPU" is this process's CPU time per call (all its threads), the number to compare on a busy
machine.

    token_prefix + token_hash                 the checks before the look-up
    Database.read(resolve_access_token)       unit of work 1 (thread hop, pool checkout, BEGIN, Core select, COMMIT)
    Database.read(get_system)                 unit of work 2 (thread hop, BEGIN, ORM Session.get, COMMIT)
    ok(...) + Envelope[SystemOut] dump        response model validation + JSON
    resolve_access_token / get_system run directly on one sync connection (no thread hop), to split the hop
    plain sqlite3: the baseline's single SELECT

    python bench/micro.py [--data-dir bench/.data] [--n 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from baseline_sqlite3 import QUERY  # noqa: E402
from common import DEFAULT_DATA_DIR, load_tokens, use_code  # noqa: E402

if __name__ == "__main__":
    # Before pluralspace is imported: run the same code snapshot as the servers (see common.code_snapshot).
    _code = "HEAD"
    if "--code" in sys.argv:
        _code = sys.argv[sys.argv.index("--code") + 1]
    CODE = use_code(_code)

from pluralspace.auth.principal import resolve_access_token  # noqa: E402
from pluralspace.config import load_or_create_secret  # noqa: E402
from pluralspace.kit.crypto import token_hash, token_prefix  # noqa: E402
from pluralspace.kit.db import Database, _unit_of_work  # noqa: E402
from pluralspace.kit.envelope import Envelope, ok  # noqa: E402
from pluralspace.systems import service  # noqa: E402
from pluralspace.systems.schemas import SystemOut  # noqa: E402


def report(label: str, n: int, wall: float, cpu: float) -> float:
    print(f"{label:<58} {wall / n * 1e6:8.1f} us wall {cpu / n * 1e6:8.1f} us CPU")
    return cpu / n * 1e6


def timed(label: str, n: int, fn) -> float:
    for _ in range(min(200, n)):
        fn()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return report(label, n, time.perf_counter() - wall, time.process_time() - cpu)


async def timed_async(label: str, n: int, fn) -> float:
    for _ in range(min(200, n)):
        await fn()
    wall, cpu = time.perf_counter(), time.process_time()  # process CPU: the worker threads' included
    for _ in range(n):
        await fn()
    return report(label, n, time.perf_counter() - wall, time.process_time() - cpu)


def asgi_get(app, path: str, token: str):
    """One request straight into an ASGI app (no socket, no uvicorn): the app's own cost."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def call() -> int:
        status = []

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(dict(scope), receive, send)
        if status != [200]:
            raise RuntimeError(f"status {status}")
        return status[0]

    return call


class StubDatabase:
    """Answers the two units of work of GET /systems/@me instantly, to price everything around them."""

    def __init__(self, principal, system) -> None:
        self.principal, self.system = principal, system

    async def read(self, fn, *args):
        return self.principal if fn is resolve_access_token else self.system


# The proposal, priced: one statement built once at import, credential joined to every column the response needs.
def proposed_statement():
    from sqlalchemy import bindparam, select

    from pluralspace.systems.models import System
    from pluralspace.tokens.models import Credential

    return (select(Credential.id, Credential.kind, Credential.account_id, Credential.scopes, Credential.expires_at,
                   Credential.revoked_at, Credential.family_id, Credential.client_id, Credential.last_used_at,
                   System.__table__)
            .join(System, System.account_id == Credential.account_id)
            .where(Credential.access_hash == bindparam("access_hash")))


async def main_async(data_dir: Path, n: int) -> None:
    from pluralspace.app import create_app
    from pluralspace.config import Settings

    secret = load_or_create_secret(data_dir)
    token = load_tokens(data_dir / "tokens.json")["clients"][0]["token"]
    access_hash = token_hash(secret, token)
    database = Database(f"sqlite:///{data_dir / 'pluralspace.db'}")
    principal = await database.read(resolve_access_token, access_hash)
    assert principal is not None
    loop = asyncio.get_running_loop()

    print("-- the real app's pieces")
    timed("token_prefix + token_hash", n, lambda: (token_prefix(token), token_hash(secret, token)))
    await timed_async("Database.read(resolve_access_token)  [unit of work 1]", n,
                      lambda: database.read(resolve_access_token, access_hash))
    await timed_async("Database.read(get_system, '@me')      [unit of work 2]", n,
                      lambda: database.read(service.get_system, "@me", principal))

    engine = database._sync_engine

    def direct(fn, *args):
        with engine.connect() as connection, connection.begin():
            return _unit_of_work(connection, fn, args)

    timed("  unit of work 1 without the thread hop", n, lambda: direct(resolve_access_token, access_hash))
    timed("  unit of work 2 without the thread hop", n, lambda: direct(service.get_system, "@me", principal))
    timed("  empty unit of work (checkout, BEGIN, Session, COMMIT)", n, lambda: direct(lambda session: None))
    await timed_async("  bare thread hop (run_in_executor of a no-op)", n,
                      lambda: loop.run_in_executor(database._executor, int))

    system = await database.read(service.get_system, "@me", principal)
    adapter_model = Envelope[SystemOut]

    def respond():
        envelope = ok(system)
        return adapter_model.model_validate(envelope, from_attributes=True).model_dump_json()

    timed("ok(...) + Envelope[SystemOut] validate + dump_json", n, respond)

    print("-- whole requests, in process (ASGI call, no socket/uvicorn)")
    settings = Settings(data_dir=data_dir, rate_limit_enabled=False).with_secret()
    app = create_app(settings)
    await timed_async("real app, GET /api/v1/systems/@me", n, asgi_get(app, "/api/v1/systems/@me", token))
    real_db = app.state.pluralspace.database
    app.state.pluralspace.database = StubDatabase(principal, system)
    await timed_async("real app with the database stubbed out (framework only)", n,
                      asgi_get(app, "/api/v1/systems/@me", token))
    app.state.pluralspace.database = real_db
    await real_db.dispose()

    import os

    from baseline_sqlite3 import create_app as create_baseline
    os.environ["BENCH_DATA_DIR"] = str(data_dir)
    for mode in ("direct", "threadpool"):
        os.environ["BENCH_BASELINE_MODE"] = mode
        await timed_async(f"plain sqlite3 baseline ({mode}), same request", n,
                          asgi_get(create_baseline(), "/api/v1/systems/@me", token))

    connection = sqlite3.connect(data_dir / "pluralspace.db", isolation_level=None)
    key = secret.encode()

    def plain():
        digest = hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
        row = connection.execute(QUERY, (digest,)).fetchone()
        return json.dumps({"data": row})

    timed("plain sqlite3: hmac + one SELECT + json.dumps (no HTTP)", n, plain)

    print("-- alternatives for the data access (same rows: credential + its system)")
    statement = proposed_statement()

    def one_uow(session, digest):
        return session.connection().execute(statement, {"access_hash": digest}).one_or_none()

    await timed_async("A: Database.read, ONE unit of work, prebuilt Core join", n,
                      lambda: database.read(one_uow, access_hash))

    def bare_connection():
        with engine.connect() as conn:  # pooled connection, no Session (autobegin still emits BEGIN)
            row = conn.execute(statement, {"access_hash": access_hash}).one_or_none()
            conn.rollback()
            return row

    await timed_async("B: one hop, pooled Connection (BEGIN/ROLLBACK), prebuilt Core, no Session", n,
                      lambda: loop.run_in_executor(database._executor, bare_connection))
    compiled_sql = str(statement.compile(dialect=engine.dialect))

    def driver_sql():
        with engine.connect() as conn:
            row = conn.exec_driver_sql(compiled_sql, (access_hash,)).fetchone()
            conn.rollback()
            return row

    await timed_async("C: one thread hop, exec_driver_sql of the compiled SQL", n,
                      lambda: loop.run_in_executor(database._executor, driver_sql))
    await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--code", default="HEAD", help="git ref of the app code, or `worktree`")
    args = parser.parse_args()
    import pluralspace
    print(f"app code: {CODE} ({Path(pluralspace.__file__).parent})")
    asyncio.run(main_async(args.data_dir.resolve(), args.n))


if __name__ == "__main__":
    main()

"""Where a request's time goes, without HTTP: the real app's pieces timed one by one in this process.

Then whole requests straight into the ASGI apps (the real app, the baselines). Sequential (one call at a time).
"wall" is per-call latency (CPU plus thread hand-offs, plus whatever else the machine runs); "CPU" is this process's
CPU time per call (all its threads), the number to compare on a busy machine.

    token_prefix + token_hash              the checks before the look-up
    find_principal                         the token look-up (Database.lookup: on the event loop on SQLite)
    own_system_view + envelope dump        GET /systems/@me for its owner: built from the token's row
    Database.read(get_system, <hid>)       a read that needs a unit of work (another system's public view)
    empty unit of work, bare thread hop    what every other read pays on top of its queries
    plain sqlite3                          the baseline's single SELECT + json.dumps

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
from baseline_sqlite3 import QUERY
from common import DEFAULT_DATA_DIR, load_tokens, use_code

if __name__ == "__main__":
    # Before pluralspace is imported: run the same code snapshot as the servers (see common.code_snapshot).
    _code = "HEAD"
    if "--code" in sys.argv:
        _code = sys.argv[sys.argv.index("--code") + 1]
    CODE = use_code(_code)

from pluralspace.auth.principal import find_principal
from pluralspace.config import load_or_create_secret
from pluralspace.kit.crypto import token_hash, token_prefix
from pluralspace.kit.db import Database
from pluralspace.kit.envelope import Envelope, ok
from pluralspace.kit.timeutil import utcnow
from pluralspace.systems import service
from pluralspace.systems.schemas import SystemOut


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


async def main_async(data_dir: Path, n: int) -> None:
    from pluralspace.app import create_app
    from pluralspace.config import Settings

    secret = load_or_create_secret(data_dir)
    clients = load_tokens(data_dir / "tokens.json")["clients"]
    token = clients[0]["token"]
    access_hash = token_hash(secret, token)
    database = Database(f"sqlite:///{data_dir / 'pluralspace.db'}")
    principal = await find_principal(database, access_hash, utcnow())
    assert principal is not None
    other_hid = next(c["system_id"] for c in clients if c["system_id"] != principal.system_hid)
    loop = asyncio.get_running_loop()
    adapter_model = Envelope[SystemOut]

    print("-- the real app's pieces")
    timed("token_prefix + token_hash", n, lambda: (token_prefix(token), token_hash(secret, token)))
    await timed_async("find_principal (Database.lookup on the loop)", n,
                      lambda: find_principal(database, access_hash, utcnow()))
    timed("own_system_view + Envelope[SystemOut] validate + dump_json", n, lambda: adapter_model.model_validate(
        ok(service.own_system_view("@me", principal)), from_attributes=True).model_dump_json())
    await timed_async("Database.read(get_system, <another system>) [a unit of work]", n,
                      lambda: database.read(service.get_system, other_hid, principal))
    await timed_async("  empty unit of work (hop, checkout, BEGIN, Session, COMMIT)", n,
                      lambda: database.read(lambda session: None))
    await timed_async("  bare thread hop (run_in_executor of a no-op)", n,
                      lambda: loop.run_in_executor(database._executor, int))
    await database.dispose()

    print("-- whole requests, in process (ASGI call, no socket/uvicorn)")
    settings = Settings(data_dir=data_dir, rate_limit_enabled=False).with_secret()
    app = create_app(settings)
    await timed_async("real app, GET /api/v1/systems/@me", n, asgi_get(app, "/api/v1/systems/@me", token))
    await timed_async("real app, GET /api/v1/systems/<another system>", n,
                      asgi_get(app, f"/api/v1/systems/{other_hid}", token))
    await app.state.pluralspace.database.dispose()

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

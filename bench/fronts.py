"""Front-history scaling: the fronts endpoints on a 10,000-front history versus a 1,000,000-front one.

For each size: a fresh SQLite database migrated to head, one account (through the API) with 12 members, then the
history inserted straight into `fronts` with SQLAlchemy Core bulk inserts (per member non-overlapping, with
co-fronting and three members still fronting at the end; everything else ended an hour ago). Then, against the
real server (`pluralspace serve`, one worker, rate limits off), the median latency of:

* GET /fronters
* GET /fronts (first page, limit 50)
* GET /switches (first page, limit 50)
* PUT /fronters (alternating between two sets, so every call ends one front and starts one)
* GET /fronts?since=<a day ago>, every page until the cursor runs out: the last page is where a scan with no lower
  bound would walk the whole older history
* GET, PATCH (a move there and back) of a switch 20 days back, and a back-dated switch inserted there then deleted
* GET /wrapped/<this year>/<this month> and GET /wrapped/<last year>: recaps computed from the fronts of the period
  (a year of the 1M history holds about 68,000 fronts)

Run:  python -m bench.fronts [--sizes 10000 1000000] [--requests 50] [--postgres postgresql://user@host/db]
      [--code <git ref>]
With --postgres, each size gets a scratch database next to the one named (created, then dropped) and the rows go
in with COPY (asyncpg) instead of Core inserts.
The issue's budget: each 1M latency within 1.5x of the 10k one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from pluralspace.fronts.models import Front
from pluralspace.kit.db import null_pool_engine
from pluralspace.members.models import Member
from pluralspace.migrate import upgrade

from .common import DEFAULT_DATA_DIR, batches, code_env, code_snapshot, free_port, real_server

MEMBERS = 12
BATCH = 20_000


def call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def history(count: int, members: list[uuid.UUID], system_uuid: uuid.UUID, seed: int = 7):
    """`count` fronts as insert rows, oldest first; per member never overlapping; ends an hour before now."""
    rng = random.Random(seed)
    free = dict.fromkeys(members, 0)
    rows, clock = [], 0
    while len(rows) < count:
        clock += rng.randint(30, 900)
        who = rng.choice(members)
        if free[who] > clock:
            continue
        length = rng.randint(300, 4 * 3600)
        rows.append((who, clock, clock + length))
        free[who] = clock + length
    last = {}
    for index, (who, _start, _end) in enumerate(rows):
        last[who] = index
    still_open = set(sorted(last.values())[-3:])
    latest = max(end for _who, _start, end in rows)
    shift = datetime.now(UTC) - timedelta(hours=1) - timedelta(seconds=latest)
    created = datetime.now(UTC)
    for index, (who, start, end) in enumerate(rows):
        yield {"id": uuid.uuid4(), "system_uuid": system_uuid, "member_uuid": who,
               "started_at": shift + timedelta(seconds=start),
               "ended_at": None if index in still_open else shift + timedelta(seconds=end),
               "comment": None, "created_at": created, "updated_at": created}


def populate(data_dir: Path, size: int, database_url: str) -> dict:
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(database_url)
    port = free_port()
    with real_server(data_dir, port, rate_limit=False, extra_env=server_env(database_url)) as server:
        server.wait_ready()
        email = f"bench-{uuid.uuid4().hex[:8]}@example.org"
        call(server.url, "POST", "/api/v1/auth/register", body={"email": email, "password": "bench password 123"})
        token = call(server.url, "POST", "/api/v1/auth/login",
                     body={"email": email, "password": "bench password 123"})["data"]["access_token"]
        for index in range(MEMBERS):
            call(server.url, "POST", "/api/v1/systems/@me/members", token, {"name": f"member {index}"})
    started = time.monotonic()
    if not database_url.startswith("sqlite"):
        asyncio.run(_copy_postgres(database_url, size))
        print(f"  inserted {size:,} fronts in {time.monotonic() - started:.1f}s")
        hids = asyncio.run(_postgres_fetch(database_url, "SELECT hid FROM members ORDER BY created_at"))
        return {"email": email, "hids": [row[0] for row in hids]}
    engine = null_pool_engine(database_url)
    with engine.begin() as connection:
        rows = list(connection.execute(select(Member.uuid, Member.system_uuid, Member.hid)))
        members = [row.uuid for row in rows]
        for batch in batches(history(size, members, rows[0].system_uuid), BATCH):
            connection.execute(Front.__table__.insert(), batch)
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"  inserted {size:,} fronts in {time.monotonic() - started:.1f}s")
    return {"email": email, "hids": [row.hid for row in rows]}


APP_CODE_ENV: dict[str, str] = {}  # set from --code: which app code the servers run (see common.code_snapshot)


def server_env(database_url: str) -> dict[str, str]:
    database = {} if database_url.startswith("sqlite") else {"PLURALSPACE_DATABASE_URL": database_url}
    return {**APP_CODE_ENV, **database}


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _postgres_fetch(url: str, statement: str) -> list:
    import asyncpg

    connection = await asyncpg.connect(_plain(url))
    try:
        return await connection.fetch(statement)
    finally:
        await connection.close()


async def _postgres_admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_plain(url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _copy_postgres(url: str, size: int) -> None:
    import asyncpg

    connection = await asyncpg.connect(_plain(url))
    try:
        rows = await connection.fetch("SELECT uuid, system_uuid FROM members")
        members = [row["uuid"] for row in rows]
        columns = ["id", "system_uuid", "member_uuid", "started_at", "ended_at", "comment", "created_at",
                   "updated_at"]
        records = [tuple(row[c] for c in columns) for row in history(size, members, rows[0]["system_uuid"])]
        await connection.copy_records_to_table("fronts", records=records, columns=columns)
        await connection.execute("ANALYZE fronts")
    finally:
        await connection.close()


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def timed(fn, requests: int) -> float:
    for _ in range(5):
        fn()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def measure(data_dir: Path, account: dict, requests: int, database_url: str) -> dict[str, float]:
    port = free_port()
    with real_server(data_dir, port, rate_limit=False, extra_env=server_env(database_url)) as server:
        server.wait_ready()
        token = call(server.url, "POST", "/api/v1/auth/login",
                     body={"email": account["email"], "password": "bench password 123"})["data"]["access_token"]
        base, hids = server.url, account["hids"]
        sets = [[hids[0], hids[1]], [hids[1], hids[2]]]
        turn = [0]

        def put() -> None:
            turn[0] += 1
            call(base, "PUT", "/api/v1/systems/@me/fronters", token, {"member_ids": sets[turn[0] % 2]})

        since = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")

        def since_all_pages() -> None:
            cursor = None
            while True:
                query = urllib.parse.urlencode({"since": since, "limit": 200, **({"cursor": cursor} if cursor else {})})
                cursor = call(base, "GET", f"/api/v1/systems/@me/fronts?{query}", token)["pagination"]["cursor"]
                if cursor is None:
                    return

        # One switch 20 days back (inside both histories) and the next change point after it. Front events fall on
        # whole seconds, so half a second after a switch is strictly between it and the next event.
        switches = "/api/v1/systems/@me/switches"
        deep = (datetime.now(UTC) - timedelta(days=20)).isoformat().replace("+00:00", "Z")
        switch = call(base, "GET", f"{switches}?{urllib.parse.urlencode({'before': deep, 'limit': 1})}",
                      token)["data"][0]
        at = datetime.fromisoformat(switch["timestamp"])
        places = [stamp(at), stamp(at + timedelta(milliseconds=500))]
        moves = [0]

        def move() -> None:  # there and back again
            here, there = places[moves[0] % 2], places[(moves[0] + 1) % 2]
            call(base, "PATCH", f"{switches}/{here}", token, {"timestamp": there})
            moves[0] += 1

        others = [] if switch["member_ids"] else [hids[0]]

        def insert_and_delete() -> None:  # a quarter second after the switch, wherever the moves left it
            inserted = stamp(datetime.fromisoformat(places[moves[0] % 2]) + timedelta(milliseconds=250))
            call(base, "POST", switches, token, {"timestamp": inserted, "member_ids": others})
            call(base, "DELETE", f"{switches}/{inserted}", token)

        now = datetime.now(UTC)
        wrapped = "/api/v1/systems/@me/wrapped"
        month, last_year = f"{wrapped}/{now.year}/{now.month}", f"{wrapped}/{now.year - 1}"
        return {
            "GET /wrapped/<month>": timed(lambda: call(base, "GET", month, token), requests),
            "GET /wrapped/<last year>": timed(lambda: call(base, "GET", last_year, token), requests),
            "GET /fronts?since= (all pages)": timed(since_all_pages, requests),
            "GET /fronters": timed(lambda: call(base, "GET", "/api/v1/systems/@me/fronters", token), requests),
            "GET /fronts": timed(lambda: call(base, "GET", "/api/v1/systems/@me/fronts", token), requests),
            "GET /switches": timed(lambda: call(base, "GET", "/api/v1/systems/@me/switches", token), requests),
            "PUT /fronters": timed(put, requests),
            "GET /switches/{ts} (20 days back)": timed(lambda: call(base, "GET", f"{switches}/{places[0]}", token),
                                                       requests),
            "PATCH /switches/{ts} (move, 20 days back)": timed(move, requests),
            "POST + DELETE /switches (20 days back)": timed(insert_and_delete, requests),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "fronts")
    parser.add_argument("--postgres", help="PostgreSQL server URL (a scratch database per size is made there)")
    parser.add_argument("--code", default="worktree", help="git ref of the app code the servers run, or `worktree`")
    args = parser.parse_args()
    code, src = code_snapshot(args.code)
    APP_CODE_ENV.update(code_env(src))
    print(f"app code: {code}")
    results: dict[int, dict[str, float]] = {}
    for size in args.sizes:
        data_dir = args.data_dir / str(size)
        if data_dir.exists():
            for path in sorted(data_dir.iterdir()):
                path.unlink()
        print(f"{size:,} fronts" + (" (PostgreSQL)" if args.postgres else " (SQLite)"))
        if args.postgres:
            name = f"pluralspace_fronts_bench_{size}"
            database_url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            asyncio.run(_postgres_admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            asyncio.run(_postgres_admin(args.postgres, f'CREATE DATABASE "{name}"'))
        else:
            database_url = f"sqlite:///{(data_dir / 'pluralspace.db').resolve()}"
        try:
            account = populate(data_dir, size, database_url)
            results[size] = measure(data_dir, account, args.requests, database_url)
        finally:
            if args.postgres:
                asyncio.run(_postgres_admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        for name, ms in results[size].items():
            print(f"  {name:<15} median {ms:7.2f} ms")
    if len(results) > 1:
        small, large = results[min(results)], results[max(results)]
        print(f"ratio {max(results):,} / {min(results):,} (budget 1.5x):")
        for name in small:
            print(f"  {name:<15} {large[name] / small[name]:.2f}x")


if __name__ == "__main__":
    main()

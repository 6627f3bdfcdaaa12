"""Wrapped: computing a year of 100,000 fronts, and serving its stored snapshot, through the real server.

A fresh database (migrated by the server it starts) gets one account (through the API: MEMBERS members and a
personal access token holding wrapped:read), in America/New_York; then --fronts fronts within one past local year go
straight into `fronts` with SQLAlchemy Core bulk inserts: each member's fronts never overlap, members often front
together (co-fronts), lengths of 5 minutes to 4 hours, the last three still open.

Measured with GET /api/v1/systems/@me/wrapped/{year} (one uvicorn worker, rate limits off, loopback):

* compute: the year's recap when no fresh snapshot exists (the snapshot is marked stale in the database before
  each of --computes requests), which computes and stores it; also a month of the same year;
* stored: --requests reads of the stored snapshot, after a warm-up; p50, p95 and p99.

Run:  python -m bench.wrapped [--fronts 100000] [--database-url URL]
Without --database-url the database is SQLite in bench/.data/wrapped/. With a PostgreSQL URL that database is used
as given (it is migrated to head; use a scratch database).
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pluralspace.fronts.models import Front
from pluralspace.members.models import Member
from pluralspace.wrapped.compute import Counted, fronting, fronts_of
from pluralspace.wrapped.service import Period

from .common import (
    DEFAULT_DATA_DIR,
    batches,
    bench_account,
    bench_database,
    bulk_insert,
    call,
    free_port,
    in_process,
    is_sqlite,
    percentile,
    real_server,
)

SECRET = "bench-wrapped-secret-key-not-for-production-0123456789"
MEMBERS = 12
BATCH = 5_000
ZONE = "America/New_York"


def year_of_fronts(count: int, members: list[uuid.UUID], system_uuid: uuid.UUID, year: int):
    """`count` fronts inside the local `year`, oldest first; per member never overlapping."""
    rng = random.Random(3)
    start = datetime(year, 1, 1, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)
    span = (datetime(year + 1, 1, 1, tzinfo=ZoneInfo(ZONE)).astimezone(UTC) - start).total_seconds()
    step = span / count
    free = dict.fromkeys(members, 0.0)
    rows, clock = [], 0.0
    while len(rows) < count:
        clock += rng.uniform(0, 2 * step)
        who = min(members, key=free.get) if rng.random() < 0.5 else rng.choice(members)
        start_at = max(clock, free[who])
        length = min(rng.choice([300, 900, 1800, 3600, 7200]) * rng.uniform(0.5, 1), span - start_at - 1)
        if length <= 0:
            break
        rows.append((who, start_at, start_at + length))
        free[who] = start_at + length
    still_open = set(range(len(rows) - 3, len(rows)))
    created = datetime.now(UTC)
    for index, (who, begin, end) in enumerate(rows):
        yield {"id": uuid.uuid4(), "system_uuid": system_uuid, "member_uuid": who,
               "started_at": start + timedelta(seconds=begin),
               "ended_at": None if index in still_open else start + timedelta(seconds=end),
               "comment": None, "created_at": created, "updated_at": created}


def insert(database_url: str, count: int, system_uuid: uuid.UUID, year: int) -> None:
    bulk_insert(database_url, system_uuid,
                lambda members: ([(Front.__table__, batch)]
                                 for batch in batches(year_of_fronts(count, members, system_uuid, year), BATCH)),
                analyze=("fronts",))


def mark_stale(database_url: str) -> None:
    def work(session: Session) -> None:
        session.execute(text("UPDATE wrapped_snapshots SET stale = :yes"), {"yes": True})
        session.commit()

    in_process(database_url, work)


def cpu_of_computes(database_url: str, system_uuid: uuid.UUID, year: int, times: int) -> list[tuple[float, float]]:
    """(wall ms, CPU ms of this process) of computing the year's fronting as a snapshot does: one read of the
    fronts, then the owner's and the public's views. CPU time (`time.process_time()`) is this process's alone, so it
    says what a computation costs even on a loaded machine; on SQLite it includes the database's work, on
    PostgreSQL the server's share is not in it."""
    zone = ZoneInfo(ZONE)
    start, until = Period(year, None).bounds(zone)

    def work(session: Session) -> list[tuple[float, float]]:
        counted = [Counted(member.uuid, member.hid) for member in session.execute(
            select(Member).where(Member.system_uuid == system_uuid).order_by(Member.hid)).scalars()]
        samples = []
        for _ in range(times):
            wall, cpu = time.perf_counter(), time.process_time()
            fronts = fronts_of(session, system_uuid, start, until, include_open=True)
            for view in (counted, counted[: len(counted) // 2]):
                fronting(fronts, view, start, until, zone)
            samples.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000))
        return samples

    return in_process(database_url, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fronts", type=int, default=100_000)
    parser.add_argument("--computes", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "wrapped")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in --data-dir")
    args = parser.parse_args()

    data_dir = args.data_dir.resolve()
    database_url = bench_database(data_dir, args.database_url)
    env = {"PLURALSPACE_DATABASE_URL": database_url, "PLURALSPACE_SECRET_KEY": SECRET}
    year = datetime.now(UTC).year - 1
    print(f"{args.fronts:,} fronts in {year} ({ZONE}), {'SQLite' if is_sqlite(database_url) else 'PostgreSQL'}")

    with real_server(data_dir, free_port(), rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        _, pat, system_uuid = bench_account(server.url, members=MEMBERS, scopes=["wrapped:read"], timezone=ZONE)
    started = time.monotonic()
    insert(database_url, args.fronts, system_uuid, year)
    print(f"  inserted {args.fronts:,} fronts in {time.monotonic() - started:.1f}s")
    samples = cpu_of_computes(database_url, system_uuid, year, args.computes)
    print(f"  compute a year in process: wall {', '.join(f'{wall:.0f}' for wall, _ in samples)} ms, "
          f"CPU {', '.join(f'{cpu:.0f}' for _, cpu in samples)} ms")

    with real_server(data_dir, free_port(), rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        base = server.url + "/api/v1/systems/@me/wrapped"

        def timed(path: str) -> tuple[float, dict]:
            started = time.perf_counter()
            body = call(base, "GET", path, pat)
            return (time.perf_counter() - started) * 1000, body["data"]

        computes, months = [], []
        for _ in range(args.computes):
            mark_stale(database_url)
            ms, recap = timed(f"/{year}")
            computes.append(ms)
            months.append(timed(f"/{year}/6")[0])
        fronting = recap["fronting"]
        print(f"  the year: {sum(m['sessions'] for m in fronting['members']):,} fronts, "
              f"{fronting['total_seconds'] / 3600:,.0f} h fronted, {fronting['switch_count']:,} switches, "
              f"{len(fronting['members'])} members, {len(fronting['top_cofronts'])} co-fronting sets")
        print(f"  compute a year:  {', '.join(f'{ms:.0f}' for ms in computes)} ms (max {max(computes):.0f})")
        print(f"  compute a month: {', '.join(f'{ms:.0f}' for ms in months)} ms (max {max(months):.0f})")
        for _ in range(20):
            timed(f"/{year}")
        stored = [timed(f"/{year}")[0] for _ in range(args.requests)]
        print(f"  stored year, {len(stored)} reads: p50 {percentile(stored, 0.5):.1f} ms, "
              f"p95 {percentile(stored, 0.95):.1f} ms, p99 {percentile(stored, 0.99):.1f} ms")


if __name__ == "__main__":
    main()

"""What `PLURALSPACE_SQLITE_SYNCHRONOUS` costs: acknowledged writes per second and commit latency, NORMAL vs FULL.

Runs `Database.write` (the app's own write path: the write lock, a worker thread, BEGIN IMMEDIATE, one small INSERT,
COMMIT) against a SQLite file in the data dir, on the disk the server would use, with 1 and with N concurrent
writers. FULL syncs the WAL on every commit; NORMAL only at checkpoints. Loopback and local files only.

    python bench/durability.py [--writes 2000] [--concurrency 16] [--rounds 3] [--dir bench/.data]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pluralspace.kit.db import Database


def insert(session, body: str) -> None:
    session.execute(text("INSERT INTO bench_writes (body) VALUES (:body)"), {"body": body})


def create_table(session) -> None:
    session.execute(text("CREATE TABLE IF NOT EXISTS bench_writes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))


async def measure(folder: Path, synchronous: str, writes: int, concurrency: int) -> dict[str, float]:
    database = Database(f"sqlite:///{folder / f'durability-{synchronous}.db'}", sqlite_synchronous=synchronous)
    try:
        await database.write(create_table)
        latencies: list[float] = []

        async def writer(count: int) -> None:
            for _ in range(count):
                started = time.perf_counter()
                await database.write(insert, "x" * 200)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*[writer(writes // concurrency) for _ in range(concurrency)])
        elapsed = time.perf_counter() - started
    finally:
        await database.dispose()
    latencies.sort()
    return {"writes_per_s": len(latencies) / elapsed, "median_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent / ".data")
    options = parser.parse_args()
    options.dir.mkdir(parents=True, exist_ok=True)
    print(f"{'synchronous':<12} {'writers':>7} {'writes/s':>9} {'median ms':>10} {'p99 ms':>8}   (median of rounds)")
    for writers in (1, options.concurrency):
        for synchronous in ("normal", "full"):
            rounds = []
            for _ in range(options.rounds):
                with tempfile.TemporaryDirectory(dir=options.dir) as folder:
                    rounds.append(asyncio.run(measure(Path(folder), synchronous, options.writes, writers)))
            middle = sorted(rounds, key=lambda r: r["writes_per_s"])[len(rounds) // 2]
            print(f"{synchronous:<12} {writers:>7} {middle['writes_per_s']:>9.0f} {middle['median_ms']:>10.2f} "
                  f"{middle['p99_ms']:>8.2f}")


if __name__ == "__main__":
    main()

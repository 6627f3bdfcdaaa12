"""Rendering the system's pages of a big system: 300 members and 10,000 fronts, through the real server.

A fresh database (migrated by the server it starts) gets one account and its 300 members through the API, a few
journal entries, then --fronts fronts within one past local year straight into `fronts` (bench/wrapped.py's
generator: co-fronts, 5 minutes to 4 hours, the last three still open). A signed-in browser session (the login
form's cookie) then GETs each page --requests times after a warm-up, one request at a time over loopback (one
uvicorn worker, rate limits off); the time is from sending the request to the last byte of the page. Beside it, the
server process's CPU time per request (`/proc/<pid>/stat`), which the machine's other load does not inflate.
Target (issue 19): p99 under 50 ms for every page.

Run:  python -m bench.pages [--fronts 10000] [--requests 200] [--database-url URL]
Without --database-url the database is SQLite in bench/.data/pages/. With a PostgreSQL URL that database is used as
given (it is migrated to head; use a scratch database).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from .common import DEFAULT_DATA_DIR, free_port, real_server
from .machine import process_cpu_seconds
from .wrapped import PASSWORD, ZONE, call, insert_postgres, insert_sqlite, percentile

SECRET = "bench-pages-secret-key-not-for-production-0123456789"
MEMBERS = 300
TARGET_MS = 50


def signed_in(base: str, email: str) -> httpx.Client:
    """A client holding a page session, signed in through the login form."""
    client = httpx.Client(base_url=base, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    answer = client.post("/login", data={"csrf_token": token.group(1), "email": email, "password": PASSWORD,
                                         "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fronts", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "pages")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in --data-dir")
    args = parser.parse_args()

    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    sqlite = args.database_url is None or make_url(args.database_url).get_backend_name() == "sqlite"
    if args.database_url is None:
        for name in ("pluralspace.db", "pluralspace.db-wal", "pluralspace.db-shm"):
            (data_dir / name).unlink(missing_ok=True)
    database_url = args.database_url or f"sqlite:///{data_dir / 'pluralspace.db'}"
    env = {"PLURALSPACE_DATABASE_URL": database_url, "PLURALSPACE_SECRET_KEY": SECRET}
    year = datetime.now(UTC).year - 1
    print(f"{MEMBERS} members, {args.fronts:,} fronts in {year} ({ZONE}), {'SQLite' if sqlite else 'PostgreSQL'}")

    with real_server(data_dir, free_port(), rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        email = f"bench-{uuid.uuid4().hex[:8]}@example.org"
        call(server.url, "POST", "/api/v1/auth/register", body={"email": email, "password": PASSWORD,
                                                                "system_name": "Bench"})
        session = call(server.url, "POST", "/api/v1/auth/login",
                       body={"email": email, "password": PASSWORD})["data"]["access_token"]
        call(server.url, "PATCH", "/api/v1/systems/@me", session, {"timezone": ZONE})
        hids = [call(server.url, "POST", "/api/v1/systems/@me/members", session,
                     {"name": f"member {index}", "color": f"{index * 40503 % 0xffffff:06x}"})["data"]["id"]
                for index in range(MEMBERS)]
        entry = ""
        for index in range(20):
            entry = call(server.url, "POST", "/api/v1/systems/@me/journal", session,
                         {"title": f"entry {index}", "body": f"The lighthouse keeper wrote **note {index}**.",
                          "tags": ["sea"], "author_ids": hids[:2]})["data"]["id"]
        system_uuid = uuid.UUID(call(server.url, "GET", "/api/v1/systems/@me", session)["data"]["uuid"])
    started = time.monotonic()
    if sqlite:
        insert_sqlite(database_url, args.fronts, system_uuid, year)
    else:
        asyncio.run(insert_postgres(database_url, args.fronts, system_uuid, year))
    print(f"  inserted {args.fronts:,} fronts in {time.monotonic() - started:.1f}s")

    pages = ["/", "/members", "/members?show=all&q=member%2012", f"/members/{hids[7]}", f"/members/{hids[7]}/edit",
             "/journal", "/journal?q=lighthouse", f"/journal/{entry}", f"/journal/{entry}/edit", "/history",
             f"/history?day={year}-06-15", f"/history?day={year}-06-15&member={hids[7]}", "/settings"]
    worst = 0.0
    with real_server(data_dir, free_port(), rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        client = signed_in(server.url, email)
        for page in pages:
            for _ in range(20):
                assert client.get(page).status_code == 200, page
            samples = []
            cpu = process_cpu_seconds(server.pid)
            for _ in range(args.requests):
                begun = time.perf_counter()
                answer = client.get(page)
                samples.append((time.perf_counter() - begun) * 1000)
                assert answer.status_code == 200, page
            cpu_ms = (process_cpu_seconds(server.pid) - cpu) * 1000 / args.requests
            worst = max(worst, percentile(samples, 0.99))
            print(f"  {page:<48} {len(answer.content) // 1024:>4} KiB  p50 {percentile(samples, 0.5):5.1f} ms  "
                  f"p95 {percentile(samples, 0.95):5.1f} ms  p99 {percentile(samples, 0.99):5.1f} ms  "
                  f"server CPU {cpu_ms:4.1f} ms")
        client.close()
    print(f"  worst p99 {worst:.1f} ms: target < {TARGET_MS} ms {'met' if worst < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()

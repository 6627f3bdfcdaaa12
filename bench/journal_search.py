"""Journal full-text search on 50,000 entries: ?q= latency through the real server.

A fresh database (migrated by the server it starts) gets one account (through the API, with a few members and a
personal access token holding journal:read); then 50,000 entries for its system go straight into `journal_entries`,
`journal_authors` and `journal_tags` with SQLAlchemy Core bulk inserts (on SQLite the migration's triggers index
each row in FTS5 as it goes in; on PostgreSQL the GIN expression index is maintained by the database).

The text is synthetic but shaped like language: bodies of 40..400 words (about 1.2 KB on average) drawn from a
20,000-word vocabulary with Zipf-distributed frequencies, so the most common words occur in nearly every entry and
the rarest in a handful. Queries (100 by default, fixed seed) mix:

* common: one of the 20 most frequent words (tens of thousands of matches, all of which are ranked);
* medium: a word of rank 200..2,000;
* rare: a word of rank 5,000..20,000;
* two words: a common and a medium word (both must occur);
* prefix: the first three letters of one of the 2,000 most frequent words, then `*`;
* phrase: two adjacent words of an existing entry, quoted.

Each query is GET /api/v1/systems/@me/journal?q=...&limit=50 against `pluralspace serve` (one worker, rate limits
off) on loopback, after a warm-up pass; p50, p95 and p99 per kind and overall are printed, with a plain newest-first
page for comparison.

With --neighbour-entries N, a second account's system gets N entries of the same language first: the
measured system's searches then show what other journals on the server cost them.

Run:  python -m bench.journal_search [--entries 50000] [--queries 100] [--database-url URL]
      [--neighbour-entries N] [--code <git ref>] [--reuse]
--reuse measures the database a previous run left (its first account), without inserting anything.
Without --database-url the database is SQLite in bench/.data/journal/. With a PostgreSQL URL that database is used
as given (it is migrated to head; use a scratch database).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import string
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

import pluralspace.app  # noqa: F401 - loads every model, so that foreign-key columns know their types
from pluralspace.journal.models import JournalAuthor, JournalEntry, JournalTag
from pluralspace.kit.db import async_postgres_url, null_pool_engine
from pluralspace.members.models import Member

from .common import DEFAULT_DATA_DIR, code_env, code_snapshot, free_port, real_server

PASSWORD = "bench password 123"
SECRET = "bench-journal-secret-key-not-for-production-0123456789"
MEMBERS = 8
VOCABULARY = 20_000
BATCH = 5_000
TAGS = ["dreams", "work", "therapy", "family", "health", "music", "garden", "school", "travel", "notes"]


def call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def vocabulary(rng: random.Random) -> list[str]:
    """VOCABULARY distinct pronounceable words, most frequent first."""
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    words: dict[str, None] = {}
    while len(words) < VOCABULARY:
        syllables = rng.choice((1, 2, 2, 3, 3, 4))
        words["".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))] = None
    return list(words)


class Corpus:
    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        weights = [1 / rank for rank in range(1, VOCABULARY + 1)]
        self.cumulative = list(__import__("itertools").accumulate(weights))

    def text(self, count: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=count))

    def body(self) -> str:
        sentences, left = [], self.rng.randint(40, 400)
        while left > 0:
            size = min(left, self.rng.randint(5, 18))
            sentences.append(self.text(size).capitalize() + self.rng.choice(".!?."))
            left -= size
        paragraphs = [" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5)]
        return "\n\n".join(paragraphs)


def entries(count: int, system_uuid: uuid.UUID, members: list[uuid.UUID], corpus: Corpus, first_seq: int = 1):
    """(entry row, author rows, tag rows), oldest first, one every ~15 minutes up to an hour ago."""
    rng = corpus.rng
    start = datetime.now(UTC) - timedelta(hours=1) - timedelta(minutes=15 * count)
    for index in range(count):
        entry_id = uuid.uuid4()
        created = start + timedelta(minutes=15 * index, seconds=rng.randint(0, 600))
        tags = rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3)))
        authors = rng.sample(members, rng.choice((0, 1, 1, 1, 2)))
        yield ({"id": entry_id, "seq": first_seq + index, "system_uuid": system_uuid,
                "title": corpus.text(rng.randint(2, 6)).capitalize() if rng.random() < 0.8 else None,
                "body": corpus.body(), "tags": tags, "pinned": rng.random() < 0.01,
                "privacy": "public" if rng.random() < 0.3 else "private", "created_at": created,
                "updated_at": created},
               [{"entry_id": entry_id, "member_uuid": m, "position": i} for i, m in enumerate(authors)],
               [{"entry_id": entry_id, "tag": t} for t in tags])


def batches(count: int, system_uuid: uuid.UUID, members: list[uuid.UUID], corpus: Corpus, first_seq: int = 1):
    rows: tuple[list, list, list] = ([], [], [])
    for entry, authors, tags in entries(count, system_uuid, members, corpus, first_seq):
        rows[0].append(entry)
        rows[1].extend(authors)
        rows[2].extend(tags)
        if len(rows[0]) == BATCH:
            yield rows
            rows = ([], [], [])
    if rows[0]:
        yield rows


def insert_sqlite(database_url: str, count: int, corpus: Corpus, system_uuid: uuid.UUID, first_seq: int = 1) -> None:
    engine = null_pool_engine(database_url)
    with engine.begin() as connection:
        members = list(connection.execute(select(Member.uuid).where(Member.system_uuid == system_uuid)).scalars())
        for entry_rows, author_rows, tag_rows in batches(count, system_uuid, members, corpus, first_seq):
            connection.execute(JournalEntry.__table__.insert(), entry_rows)
            if author_rows:
                connection.execute(JournalAuthor.__table__.insert(), author_rows)
            if tag_rows:
                connection.execute(JournalTag.__table__.insert(), tag_rows)
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql("INSERT INTO journal_fts(journal_fts) VALUES ('optimize')")
    engine.dispose()


async def insert_postgres(database_url: str, count: int, corpus: Corpus, system_uuid: uuid.UUID) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(async_postgres_url(database_url))
    try:
        async with engine.begin() as connection:
            members = list((await connection.execute(
                select(Member.uuid).where(Member.system_uuid == system_uuid))).scalars())
            for entry_rows, author_rows, tag_rows in batches(count, system_uuid, members, corpus):
                for row in entry_rows:
                    row["seq"] = None  # the FTS5 key is SQLite's; PostgreSQL leaves it null
                await connection.execute(JournalEntry.__table__.insert(), entry_rows)
                if author_rows:
                    await connection.execute(JournalAuthor.__table__.insert(), author_rows)
                if tag_rows:
                    await connection.execute(JournalTag.__table__.insert(), tag_rows)
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("VACUUM ANALYZE journal_entries")
            await connection.exec_driver_sql("ANALYZE journal_authors")
            await connection.exec_driver_sql("ANALYZE journal_tags")
    finally:
        await engine.dispose()


def queries(corpus: Corpus, count: int, sample_text: list[str]) -> list[tuple[str, str]]:
    rng = random.Random(5)
    words = corpus.words
    kinds = ["common", "medium", "rare", "two words", "prefix", "phrase"]
    result = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        if kind == "common":
            q = rng.choice(words[:20])
        elif kind == "medium":
            q = rng.choice(words[200:2000])
        elif kind == "rare":
            q = rng.choice(words[5000:])
        elif kind == "two words":
            q = f"{rng.choice(words[:20])} {rng.choice(words[200:2000])}"
        elif kind == "prefix":
            q = rng.choice(words[:2000])[:3] + "*"
        else:
            tokens = rng.choice(sample_text).lower().translate(str.maketrans("", "", string.punctuation)).split()
            at = rng.randrange(len(tokens) - 1)
            q = f'"{tokens[at]} {tokens[at + 1]}"'
        result.append((kind, q))
    return result


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def account_with_members(base: str) -> tuple[str, uuid.UUID]:
    """A new account with MEMBERS members: (a journal:read token, its system's uuid)."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.org"
    call(base, "POST", "/api/v1/auth/register", body={"email": email, "password": PASSWORD})
    session = call(base, "POST", "/api/v1/auth/login",
                   body={"email": email, "password": PASSWORD})["data"]["access_token"]
    for index in range(MEMBERS):
        call(base, "POST", "/api/v1/systems/@me/members", session, {"name": f"member {index}"})
    pat = call(base, "POST", "/api/v1/me/tokens", session,
               {"name": "bench", "scopes": ["journal:read"]})["data"]["token"]
    return pat, uuid.UUID(call(base, "GET", "/api/v1/systems/@me", session)["data"]["uuid"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "journal")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in --data-dir")
    parser.add_argument("--neighbour-entries", type=int, default=0, help="entries of another system")
    parser.add_argument("--code", default="worktree", help="git ref of the app code the servers run, or `worktree`")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database a previous run left (same --database-url or --data-dir)")
    args = parser.parse_args()
    code, src = code_snapshot(args.code)
    print(f"app code: {code}")

    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    sqlite = args.database_url is None or make_url(args.database_url).get_backend_name() == "sqlite"
    if args.database_url is None and not args.reuse:
        for name in ("pluralspace.db", "pluralspace.db-wal", "pluralspace.db-shm"):
            (data_dir / name).unlink(missing_ok=True)
    database_url = args.database_url or f"sqlite:///{data_dir / 'pluralspace.db'}"
    env = {"PLURALSPACE_DATABASE_URL": database_url, "PLURALSPACE_SECRET_KEY": SECRET, **code_env(src)}
    print(f"{args.entries:,} journal entries, {'SQLite' if sqlite else 'PostgreSQL'}")
    # The first server start migrates the database, with the code it runs (--code).

    corpus = Corpus()
    if args.reuse:
        measure(data_dir, env, corpus, args.queries, reused_token(data_dir, env))
        return
    port = free_port()
    with real_server(data_dir, port, rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        pat, system_uuid = account_with_members(server.url)
        neighbour_uuid = account_with_members(server.url)[1] if args.neighbour_entries else None
    started = time.monotonic()
    if neighbour_uuid is not None:  # the same language
        if sqlite:
            insert_sqlite(database_url, args.neighbour_entries, corpus, neighbour_uuid)
        else:
            asyncio.run(insert_postgres(database_url, args.neighbour_entries, corpus, neighbour_uuid))
        print(f"  inserted {args.neighbour_entries:,} entries in another system")
    if sqlite:
        insert_sqlite(database_url, args.entries, corpus, system_uuid, first_seq=args.neighbour_entries + 1)
    else:
        asyncio.run(insert_postgres(database_url, args.entries, corpus, system_uuid))
    print(f"  inserted {args.entries:,} entries in {time.monotonic() - started:.1f}s")
    measure(data_dir, env, corpus, args.queries, pat)


def reused_token(data_dir: Path, env: dict) -> str:
    """A new journal:read token of the measured account of a previous run (the first account it registered)."""
    engine = null_pool_engine(env["PLURALSPACE_DATABASE_URL"])
    with engine.connect() as connection:
        email = connection.exec_driver_sql("SELECT email FROM accounts ORDER BY created_at LIMIT 1").scalar_one()
    engine.dispose()
    with real_server(data_dir, free_port(), rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        session = call(server.url, "POST", "/api/v1/auth/login",
                       body={"email": email, "password": PASSWORD})["data"]["access_token"]
        return call(server.url, "POST", "/api/v1/me/tokens", session,
                    {"name": "bench", "scopes": ["journal:read"]})["data"]["token"]


def measure(data_dir: Path, env: dict, corpus: Corpus, count: int, pat: str) -> None:
    port = free_port()
    with real_server(data_dir, port, rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        base = server.url + "/api/v1/systems/@me/journal"
        first_page = call(base, "GET", "?limit=50", pat)["data"]
        plan = queries(corpus, count, [e["body"] for e in first_page])

        def search(q: str) -> tuple[float, int]:
            started = time.perf_counter()
            body = call(base, "GET", "?" + urllib.parse.urlencode({"q": q, "limit": 50}), pat)
            return (time.perf_counter() - started) * 1000, len(body["data"])

        for _kind, q in plan:  # warm-up: caches, prepared statements
            search(q)
        samples: dict[str, list[float]] = {}
        found: dict[str, list[int]] = {}
        for kind, q in plan:
            ms, hits = search(q)
            samples.setdefault(kind, []).append(ms)
            found.setdefault(kind, []).append(hits)
        plain = []
        for _ in range(30):
            started = time.perf_counter()
            call(base, "GET", "?limit=50", pat)
            plain.append((time.perf_counter() - started) * 1000)

    every = [ms for values in samples.values() for ms in values]
    print(f"  {'kind':<10} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'results/page':>13}")
    for kind, values in samples.items():
        print(f"  {kind:<10} {len(values):>4} {percentile(values, 0.5):8.1f} {percentile(values, 0.95):8.1f} "
              f"{percentile(values, 0.99):8.1f} {statistics.mean(found[kind]):13.1f}")
    print(f"  {'all ?q=':<10} {len(every):>4} {percentile(every, 0.5):8.1f} {percentile(every, 0.95):8.1f} "
          f"{percentile(every, 0.99):8.1f}")
    print(f"  {'no ?q=':<10} {len(plain):>4} {percentile(plain, 0.5):8.1f} {percentile(plain, 0.95):8.1f} "
          f"{percentile(plain, 0.99):8.1f}")


if __name__ == "__main__":
    main()

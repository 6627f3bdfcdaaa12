"""Journal full-text search on 50,000 entries: ?q= latency through the real server.

A fresh database (migrated by the server it starts) gets one account (through the API, with a few members and a
personal access token holding journal:read); then 50,000 entries for its system go straight into `journal_entries`,
`journal_authors`, `journal_tags` and `journal_terms` (the ranking's counts, as the service writes them) with
SQLAlchemy Core bulk inserts (on SQLite the migration's triggers index each row in FTS5 as it goes in; on PostgreSQL
the trigger fills the vector the GIN index holds).

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
      [--neighbour-entries N] [--code <git ref>] [--reuse | --cpu]
--cpu times the same queries in process instead (CPU time, this checkout's code) on a database a run left.
--reuse measures the database a previous run left (its first account), without inserting anything. --code names
the server's code; the inserts are this checkout's, so a revision before `journal_terms` (migration 0017) is measured
with --reuse on a database filled by its own checkout.
Without --database-url the database is SQLite in bench/.data/journal/. With a PostgreSQL URL that database is used
as given (it is migrated to head; use a scratch database).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import string
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pluralspace.identity.account import Account
from pluralspace.identity.system import System
from pluralspace.journal import search
from pluralspace.journal.models import JournalAuthor, JournalEntry, JournalTag
from pluralspace.kit.db import null_pool_engine

from .common import (
    DEFAULT_DATA_DIR,
    PASSWORD,
    batches,
    bench_account,
    bench_database,
    bulk_insert,
    call,
    code_env,
    code_snapshot,
    free_port,
    in_process,
    is_sqlite,
    percentile,
    real_server,
)

SECRET = "bench-journal-secret-key-not-for-production-0123456789"
MEMBERS = 8
VOCABULARY = 20_000
BATCH = 5_000
TAGS = ["dreams", "work", "therapy", "family", "health", "music", "garden", "school", "travel", "notes"]


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
        self.cumulative = list(itertools.accumulate(weights))

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


def entries(count: int, system_uuid: uuid.UUID, members: list[uuid.UUID], corpus: Corpus, first_seq: int | None):
    """(entry row, author rows, tag rows, term rows), oldest first, one every ~15 minutes up to an hour ago. `seq`
    (SQLite's FTS5 key) counts from `first_seq`; PostgreSQL leaves it null (None). The term rows are what the
    journal service writes with an entry (`search.terms_of`)."""
    from pluralspace.journal.search import terms_of  # here: --cpu runs on older revisions' code too

    rng = corpus.rng
    start = datetime.now(UTC) - timedelta(hours=1) - timedelta(minutes=15 * count)
    for index in range(count):
        entry_id = uuid.uuid4()
        created = start + timedelta(minutes=15 * index, seconds=rng.randint(0, 600))
        tags = rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3)))
        authors = rng.sample(members, rng.choice((0, 1, 1, 1, 2)))
        title = corpus.text(rng.randint(2, 6)).capitalize() if rng.random() < 0.8 else None
        body = corpus.body()
        yield ({"id": entry_id, "seq": None if first_seq is None else first_seq + index, "system_uuid": system_uuid,
                "title": title, "body": body, "tags": tags, "pinned": rng.random() < 0.01,
                "privacy": "public" if rng.random() < 0.3 else "private", "created_at": created,
                "updated_at": created},
               [{"entry_id": entry_id, "member_uuid": m, "position": i} for i, m in enumerate(authors)],
               [{"entry_id": entry_id, "tag": t} for t in tags],
               [{"entry_id": entry_id, "term": term, "weight": weight}
                for term, weight in terms_of(title, body).items()])


def insert(database_url: str, count: int, corpus: Corpus, system_uuid: uuid.UUID, first_seq: int) -> None:
    """`count` entries of the system, in batches of BATCH, straight into the tables."""
    from pluralspace.journal.models import JournalTerm

    sqlite = is_sqlite(database_url)

    def rows(members: list[uuid.UUID]):
        for batch in batches(entries(count, system_uuid, members, corpus, first_seq if sqlite else None), BATCH):
            yield [(JournalEntry.__table__, [entry for entry, _, _, _ in batch]),
                   (JournalAuthor.__table__, [a for _, authors, _, _ in batch for a in authors]),
                   (JournalTag.__table__, [t for _, _, tags, _ in batch for t in tags]),
                   (JournalTerm.__table__, [t for _, _, _, terms in batch for t in terms])]

    bulk_insert(database_url, system_uuid, rows,
                analyze=("journal_entries", "journal_authors", "journal_tags", "journal_terms"),
                sqlite_after=("INSERT INTO journal_fts(journal_fts) VALUES ('optimize')",))


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
    parser.add_argument("--cpu", action="store_true",
                        help="only time each query's search in this process (CPU time), on a database a previous run "
                             "left; the app code is what PYTHONPATH names, else this checkout's")
    args = parser.parse_args()
    if args.cpu:
        database_url = bench_database(args.data_dir.resolve(), args.database_url, reuse=True)
        print(f"app code: {os.environ.get('PYTHONPATH') or code_snapshot('worktree')[0]}, in process")
        cpu_of_searches(database_url, Corpus(), args.queries)
        return
    code, src = code_snapshot(args.code)
    print(f"app code: {code}")

    data_dir = args.data_dir.resolve()
    database_url = bench_database(data_dir, args.database_url, reuse=args.reuse)
    env = {"PLURALSPACE_DATABASE_URL": database_url, "PLURALSPACE_SECRET_KEY": SECRET, **code_env(src)}
    print(f"{args.entries:,} journal entries, {'SQLite' if is_sqlite(database_url) else 'PostgreSQL'}")
    # The first server start migrates the database, with the code it runs (--code).

    corpus = Corpus()
    if args.reuse:
        measure(data_dir, env, corpus, args.queries, reused_token(data_dir, env))
        return
    with real_server(data_dir, free_port(), rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        _, pat, system_uuid = bench_account(server.url, members=MEMBERS, scopes=["journal:read"])
        if args.neighbour_entries:
            neighbour_uuid = bench_account(server.url, members=MEMBERS, scopes=["journal:read"])[2]
    started = time.monotonic()
    if args.neighbour_entries:  # the same language
        insert(database_url, args.neighbour_entries, corpus, neighbour_uuid, first_seq=1)
        print(f"  inserted {args.neighbour_entries:,} entries in another system")
    insert(database_url, args.entries, corpus, system_uuid, first_seq=args.neighbour_entries + 1)
    print(f"  inserted {args.entries:,} entries in {time.monotonic() - started:.1f}s")
    measure(data_dir, env, corpus, args.queries, pat)


def cpu_of_searches(database_url: str, corpus: Corpus, count: int) -> None:
    """Each query of the plan searched in this process as the service does (rank, load the page, cut its snippets)
    for the first account's system: CPU time of this process (`time.process_time()`), which on a loaded machine
    says more than wall time; on SQLite the database's work is in it, on PostgreSQL the server's share is not."""
    def work(session: Session) -> dict[str, list[float]]:
        system_uuid = session.execute(select(System.uuid).join(Account, Account.id == System.account_id)
                                      .order_by(Account.created_at).limit(1)).scalar_one()
        newest = session.execute(select(JournalEntry.body).where(JournalEntry.system_uuid == system_uuid)
                                 .order_by(JournalEntry.created_at.desc()).limit(50)).scalars().all()
        plan = queries(corpus, count, list(newest))
        samples: dict[str, list[float]] = {}
        for round_ in range(2):  # the first round warms the caches
            for kind, q in plan:
                query = search.parse(q)
                started = time.process_time()
                for entry in search.ranked(session, system_uuid, query, [JournalEntry.system_uuid == system_uuid],
                                           51, 0)[:50]:
                    search.snippet(entry, query)
                if round_:
                    samples.setdefault(kind, []).append((time.process_time() - started) * 1000)
        return samples

    samples = in_process(database_url, work)
    print(f"  {'kind':<10} {'n':>4} {'CPU p50':>8} {'CPU p95':>8} {'CPU p99':>8} (ms)")
    for kind, values in samples.items():
        print(f"  {kind:<10} {len(values):>4} {percentile(values, 0.5):8.1f} {percentile(values, 0.95):8.1f} "
              f"{percentile(values, 0.99):8.1f}")


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

"""`Database.lookup` on SQLite: point reads on the event loop, and what happens when the file is locked.

The PostgreSQL path has no loop connection; every token-authenticated HTTP test exercises it on both engines.
"""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import bindparam, event, text

from pluralspace.kit.db import Database

LOOKUP = text("SELECT value FROM things WHERE key = :key").bindparams(bindparam("key"))


def _database(tmp_path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'lookup.db'}", pool_size=2)


async def _seed(database: Database) -> None:
    def create(session) -> None:
        session.execute(text("CREATE TABLE things (key TEXT PRIMARY KEY, value TEXT NOT NULL)"))
        session.execute(text("INSERT INTO things VALUES ('a', 'first'), ('b', 'second')"))

    await database.write(create)


def test_lookup_answers_rows_and_none(tmp_path) -> None:
    async def scenario() -> None:
        database = _database(tmp_path)
        try:
            await _seed(database)
            assert (await database.lookup(LOOKUP, {"key": "a"})).value == "first"
            assert (await database.lookup(LOOKUP, {"key": "b"})).value == "second"
            assert await database.lookup(LOOKUP, {"key": "missing"}) is None
        finally:
            await database.dispose()

    asyncio.run(scenario())


def test_requests_arriving_together_open_one_loop_connection_and_go_on_together(tmp_path) -> None:
    """Hundreds of first requests at once must neither each open (and queue for) a connection of their own, nor
    be let through one per step of the loop once it is open."""

    async def scenario() -> None:
        database = _database(tmp_path)
        try:
            await _seed(database)  # leaves one pooled connection behind
            opened = []
            event.listen(database.engine, "connect", lambda *_: opened.append(1))
            steps, finished_at = 0, []

            async def count_steps() -> None:
                nonlocal steps
                while True:
                    await asyncio.sleep(0)
                    steps += 1

            async def first_request():
                row = await database.lookup(LOOKUP, {"key": "a"})
                finished_at.append(steps)
                return row

            counter = asyncio.create_task(count_steps())
            rows = await asyncio.gather(*[first_request() for _ in range(200)])
            counter.cancel()
            assert {row.value for row in rows} == {"first"}
            assert len(opened) <= 1
            assert max(finished_at) - min(finished_at) <= 5, (min(finished_at), max(finished_at))
        finally:
            await database.dispose()

    asyncio.run(scenario())


def test_lookup_holds_no_read_transaction_open(tmp_path) -> None:
    """A read left open on the loop connection would pin the WAL and keep checkpoints from completing."""

    async def scenario() -> None:
        database = _database(tmp_path)
        try:
            await _seed(database)
            await database.lookup(LOOKUP, {"key": "a"})
            assert database._loop_connection is not None
            other = sqlite3.connect(tmp_path / "lookup.db", isolation_level=None)
            try:
                busy, _log_frames, _checkpointed = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                other.close()
            assert busy == 0
        finally:
            await database.dispose()

    asyncio.run(scenario())


def test_a_broken_loop_connection_is_replaced_without_failing_the_lookup(tmp_path) -> None:
    async def scenario() -> None:
        database = _database(tmp_path)
        try:
            await _seed(database)
            await database.lookup(LOOKUP, {"key": "a"})
            broken = database._loop_connection
            broken.connection.dbapi_connection.close()

            assert (await database.lookup(LOOKUP, {"key": "b"})).value == "second"  # answered on a worker
            assert (await database.lookup(LOOKUP, {"key": "a"})).value == "first"  # on a new loop connection
            assert database._loop_connection is not None and database._loop_connection is not broken
        finally:
            await database.dispose()

    asyncio.run(scenario())


def test_a_locked_file_is_waited_for_off_the_loop(tmp_path) -> None:
    """Another process holds the file exclusively when the first look-up comes: the loop keeps running while it
    waits, and the look-up answers once the lock is gone."""
    path = tmp_path / "lookup.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE things (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    holder.execute("INSERT INTO things VALUES ('a', 'first')")
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE things SET value = 'changed'")
    holder.execute("COMMIT")  # exclusive locking mode keeps the lock after the commit

    async def scenario() -> None:
        database = _database(tmp_path)
        try:
            pending = asyncio.create_task(database.lookup(LOOKUP, {"key": "a"}))
            # Had the look-up waited on the loop, it would have run out of patience before the sleep is over
            # (the lock goes only after it), and be done with "database is locked".
            await asyncio.sleep(0.2)
            assert not pending.done(), "the look-up cannot have read the locked file"
            holder.close()  # releases the lock

            assert (await asyncio.wait_for(pending, timeout=10)).value == "changed"
        finally:
            await database.dispose()

    asyncio.run(scenario())

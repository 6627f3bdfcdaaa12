"""Storage: one way for every service to touch the database, on SQLite and on PostgreSQL.

Services are plain synchronous functions `fn(session, *args)`; `Database.read` / `Database.write` run one of them
as a single unit of work holding a single connection:

* SQLite (the embedded default): a synchronous engine whose units of work run on a small thread pool, so a request
  costs one thread hand-off instead of one per statement (aiosqlite's way). Writes take `BEGIN IMMEDIATE` and queue
  on an in-process lock, so they never deadlock on a lock upgrade and never spin in SQLite's busy handler.
* PostgreSQL: an asyncpg engine; the same function runs through `AsyncConnection.run_sync`, SQLAlchemy's greenlet
  bridge, so statements await the driver without blocking the event loop or a thread.

`Database.lookup` is the exception, for the one read every authenticated request makes first (its token): a single
prebuilt statement answered by a unique index. On SQLite it runs on the event loop itself, on a connection kept for
it: the read takes tens of microseconds, a thread hand-off costs several times that in CPU (the GIL travelling
between cores), and in WAL mode a reader does not wait for writers. The connection is opened on a worker thread
(opening may wait for a lock), and should SQLite report the file busy (WAL recovery, a tool holding it exclusively)
or fail otherwise, the look-up is retried on the thread pool, where waiting does not stall the loop and failures
are reported as usual.

Faults (docs/OPERATIONS.md): every wait on the database is bounded (`Bounds`), so a database that is away, silent
or out of room becomes a prompt 503 SERVICE_UNAVAILABLE or 507 STORAGE_FULL (`database_fault`), never a hang or a
500; a read whose pooled connection turns out dead is tried once more on a fresh one; an outage is logged once
(kit/outage.py), not once per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, Table, create_engine, event, text
from sqlalchemy.engine import Connection, Dialect, Engine, Row, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, PoolProxiedConnection
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator, Uuid

from ..files import keep_sqlite_files_private
from .errors import ApiError, ServiceUnavailable, StorageFull
from .outage import Outage

if TYPE_CHECKING:
    from ..config import Settings

R = TypeVar("R")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bounds:
    """How long the server waits on the database before answering 503 (README: `PLURALSPACE_DB_*`).

    Unbounded, a silent database (a partition: no answer and no reset) held requests for minutes and /ready hung.
    """

    connect: float = 3.0  # opening a connection: TCP, TLS, authentication (PostgreSQL)
    checkout: float = 3.0  # waiting for a free pooled connection (PostgreSQL), for the write lock (SQLite)
    # One unit of work. PostgreSQL cancels a statement running longer (statement_timeout); a database that does not
    # even answer that is cut off STATEMENT_GRACE later. SQLite waits at most this long for a file lock.
    statement: float = 5.0


STATEMENT_GRACE = 1.0
READY_TIMEOUT = 1.5  # /ready answers within 2 s whatever the database does
# After a write failed for want of storage, /ready says so for this long (or until a write succeeds); then it lets
# traffic come back, since only a write can tell whether room was made (PostgreSQL gives no cheaper probe).
STORAGE_RECHECK_SECONDS = 15.0
MIN_FREE_BYTES = 1024 * 1024  # SQLite: less free room than this on the database's file system counts as full
SQLITE_SYNCHRONOUS = ("full", "normal")


class DatabaseTimeout(TimeoutError):
    """The database said nothing at all within the bound; the connection was cut off."""

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # JSON columns, by the Python shape their models declare.
    type_annotation_map = {
        uuid.UUID: Uuid(),
        dict[str, Any]: JSON(),
        dict[str, str]: JSON(),
        list[str]: JSON(),
        list[dict[str, Any]]: JSON(),
    }


def table_of(model: type[Base]) -> Table:
    """A model's Table, for Core statements (an executemany without the ORM's cost per row)."""
    table = model.__table__
    assert isinstance(table, Table), "a declarative model maps one Table"
    return table


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps them as naive UTC text, which sorts chronologically."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def async_postgres_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _configure_sqlite(engine: Engine, busy_seconds: float, synchronous: str = "full") -> None:
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"SQLite synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}, not {synchronous!r}")
    keep_sqlite_files_private(engine.url.database)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # The driver's own transaction handling is off so that BEGIN is ours (DEFERRED or IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A file lock held elsewhere (another process, a backup tool) is waited on this long, then answered 503.
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        # FULL: a commit is on disk before it is acknowledged, power loss included (docs/OPERATIONS.md).
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:  # None: every statement is its own transaction (the event loop's look-ups)
            connection.exec_driver_sql(f"BEGIN {mode}")


def create_sqlite_engine(url: str, pool_size: int, bounds: Bounds, synchronous: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": bounds.statement},
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=bounds.checkout,
    )
    _configure_sqlite(engine, bounds.statement, synchronous)
    return engine


def create_postgres_engine(url: str, pool_size: int, bounds: Bounds) -> AsyncEngine:
    engine = create_async_engine(
        async_postgres_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False,
        pool_recycle=1800, pool_timeout=bounds.checkout,
        connect_args={"timeout": bounds.connect,
                      "server_settings": {"statement_timeout": str(int(bounds.statement * 1000))}},
    )

    @event.listens_for(engine.sync_engine, "checkout")
    def skip_closed(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry,
                    _proxy: PoolProxiedConnection) -> None:
        # A pooled connection whose end the event loop has already seen (the server closed it, a reset, a killed
        # backend) is swapped for a fresh one before use, at the cost of a flag check (pre-ping would cost a round
        # trip each time). The pool replaces a connection on DisconnectionError.
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the pooled connection was closed")

    return engine


def _unit_of_work(connection: Connection, fn: Callable[..., R], args: tuple[Any, ...]) -> R:
    with Session(bind=connection, autoflush=True, expire_on_commit=False) as session:
        result = fn(session, *args)
        session.flush()
        return result


class Steps:
    """A long write (an import) cut into short transactions, so that other writers take their turns between them.

    The work calls `pause()` between two pieces of it. Once `seconds` have passed since the step began, the step
    ends: the session is flushed, the `before_commit` hooks run (an undo log is written in the same transaction as
    the writes it undoes), the transaction commits, the writers queued meanwhile go first, and the next step begins.
    With `seconds` None the work is one transaction and `pause()` does nothing (PostgreSQL, whose writers lock rows
    rather than the database; a dry run, which must never commit)."""

    def __init__(self, session: Session, seconds: float | None = None,
                 turn: Callable[[], None] | None = None) -> None:
        self.session = session
        self.seconds = seconds
        self._turn = turn
        self.before_commit: list[Callable[[Session], None]] = []
        self.began = time.monotonic()
        self.committed = 0  # steps committed so far

    def pause(self) -> None:
        if self.seconds is None or time.monotonic() - self.began < self.seconds:
            return
        self.commit()
        if self._turn is not None:
            self._turn()
        self.began = time.monotonic()

    def commit(self) -> None:
        self.end()
        if self.seconds is not None:
            self.session.commit()
            self.committed += 1

    def end(self) -> None:
        """What every step does before its commit (the last one's commit is the unit of work's, when unstepped)."""
        self.session.flush()
        for hook in self.before_commit:
            hook(self.session)


class Database:
    def __init__(self, url: str, pool_size: int = 16, bounds: Bounds = Bounds(),
                 sqlite_synchronous: str = "full") -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self.bounds = bounds
        self.outage = Outage("database", log)
        self.storage_outage = Outage("storage", log)
        self._sync_engine: Engine | None = None
        self._async_engine: AsyncEngine | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._write_lock = asyncio.Lock()
        self._loop_connection: Connection | None = None
        self._loop_connection_opening: asyncio.Future[Connection] | None = None
        if self.sqlite:
            # One connection more than worker threads: the event loop's own, for `lookup`.
            self._sync_engine = create_sqlite_engine(url, pool_size + 1, bounds, sqlite_synchronous)
            self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="sqlite")
        else:
            self._async_engine = create_postgres_engine(url, pool_size, bounds)

    @property
    def dialect(self) -> str:
        return "sqlite" if self.sqlite else "postgresql"

    async def read(self, fn: Callable[..., R], *args: Any, timeout: float | None = None) -> R:
        """Runs `fn(session, *args)` in a read transaction. `timeout` replaces the statement bound, for the rare
        work that is known to be long (an import, a rebuild); the default suits a request. (Only PostgreSQL cuts a
        unit of work short; on SQLite the bound is how long a file lock held elsewhere is waited for.)"""
        seconds = timeout or self.bounds.statement
        return await self._answer(lambda: self._run(fn, args, write=False, seconds=seconds), retry=True)

    async def write(self, fn: Callable[..., R], *args: Any, timeout: float | None = None) -> R:
        """As `read`, in a write transaction. Never retried: a connection lost during COMMIT may have committed."""
        seconds = timeout or self.bounds.statement
        if self.sqlite:
            await self._answer(self._take_write_lock)
            try:
                return await self._answer(lambda: self._run(fn, args, write=True, seconds=seconds), write=True)
            finally:
                self._write_lock.release()
        return await self._answer(lambda: self._run(fn, args, write=True, seconds=seconds), write=True)

    async def write_in_steps(self, fn: Callable[..., R], *args: Any, step_seconds: float | None,
                             timeout: float | None = None) -> R:
        """Runs `fn(steps, *args)` (`Steps`): on SQLite with `step_seconds`, in transactions of about that length,
        each holding the write lock only while it lasts (the writers that queued meanwhile go before the next);
        otherwise as one `write`. What the steps committed stays when a later one fails: the caller undoes it."""
        if not self.sqlite or step_seconds is None:
            def whole(session: Session, *rest: Any) -> R:
                steps = Steps(session)
                result = fn(steps, *rest)
                steps.end()
                return result

            return await self.write(whole, *args, timeout=timeout)
        loop = asyncio.get_running_loop()
        stopping = False  # the awaiting task was cancelled (a shutdown): the work stops at its next pause

        def take_turn() -> None:
            turn = asyncio.run_coroutine_threadsafe(self._write_lock.acquire(), loop)
            while not stopping:
                with contextlib.suppress(TimeoutError):
                    turn.result(timeout=1.0)
                    return
            turn.cancel()
            raise asyncio.CancelledError("the server is stopping")

        def work() -> R:
            take_turn()  # a background job, not a request: it waits for its first turn however long the queue is
            held = True
            engine = self._sqlite_engine.execution_options(sqlite_begin="IMMEDIATE")

            def turn() -> None:
                nonlocal held
                held = False
                loop.call_soon_threadsafe(self._write_lock.release)
                take_turn()
                held = True

            try:
                with Session(bind=engine, autoflush=True, expire_on_commit=False) as session:
                    steps = Steps(session, step_seconds, turn)
                    result = fn(steps, *args)
                    steps.commit()
                    return result
            finally:
                if held:
                    loop.call_soon_threadsafe(self._write_lock.release)

        context = contextvars.copy_context()
        try:
            return await self._answer(lambda: loop.run_in_executor(self._executor, functools.partial(context.run,
                                                                                                     work)), write=True)
        except asyncio.CancelledError:
            stopping = True
            raise

    async def _take_write_lock(self) -> None:
        # SQLite's writes queue here, one at a time. The writer ahead may itself wait up to the statement bound for
        # a file lock held elsewhere; a turn that takes longer than that plus the pool bound means writing is stuck
        # (a stalled disk) or hopelessly behind, and the caller gets a 503 with Retry-After instead of a hang.
        bound = self.bounds.checkout + self.bounds.statement
        try:
            async with asyncio.timeout(bound):
                await self._write_lock.acquire()
        except TimeoutError:
            raise DatabaseTimeout(f"no turn to write within {bound:g} s") from None

    async def lookup(self, statement: Executable, params: dict[str, Any]) -> Row[Any] | None:
        """The one row (or none) a prebuilt, uniquely indexed statement selects; see the module docstring."""
        if not self.sqlite:
            return await self._answer(lambda: self._lookup_postgres(statement, params), retry=True)
        connection = self._loop_connection or await self._open_loop_connection()
        try:
            row = _one_row(connection, statement, params)
            connection.commit()  # ends SQLAlchemy's transaction; SQLite's own ended with the statement
        except DBAPIError:
            # Busy, or broken: a fresh try on a worker thread, which may wait, and which reports what is wrong.
            self._drop_loop_connection()
        else:
            # A request that never waits runs from start to end in one step of the loop. Giving way here, once per
            # request, lets the loop take in new connections between requests: without it, with 256 clients, a few
            # new connections waited 3-5 s for their first response (bench/run_256.py), with it at most about 1 s.
            await asyncio.sleep(0)
            return row
        return await self.read(lambda session: _one_row(session.connection(), statement, params))

    async def _open_loop_connection(self) -> Connection:
        """Opened once however many requests ask at the same moment, and on a worker thread (opening may wait for a
        lock: the pragmas of `_configure_sqlite`). Every request waits on the same future, so all of them go on in
        the same step of the loop once it is open; a lock would hand over to one waiter per step, which kept the
        last of 256 first requests waiting for seconds."""
        if self._loop_connection_opening is None:
            self._loop_connection_opening = asyncio.ensure_future(self._open_loop_connection_once())
        return await asyncio.shield(self._loop_connection_opening)  # a request that goes away cancels only itself

    async def _open_loop_connection_once(self) -> Connection:
        def open_connection() -> Connection:
            connection = self._sqlite_engine.connect().execution_options(sqlite_begin=None)
            connection.exec_driver_sql("PRAGMA busy_timeout=20")  # on the loop, never wait: retry on a thread
            connection.commit()
            return connection

        try:
            loop = asyncio.get_running_loop()
            self._loop_connection = await self._answer(lambda: loop.run_in_executor(self._executor, open_connection))
            return self._loop_connection
        finally:
            self._loop_connection_opening = None

    def _drop_loop_connection(self) -> None:
        if self._loop_connection is not None:
            self._loop_connection.invalidate()
            self._loop_connection.close()
            self._loop_connection = None

    async def _lookup_postgres(self, statement: Executable, params: dict[str, Any]) -> Row[Any] | None:
        async def look_up(connection: AsyncConnection) -> Row[Any] | None:
            return (await connection.execute(statement, params)).one_or_none()

        return await self._on_postgres(look_up, self.bounds.statement)

    async def _answer(self, attempt: Callable[[], Awaitable[R]], *, retry: bool = False, write: bool = False) -> R:
        """Runs one database call and turns a fault into the contract's answer (503 or 507), noting the outage.

        With `retry`, a call whose connection turns out dead (the database restarted, a backend was killed, a
        network reset) is tried once more: SQLAlchemy has meanwhile invalidated that connection and every pooled one
        opened before it, so the second try opens a fresh one. Only reads retry: a write's COMMIT may have landed.
        """
        try:
            try:
                result = await attempt()
            except Exception as exc:
                if not (retry and _connection_died(exc)):
                    raise
                log.debug("a pooled connection was dead (%s); trying once more on a fresh one", fault_cause(exc))
                result = await attempt()
        except Exception as exc:
            fault = database_fault(exc)
            if fault is None:
                raise  # not the database's fault: a conflict (409) or a bug (500)
            (self.storage_outage if isinstance(fault, StorageFull) else self.outage).failed(fault_cause(exc))
            raise fault from exc
        self.outage.recovered()
        if write:
            self.storage_outage.recovered()
        return result

    async def _run(self, fn: Callable[..., R], args: tuple[Any, ...], *, write: bool, seconds: float) -> R:
        if self.sqlite:
            return await self._run_sqlite(fn, args, write)
        return await self._run_postgres(fn, args, seconds)

    async def _run_sqlite(self, fn: Callable[..., R], args: tuple[Any, ...], write: bool) -> R:
        def work() -> R:
            with self._sqlite_engine.connect() as connection:
                if write:
                    connection = connection.execution_options(sqlite_begin="IMMEDIATE")
                with connection.begin():
                    return _unit_of_work(connection, fn, args)

        # The context travels with the work so logs from the worker thread carry the request id.
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(context.run, work))

    async def _run_postgres(self, fn: Callable[..., R], args: tuple[Any, ...], seconds: float) -> R:
        async def transaction(connection: AsyncConnection) -> R:
            async with connection.begin():
                if seconds != self.bounds.statement:
                    await connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
                return await connection.run_sync(_unit_of_work, fn, args)

        return await self._on_postgres(transaction, seconds)

    async def _on_postgres(self, work: Callable[[AsyncConnection], Coroutine[Any, Any, R]], seconds: float) -> R:
        """`work` on a pooled connection, every wait bounded.

        The pool's wait is bounded by pool_timeout and opening by asyncpg's timeout; the overall bound on checking
        out also covers SQLAlchemy's first statements on a new connection, which nothing else would. The work
        itself runs as a task of its own so that, should the database fall silent, the request can be answered
        without waiting for the task's cleanup (a polite ROLLBACK would wait on the silence too)."""
        try:
            async with asyncio.timeout(self.bounds.checkout + self.bounds.connect):
                connection = await self._postgres_engine.connect()
        except TimeoutError:
            raise DatabaseTimeout(f"no connection within {self.bounds.checkout + self.bounds.connect:g} s") from None
        try:
            task = asyncio.ensure_future(work(connection))
            try:
                done, _ = await asyncio.wait((task,), timeout=seconds + STATEMENT_GRACE)
            except asyncio.CancelledError:
                task.cancel()
                raise
            if not done:
                await _cut_off(connection, task)
                raise DatabaseTimeout(f"no answer within {seconds + STATEMENT_GRACE:g} s")
            return task.result()
        finally:
            await connection.close()

    async def readiness(self) -> ApiError | None:
        """What keeps this server from serving (503 for /ready), or None; answered within READY_TIMEOUT."""
        probe = asyncio.ensure_future(self.read(self._storage_read_only))
        done, _ = await asyncio.wait((probe,), timeout=READY_TIMEOUT)
        if not done:  # the probe ends by itself within its own bounds; its outcome is noted like any other
            probe.add_done_callback(_consume)
            return ServiceUnavailable("The database did not answer in time.", {"reason": "database_unreachable"})
        try:
            storage_problem = probe.result() or self._storage_problem()
        except ServiceUnavailable as fault:
            return ServiceUnavailable(fault.message, {"reason": "database_unreachable"})
        except StorageFull:
            storage_problem = "writes fail for want of room"
        except Exception:  # readiness answers "no" for any failure; a bug has its traceback in the log
            log.exception("readiness probe failed")
            return ServiceUnavailable("The readiness probe failed.", {"reason": "database_unreachable"})
        if storage_problem:
            return ServiceUnavailable(f"The server cannot store data: {storage_problem}.", {"reason": "storage_full"})
        return None

    def _storage_read_only(self, session: Session) -> str | None:
        """PostgreSQL says whether it takes writes (a hot standby, default_transaction_read_only) in the same round
        trip as the liveness check."""
        if self.sqlite:
            session.execute(text("SELECT 1"))
            return None
        if session.execute(text("SELECT current_setting('transaction_read_only')")).scalar_one() == "on":
            return "the database is read-only"
        return None

    def _storage_problem(self) -> str | None:
        if self.storage_outage.ongoing and \
                time.monotonic() - self.storage_outage.last_failure_at < STORAGE_RECHECK_SECONDS:
            return self.storage_outage.cause
        return sqlite_file_problem(self.url) if self.sqlite else None

    @property
    def _sqlite_engine(self) -> Engine:
        assert self._sync_engine is not None, "only a SQLite database has a synchronous engine of its own"
        return self._sync_engine

    @property
    def _postgres_engine(self) -> AsyncEngine:
        assert self._async_engine is not None, "only a PostgreSQL database has an asynchronous engine"
        return self._async_engine

    @property
    def engine(self) -> Engine:
        """The synchronous engine underneath, where statement events (e.g. query counting) are observed."""
        return self._sqlite_engine if self.sqlite else self._postgres_engine.sync_engine

    async def dispose(self) -> None:
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._async_engine is not None:
            # Closing politely waits for the database; a silent one must not hold up the shutdown.
            try:
                async with asyncio.timeout(self.bounds.statement):
                    await self._async_engine.dispose()
            except TimeoutError:
                log.warning("database connections not closed within %g s at shutdown", self.bounds.statement)


def _one_row(connection: Connection, statement: Executable, params: dict[str, Any]) -> Row[Any] | None:
    return connection.execute(statement, params).one_or_none()


async def _cut_off(connection: AsyncConnection, task: asyncio.Future[Any]) -> None:
    """Aborts the socket under a unit of work that gets no answer: the work then fails at once, and the pool drops
    the connection (SQLAlchemy sees it closed). Closing politely would wait for the silent database."""
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None, "an open connection has its driver's connection"
    raw.driver_connection.terminate()
    done, _ = await asyncio.wait((task,), timeout=STATEMENT_GRACE)
    if done:
        _consume(task)
    else:
        task.add_done_callback(_consume)
        task.cancel()


def _consume(task: asyncio.Future[Any]) -> None:
    """Reads a finished task's outcome so that asyncio does not report it as never retrieved."""
    if not task.cancelled():
        task.exception()


# --- what a failure means ----------------------------------------------------------------------------------------

# PostgreSQL SQLSTATEs (appendix A of its manual) that mean the server cannot store data.
STORAGE_SQLSTATES = {"53100": "disk full", "25006": "read-only"}
# ...and those that mean it cannot answer now: connection exceptions (08), operator intervention (57P: shut down,
# starting up, backend terminated), statement timeout (57014), lock timeout (55P03), insufficient resources (53:
# too many connections, out of memory), system errors (58), a refused login or an unknown database (28, 3D000).
UNAVAILABLE_SQLSTATES = ("08", "57P", "57014", "55P03", "53", "58", "28", "3D000")
# SQLite's result codes (sqlite3 errors carry their name), likewise.
STORAGE_SQLITE_ERRORS = {"SQLITE_FULL": "disk full", "SQLITE_READONLY": "read-only"}
UNAVAILABLE_SQLITE_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PROTOCOL")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the driver's error SQLAlchemy wraps, and what that was raised from."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__


def _sqlstate(exc: BaseException) -> str:
    return next((code for e in _chain(exc) if isinstance(code := getattr(e, "sqlstate", None), str)), "")


def _sqlite_error(exc: BaseException) -> str:
    return next((name for e in _chain(exc) if isinstance(name := getattr(e, "sqlite_errorname", None), str)), "")


def database_fault(exc: BaseException) -> ApiError | None:
    """The contract's answer to a failure that is the database's (or its storage's), not the request's; else None."""
    sqlstate, sqlite_error = _sqlstate(exc), _sqlite_error(exc)
    if sqlstate in STORAGE_SQLSTATES or sqlite_error.startswith(tuple(STORAGE_SQLITE_ERRORS)):
        return StorageFull()
    if isinstance(exc, (TimeoutError, PoolTimeout)):
        return ServiceUnavailable("The database did not answer in time.")
    if isinstance(exc, OSError) or sqlstate.startswith(UNAVAILABLE_SQLSTATES) \
            or sqlite_error.startswith(UNAVAILABLE_SQLITE_ERRORS) or _connection_died(exc):
        return ServiceUnavailable()
    return None


def _connection_died(exc: BaseException) -> bool:
    """The connection under the call is gone (it was dead in the pool, or died during the call)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    sqlstate = _sqlstate(exc)
    if sqlstate.startswith("08") or sqlstate in ("57P01", "57P02"):  # connection exception; backend terminated
        return True
    return any("connection is closed" in str(e) for e in _chain(exc))  # asyncpg, on a connection already closed


def fault_cause(exc: BaseException) -> str:
    """One short line for the log (and for `serve` refusing to start): the innermost driver error's type and
    first line."""
    if isinstance(exc, DatabaseTimeout):
        return str(exc)
    innermost = list(_chain(exc))[-1]
    detail = str(innermost).strip().splitlines()[0] if str(innermost).strip() else ""
    return f"{type(innermost).__name__}: {detail}" if detail else type(innermost).__name__


def sqlite_file_problem(url: str) -> str | None:
    """Why the SQLite file cannot take writes (read-only file system, no room, not writable), else None."""
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    path = Path(database.removeprefix("file:").split("?", 1)[0])  # a plain path, or a URI filename (uri=true)
    folder = path.parent
    try:
        stats = os.statvfs(folder)
    except OSError as exc:
        return f"{folder}: {exc.strerror}"
    if stats.f_flag & os.ST_RDONLY:
        return f"{folder} is on a read-only file system"
    if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
        return f"the disk holding {folder} is full ({stats.f_bavail * stats.f_frsize} bytes free)"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is not writable"
    if not os.access(folder, os.W_OK):
        return f"{folder} is not writable"
    return None


def database_for(settings: Settings) -> Database:
    """The database the settings describe (config.Settings), with their bounds."""
    bounds = Bounds(connect=settings.db_connect_timeout, checkout=settings.db_pool_timeout,
                    statement=settings.db_statement_timeout)
    return Database(settings.resolved_database_url, pool_size=settings.db_pool_size, bounds=bounds,
                    sqlite_synchronous=settings.sqlite_synchronous)


def null_pool_engine(url: str) -> Engine:
    """A throw-away synchronous engine for SQLite migrations and tooling."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 30})
    _configure_sqlite(engine, busy_seconds=30)
    return engine

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
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, Engine, Row, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator, Uuid

from .errors import ServiceUnavailable
from .files import keep_sqlite_files_private

R = TypeVar("R")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {uuid.UUID: Uuid(), dict: JSON(), list: JSON()}


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out; SQLite keeps them as naive UTC text, which sorts chronologically."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def async_postgres_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _configure_sqlite(engine: Engine) -> None:
    keep_sqlite_files_private(engine.url.database)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # The driver's own transaction handling is off so that BEGIN is ours (DEFERRED or IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:  # None: every statement is its own transaction (the event loop's look-ups)
            connection.exec_driver_sql(f"BEGIN {mode}")


def create_sqlite_engine(url: str, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 10},
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=30,
    )
    _configure_sqlite(engine)
    return engine


def _unit_of_work(connection, fn: Callable[..., R], args: tuple) -> R:
    with Session(bind=connection, autoflush=True, expire_on_commit=False) as session:
        result = fn(session, *args)
        session.flush()
        return result


class Database:
    def __init__(self, url: str, pool_size: int = 16) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self._sync_engine: Engine | None = None
        self._async_engine: AsyncEngine | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._write_lock = asyncio.Lock()
        self._loop_connection: Connection | None = None
        self._loop_connection_opening: asyncio.Future[Connection] | None = None
        if self.sqlite:
            # One connection more than worker threads: the event loop's own, for `lookup`.
            self._sync_engine = create_sqlite_engine(url, pool_size + 1)
            self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="sqlite")
        else:
            self._async_engine = create_async_engine(
                async_postgres_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False,
                pool_recycle=1800,
            )

    @property
    def dialect(self) -> str:
        return "sqlite" if self.sqlite else "postgresql"

    async def read(self, fn: Callable[..., R], *args: Any) -> R:
        return await self._run(fn, args, write=False)

    async def write(self, fn: Callable[..., R], *args: Any) -> R:
        if self.sqlite:
            async with self._write_lock:
                return await self._run(fn, args, write=True)
        return await self._run(fn, args, write=True)

    async def lookup(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        """The one row (or none) a prebuilt, uniquely indexed statement selects; see the module docstring."""
        if not self.sqlite:
            return await self._guarded(self._lookup_postgres(statement, params))
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
            connection = self._sync_engine.connect().execution_options(sqlite_begin=None)
            connection.exec_driver_sql("PRAGMA busy_timeout=20")  # on the loop, never wait: retry on a thread
            connection.commit()
            return connection

        try:
            loop = asyncio.get_running_loop()
            self._loop_connection = await self._guarded(loop.run_in_executor(self._executor, open_connection))
            return self._loop_connection
        finally:
            self._loop_connection_opening = None

    def _drop_loop_connection(self) -> None:
        if self._loop_connection is not None:
            self._loop_connection.invalidate()
            self._loop_connection.close()
            self._loop_connection = None

    async def _lookup_postgres(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        async with self._async_engine.connect() as connection:
            return (await connection.execute(statement, params)).one_or_none()

    async def _guarded(self, work: Awaitable[R]) -> R:
        try:
            return await work
        except (OperationalError, OSError, ConnectionError) as exc:
            if _is_unreachable(exc):
                raise ServiceUnavailable() from exc
            raise

    async def _run(self, fn: Callable[..., R], args: tuple, *, write: bool) -> R:
        if self.sqlite:
            return await self._guarded(self._run_sqlite(fn, args, write))
        return await self._guarded(self._run_postgres(fn, args))

    async def _run_sqlite(self, fn: Callable[..., R], args: tuple, write: bool) -> R:
        def work() -> R:
            with self._sync_engine.connect() as connection:
                if write:
                    connection = connection.execution_options(sqlite_begin="IMMEDIATE")
                with connection.begin():
                    return _unit_of_work(connection, fn, args)

        # The context travels with the work so logs from the worker thread carry the request id.
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(context.run, work))

    async def _run_postgres(self, fn: Callable[..., R], args: tuple) -> R:
        async with self._async_engine.begin() as connection:
            return await connection.run_sync(_unit_of_work, fn, args)

    async def ping(self) -> bool:
        try:
            await self.read(lambda session: session.execute(text("SELECT 1")).scalar_one())
            return True
        except Exception:  # readiness answers "no" for any failure; the cause is in the log
            return False

    @property
    def engine(self) -> Engine:
        """The synchronous engine underneath, where statement events (e.g. query counting) are observed."""
        return self._sync_engine if self.sqlite else self._async_engine.sync_engine

    async def dispose(self) -> None:
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._async_engine is not None:
            await self._async_engine.dispose()


def _one_row(connection: Connection, statement: Executable, params: dict[str, Any]) -> Row | None:
    return connection.execute(statement, params).one_or_none()


def _is_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, (OSError, ConnectionError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    message = str(exc).lower()
    return any(marker in message for marker in ("unable to open database", "connection refused",
                                                 "could not connect", "connection was closed", "disk i/o error"))


def null_pool_engine(url: str) -> Engine:
    """A throw-away synchronous engine for SQLite migrations and tooling."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 30})
    _configure_sqlite(engine)
    return engine

"""Storage: one way for every service to touch the database, on SQLite and on PostgreSQL.

Services are plain synchronous functions `fn(session, *args)`; `Database.read` / `Database.write` run one of them
as a single unit of work holding a single connection:

* SQLite (the embedded default): a synchronous engine whose units of work run on a small thread pool, so a request
  costs one thread hand-off instead of one per statement (aiosqlite's way). Writes take `BEGIN IMMEDIATE` and queue
  on an in-process lock, so they never deadlock on a lock upgrade and never spin in SQLite's busy handler.
* PostgreSQL: an asyncpg engine; the same function runs through `AsyncConnection.run_sync`, SQLAlchemy's greenlet
  bridge, so statements await the driver without blocking the event loop or a thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator, Uuid

from .errors import ServiceUnavailable

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
        if self.sqlite:
            self._sync_engine = create_sqlite_engine(url, pool_size)
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

    async def _run(self, fn: Callable[..., R], args: tuple, *, write: bool) -> R:
        try:
            if self.sqlite:
                return await self._run_sqlite(fn, args, write)
            return await self._run_postgres(fn, args)
        except (OperationalError, OSError, ConnectionError) as exc:
            if _is_unreachable(exc):
                raise ServiceUnavailable() from exc
            raise

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
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._async_engine is not None:
            await self._async_engine.dispose()


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

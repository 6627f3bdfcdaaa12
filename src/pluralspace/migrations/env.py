"""Alembic environment: one history for SQLite (batch mode) and PostgreSQL (through asyncpg)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from pluralspace.kit.db import async_postgres_url, is_sqlite, null_pool_engine
from pluralspace.migrate import tracked_by_models
from pluralspace.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                      include_name=tracked_by_models)
    with context.begin_transaction():
        context.run_migrations()


async def _run_postgres(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(async_postgres_url(url), poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None, "pluralspace.migrate sets the URL of the database to migrate"
    if is_sqlite(url):
        engine = null_pool_engine(url)
        with engine.connect() as connection:
            _configure(connection)
        engine.dispose()
    else:
        asyncio.run(_run_postgres(url))


run_migrations_online()

"""The one migration history upgrades an empty database to head on both engines, and matches the models."""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from pluralspace.kit.db import Database, UTCDateTime
from pluralspace.migrate import alembic_config, tracked_by_models, upgrade
from pluralspace.models import Base

from .conftest import BACKENDS, POSTGRES_ENV, _postgres_admin, _with_database, service_url


def _schema_report(connection) -> tuple[list, set[str]]:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": tracked_by_models})
    return compare_metadata(context, Base.metadata), set(inspect(connection).get_table_names())


def test_empty_database_upgrades_to_head_and_matches_models(migrated):
    upgrade(migrated.database_url)  # idempotent: a second run is a no-op
    database = Database(migrated.database_url, pool_size=1)

    async def inspect_schema():
        try:
            return await database.read(lambda session: _schema_report(session.connection()))
        finally:
            await database.dispose()

    differences, tables = asyncio.run(inspect_schema())
    assert differences == []
    assert {"accounts", "systems", "credentials", "security_events", "alembic_version"} <= tables


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path) -> Iterator[str]:
    """A database of its own, at no revision yet (the session's database is at head already)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    base_url = service_url(POSTGRES_ENV)
    name = f"pluralspace_history_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_postgres_admin(base_url, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(base_url, name)
    finally:
        asyncio.run(_postgres_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run(url: str, fn):
    database = Database(url, pool_size=1)

    async def go():
        try:
            return await database.write(lambda session: fn(session.connection()))
        finally:
            await database.dispose()

    return asyncio.run(go())


# Typed columns, so uuids and times bind alike on both engines; members as they were at 0013.
ACCOUNTS = sa.table("accounts", sa.column("id", sa.Uuid()), sa.column("email", sa.String()),
                    sa.column("password_hash", sa.String()), sa.column("created_at", UTCDateTime()),
                    sa.column("updated_at", UTCDateTime()))
SYSTEMS = sa.table("systems", sa.column("uuid", sa.Uuid()), sa.column("hid", sa.String()),
                   sa.column("account_id", sa.Uuid()), sa.column("timezone", sa.String()),
                   sa.column("privacy", sa.JSON()), sa.column("created_at", UTCDateTime()),
                   sa.column("updated_at", UTCDateTime()))
MEMBERS_0013 = sa.table("members", sa.column("uuid", sa.Uuid()), sa.column("hid", sa.String()),
                        sa.column("system_uuid", sa.Uuid()), sa.column("name", sa.String()),
                        sa.column("roles", sa.JSON()), sa.column("proxy_tags", sa.JSON()),
                        sa.column("keep_proxy", sa.Boolean()), sa.column("is_custom_front", sa.Boolean()),
                        sa.column("archived", sa.Boolean()), sa.column("archived_at", UTCDateTime()),
                        sa.column("privacy", sa.JSON()), sa.column("created_at", UTCDateTime()),
                        sa.column("updated_at", UTCDateTime()))


def test_archived_becomes_archived_at_and_back(empty_database):
    """0015 keeps every member's archiving: one archived before archiving times were kept gets its last update."""
    url = empty_database
    upgrade(url, "0013")
    created, edited, archived = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC),
                                 datetime(2026, 3, 1, tzinfo=UTC))
    account, system = uuid.uuid4(), uuid.uuid4()
    legacy, stamped, active = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def seed(connection):
        connection.execute(ACCOUNTS.insert().values(id=account, email="history@example.com", password_hash="x",
                                                    created_at=created, updated_at=created))
        connection.execute(SYSTEMS.insert().values(uuid=system, hid="histor", account_id=account, timezone="UTC",
                                                   privacy={}, created_at=created, updated_at=created))
        connection.execute(MEMBERS_0013.insert(), [
            {"uuid": member, "hid": hid, "system_uuid": system, "name": hid, "roles": [], "proxy_tags": [],
             "keep_proxy": False, "is_custom_front": False, "archived": flag, "archived_at": at, "privacy": {},
             "created_at": created, "updated_at": edited}
            for member, hid, flag, at in ((legacy, "legacy", True, None), (stamped, "stampd", True, archived),
                                          (active, "active", False, None))])

    def archived_at(connection):
        rows = connection.execute(sa.select(MEMBERS_0013.c.uuid, MEMBERS_0013.c.archived_at))
        return dict(rows.all())

    _run(url, seed)
    upgrade(url)
    assert _run(url, archived_at) == {legacy: edited, stamped: archived, active: None}

    command.downgrade(alembic_config(url), "0013")

    def flags(connection):
        return dict(connection.execute(sa.select(MEMBERS_0013.c.uuid, MEMBERS_0013.c.archived)).all())

    assert _run(url, flags) == {legacy: True, stamped: True, active: False}

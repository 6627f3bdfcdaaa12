"""The one migration history upgrades an empty database to head on both engines, and matches the models."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from pluralspace.kit.db import Database
from pluralspace.migrate import tracked_by_models, upgrade
from pluralspace.models import Base


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

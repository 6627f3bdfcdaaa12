"""Applying the Alembic history programmatically (used by `serve`, `migrate` and the tests)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
UNMODELLED_TABLE_PREFIXES = ("journal_fts",)
"""Tables the migrations create outside the models (SQLite's FTS5 index and its shadow tables)."""


def tracked_by_models(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's include_name: leaves unmodelled tables out of autogenerate and schema comparison."""
    return not (type_ == "table" and name and name.startswith(UNMODELLED_TABLE_PREFIXES))


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrades the database; safe to call from inside a running event loop (it then uses a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(database_url), revision)
        return
    errors: list[BaseException] = []

    def run() -> None:
        try:
            command.upgrade(alembic_config(database_url), revision)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]

"""The `pluralspace` command."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from .config import ensure_data_dir, settings_from_env

app = typer.Typer(help="pluralspace: a self-hostable server for plural systems.", no_args_is_help=True)


def _prepare():
    # Whatever the server or SQLite creates from here on is the server's user's alone (0600 files, 0700 dirs).
    os.umask(0o077)
    settings = settings_from_env()
    ensure_data_dir(settings.data_dir)
    return settings


@app.command()
def migrate() -> None:
    """Apply database migrations up to the newest."""
    from .migrate import upgrade

    settings = _prepare()
    upgrade(settings.resolved_database_url)
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use 1 with SQLite).")] = 1,
) -> None:
    """Apply migrations, then serve the API."""
    import uvicorn

    from .kit.db import is_sqlite
    from .kit.metrics import MULTIPROCESS_DIR_ENV
    from .migrate import upgrade

    settings = _prepare()
    upgrade(settings.resolved_database_url)
    settings.with_secret()  # created once here, before workers start, so every worker reads the same key
    if workers > 1 and is_sqlite(settings.resolved_database_url):
        logging.getLogger("pluralspace").warning(
            "several workers on SQLite contend for one file; use PostgreSQL to scale out")
    with tempfile.TemporaryDirectory(prefix="pluralspace-metrics-") as metrics_dir:
        if workers > 1 and not os.environ.get(MULTIPROCESS_DIR_ENV):
            # Each worker counts into files there, and /metrics adds them up (kit/metrics.py).
            os.environ[MULTIPROCESS_DIR_ENV] = metrics_dir
        uvicorn.run("pluralspace.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level=settings.log_level, access_log=False, **settings.server_options())


@app.command()
def export(
    account: Annotated[str, typer.Option(help="The account's email.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write (made readable by you only).")],
    export_format: Annotated[str, typer.Option("--format", help="pluralspace or pluralkit.")] = "pluralspace",
) -> None:
    """Export an account's system to a file, as GET /api/v1/systems/@me/export does."""
    from .auth.principal import account_owner
    from .auth.schemas import normalize_email
    from .exports import service
    from .kit.db import Database

    writers = {"pluralspace": service.pluralspace_file, "pluralkit": service.pluralkit_file}
    if export_format not in writers:
        raise typer.BadParameter("must be pluralspace or pluralkit", param_hint="--format")
    settings = _prepare()

    async def write() -> bool:
        database = Database(settings.resolved_database_url, pool_size=2)
        try:
            owner = await database.read(account_owner, normalize_email(account))
            if owner is None:
                return False
            partial = output.with_name(output.name + ".partial")
            with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
                async for chunk in writers[export_format](database, owner):
                    file.write(chunk)
            partial.replace(output)
            return True
        finally:
            await database.dispose()

    if not asyncio.run(write()):
        typer.echo(f"no account with the email {account}", err=True)
        raise typer.Exit(1)
    typer.echo(f"written {output}")


@app.command()
def openapi() -> None:
    """Print the OpenAPI document."""
    from .app import create_app

    typer.echo(json.dumps(create_app(_prepare()).openapi(), indent=2))

"""The `pluralspace` command."""

from __future__ import annotations

import asyncio
import json
import logging
import logging.config
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from .admin.cli import admin_app
from .config import Settings, ensure_data_dir, settings_from_env

app = typer.Typer(help="pluralspace: a self-hostable server for plural systems.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


def _prepare() -> Settings:
    # Whatever the server or SQLite creates from here on is the server's user's alone (0600 files, 0700 dirs).
    os.umask(0o077)
    settings = settings_from_env()
    ensure_data_dir(settings.data_dir)
    return settings


def _checked_and_migrated() -> Settings:
    """Settings whose data dir and database can take writes, migrated; else one line on stderr and exit 1."""
    from .ops.preflight import CannotStart, check_and_migrate

    settings = settings_from_env()
    try:
        check_and_migrate(settings)
    except CannotStart as reason:
        typer.echo(f"pluralspace: cannot start: {reason}", err=True)
        raise typer.Exit(1) from None
    return settings


@app.command()
def migrate() -> None:
    """Apply database migrations up to the newest."""
    _checked_and_migrated()
    typer.echo("database is up to date")


def served_url(host: str, port: int) -> str:
    """The URL a browser on this machine opens for a server listening on host:port (any address: the loopback)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use 1 with SQLite).")] = 1,
) -> None:
    """Apply migrations, then serve the API."""
    import uvicorn

    from .kit.db import is_sqlite
    from .kit.logs import logging_config
    from .kit.metrics import MULTIPROCESS_DIR_ENV

    # Unless it is set, the base URL (cookies' Secure flag, links, OAuth's issuer) is where this serves; set in the
    # environment, so every worker process reads the same.
    os.environ.setdefault("PLURALSPACE_BASE_URL", served_url(host, port))
    settings = _checked_and_migrated()
    typer.echo(f"pluralspace: open {settings.base_url}/ in a browser")
    log_config = logging_config(settings.log_level, settings.log_format)
    logging.config.dictConfig(log_config)
    settings.with_secret()  # created once here, before workers start, so every worker reads the same key
    if workers > 1 and is_sqlite(settings.resolved_database_url):
        logging.getLogger("pluralspace").warning(
            "several workers on SQLite contend for one file; use PostgreSQL to scale out")
    with tempfile.TemporaryDirectory(prefix="pluralspace-metrics-") as metrics_dir:
        if workers > 1 and not os.environ.get(MULTIPROCESS_DIR_ENV):
            # Each worker counts into files there, and /metrics adds them up (kit/metrics.py).
            os.environ[MULTIPROCESS_DIR_ENV] = metrics_dir
        uvicorn.run("pluralspace.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_config=log_config, log_level=settings.log_level, access_log=False,
                    **settings.server_options())


@app.command()
def export(
    account: Annotated[str, typer.Option(help="The account's email.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write (made readable by you only).")],
    export_format: Annotated[str, typer.Option("--format", help="pluralspace or pluralkit.")] = "pluralspace",
) -> None:
    """Export an account's system to a file, as GET /api/v1/systems/@me/export does."""
    from . import audit
    from .accounts.schemas import normalize_email
    from .admin.service import OPERATOR_CLIENT
    from .auth.principal import account_owner
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
            await database.write(service.record_export, owner, export_format, OPERATOR_CLIENT, audit.OPERATOR)
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


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="The export file (JSON, or a zip holding it).", exists=True,
                                         dir_okay=False, readable=True)],
    account: Annotated[str, typer.Option(help="The account's email.")],
    import_format: Annotated[str, typer.Option("--format", help="auto, or one of the formats (see docs/IMPORTS.md).")
                             ] = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would change, change nothing.")] = False,
) -> None:
    """Import a file into an account's system, as POST /api/v1/systems/@me/imports does (same engine, same report)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from .accounts.schemas import normalize_email
    from .auth.principal import account_owner
    from .imports.apply import Report
    from .imports.formats.common import SourceError
    from .imports.plan import Plan
    from .imports.service import Importer
    from .imports.source import FORMAT_NAMES
    from .kit.db import Database
    from .kit.storage import storage_for
    from .media.service import ImageTarget

    if import_format not in FORMAT_NAMES:
        raise typer.BadParameter(f"must be one of {', '.join(FORMAT_NAMES)}", param_hint="--format")
    settings = _prepare()
    console = Console(stderr=True)

    async def run() -> tuple[Plan, Report] | None:
        database = Database(settings.resolved_database_url, pool_size=2)
        try:
            owner = await database.read(account_owner, normalize_email(account))
            if owner is None:
                return None
            columns = (TextColumn("importing"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task("import", total=1.0)
                media = storage_for(settings)
                importer = Importer(database, settings.max_import_bytes, media, ImageTarget.of(settings, media))
                return await importer.run(
                    owner.system_uuid, file, import_format, dry_run, lambda done: bar.update(task, completed=done))
        finally:
            await database.dispose()

    try:
        outcome = asyncio.run(run())
    except SourceError as refused:
        where = refused.path or (f"line {refused.line}, column {refused.column}" if refused.line else "")
        typer.echo(f"refused, nothing changed: {refused.message}" + (f" (at {where})" if where else ""), err=True)
        raise typer.Exit(1) from None
    if outcome is None:
        typer.echo(f"no account with the email {account}", err=True)
        raise typer.Exit(1)
    plan, report = outcome
    counts = Table("kind", "created", "updated", "unchanged",
                   title=f"{plan.format}{' (dry run: nothing was changed)' if dry_run else ''}")
    for kind, numbers in report.counts.items():
        counts.add_row(kind, *(str(numbers[key]) for key in ("created", "updated", "unchanged")))
    out = Console()
    out.print(counts)
    for warning in report.warnings:
        out.print(f"warning ({warning['count']}x): {warning['message']}", markup=False)


@app.command()
def backup(output: Annotated[Path, typer.Option("--output", "-o", help="The file to write (readable by you only).")]
           ) -> None:
    """Copy the SQLite database to a file, consistently, while the server keeps serving (PostgreSQL: pg_dump)."""
    from .ops import backup as backups

    try:
        backups.backup(_prepare().resolved_database_url, output)
    except backups.BackupError as refused:
        typer.echo(f"no backup: {refused}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"written {output}")


@app.command()
def restore(backup_file: Annotated[Path, typer.Argument(help="A file from `pluralspace backup`.")],
            yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False) -> None:
    """Check a backup, then replace the database's content with it (and migrate it to this version's schema)."""
    from .ops import backup as backups

    settings = _prepare()
    try:
        backups.check_backup(backup_file)
        if not yes:
            typer.confirm(f"Replace everything in {settings.resolved_database_url} with {backup_file}?", abort=True)
        backups.restore(settings.resolved_database_url, backup_file)
    except backups.BackupError as refused:
        typer.echo(f"not restored: {refused}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"restored {backup_file}")


@app.command()
def openapi() -> None:
    """Print the OpenAPI document."""
    from .app import create_app

    typer.echo(json.dumps(create_app(_prepare()).openapi(), indent=2))

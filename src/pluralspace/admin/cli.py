"""`pluralspace admin ...`: the administration API's actions at the server's command line, with tables.

The commands run on the database directly, with the server's own authority (no admin token), through the same
services as `/api/v1/admin`; each is an audit record whose actor is `operator`. The services are imported inside the
commands: `pluralspace` (and so every `serve` worker process) loads this module, and must start fast.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ..config import Settings, ensure_data_dir, settings_from_env

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.orm import Session

    from ..audit.security_log import Client
    from .schemas import AdminAccountDetail, AuditEventOut

T = TypeVar("T")

admin_app = typer.Typer(help="Administer this server: accounts, invitations, the audit log.", no_args_is_help=True)
accounts_app = typer.Typer(help="Find, disable, restore and delete accounts.", no_args_is_help=True)
invites_app = typer.Typer(help="Single-use invitation codes (PLURALSPACE_REGISTRATION=invite).", no_args_is_help=True)
admin_app.add_typer(accounts_app, name="accounts")
admin_app.add_typer(invites_app, name="invites")


def _page_size(value: int) -> int:
    from ..kit.pagination import MAX_LIMIT

    if not 1 <= value <= MAX_LIMIT:
        raise typer.BadParameter(f"must be 1 to {MAX_LIMIT}")
    return value


Limit = Annotated[int, typer.Option(callback=_page_size, help="How many rows, newest first (at most 200).")]
AccountRef = Annotated[str, typer.Argument(help="The account's email or id.")]


def _settings() -> Settings:
    settings = settings_from_env()
    ensure_data_dir(settings.data_dir)
    return settings.with_secret()


def run(settings: Settings, work: Callable[[Session, str, Client], T]) -> T:
    """Runs `work(session, actor, client)` as one write (every command records itself in the audit log, as the
    operator at the command line); an ApiError (no such account, a conflict) is printed and ends the command with
    status 1."""
    from ..audit import OPERATOR
    from ..kit.db import Database
    from ..kit.errors import ApiError
    from .service import OPERATOR_CLIENT

    async def go() -> T:
        database = Database(settings.resolved_database_url, pool_size=2)
        try:
            return await database.write(work, OPERATOR, OPERATOR_CLIENT)
        finally:
            await database.dispose()

    try:
        return asyncio.run(go())
    except ApiError as refused:
        typer.echo(refused.message, err=True)
        raise typer.Exit(1) from None


def _when(moment: datetime | None) -> str:
    from ..kit.timeutil import format_timestamp

    return format_timestamp(moment) if moment else "-"


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[str(cell) if cell is not None else "-" for cell in row])
    Console().print(table)  # made now, so it measures the terminal (or COLUMNS) of this run


def _account_rows(detail: AdminAccountDetail) -> list[list[Any]]:
    facts: list[tuple[str, object]] = [
        ("id", detail.id), ("email", detail.email), ("system", f"{detail.system_id} ({detail.system_uuid})"),
        ("created", _when(detail.created_at)), ("last login", _when(detail.last_login_at)),
        ("status", "disabled" if detail.disabled else "active")]
    if detail.disabled:
        facts += [("disabled at", _when(detail.disabled_at)), ("reason", detail.disabled_reason)]
    facts += [(name.replace("_", " "), value) for name, value in detail.usage.model_dump().items()]
    return [list(fact) for fact in facts]


def _resolve(session: Session, ref: str) -> uuid.UUID:
    from .service import find_account_id

    return find_account_id(session, ref)


# --- accounts ------------------------------------------------------------------------------------------------------

@accounts_app.command("list")
def accounts_list(search: Annotated[str | None, typer.Option("--search", "-q", help="Part of an email, or an "
                                                              "account id, system id or system uuid.")] = None,
                  limit: Limit = 50) -> None:
    """List accounts, newest first."""
    from ..kit.pagination import PageRequest
    from .service import list_accounts

    found, more = run(_settings(), lambda s, actor, client: list_accounts(s, search, PageRequest(limit, None),
                                                                          actor, client))
    _table("Accounts", ["id", "email", "system", "created", "status"],
           [[a.id, a.email, a.system_id, _when(a.created_at), "disabled" if a.disabled else "active"] for a in found])
    if more:
        typer.echo(f"(more than {limit}; use --limit or --search)")


@accounts_app.command("show")
def accounts_show(account: AccountRef) -> None:
    """An account: its system, last login, status and how much it holds."""
    from .service import get_account

    detail = run(_settings(), lambda s, actor, client: get_account(s, _resolve(s, account), actor, client))
    _table(f"Account {detail.email}", ["", ""], _account_rows(detail))


@accounts_app.command("disable")
def accounts_disable(account: AccountRef,
                     reason: Annotated[str, typer.Option(help="Why (kept with the account, in the audit log).")],
                     ) -> None:
    """Disable an account: its tokens are refused and its system is hidden at once; nothing is deleted."""
    from .service import disable_account

    if not reason.strip() or len(reason) > 500:
        raise typer.BadParameter("give a reason of 1 to 500 characters", param_hint="--reason")
    detail = run(_settings(), lambda s, actor, client: disable_account(s, _resolve(s, account), reason, actor,
                                                                       client))
    typer.echo(f"disabled {detail.email}")


@accounts_app.command("restore")
def accounts_restore(account: AccountRef) -> None:
    """Restore a disabled account as it was."""
    from .service import restore_account

    detail = run(_settings(), lambda s, actor, client: restore_account(s, _resolve(s, account), actor, client))
    typer.echo(f"restored {detail.email}")


@accounts_app.command("delete")
def accounts_delete(account: AccountRef,
                    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False) -> None:
    """Delete an account, its system and all its data. This cannot be undone."""
    from .service import delete_account

    if not yes:
        typer.confirm(f"Delete {account} and all of its data for good?", abort=True)
    run(_settings(), lambda s, actor, client: delete_account(s, _resolve(s, account), actor, client))
    typer.echo(f"deleted {account}")


# --- invitations ---------------------------------------------------------------------------------------------------

@invites_app.command("create")
def invites_create(days: Annotated[int, typer.Option(min=1, max=365, help="Days until it expires.")] = 7,
                   note: Annotated[str | None, typer.Option(help="Who it is for (for you).")] = None) -> None:
    """Make a single-use invitation code; the code is shown now only."""
    from ..accounts.invites import create_invite
    from ..accounts.schemas import InviteCreate

    settings = _settings()
    spec = InviteCreate(expires_at=datetime.now(UTC) + timedelta(days=days), note=note)
    created = run(settings, lambda s, actor, client: create_invite(s, settings.secret_key, settings.base_url, spec,
                                                                   actor, client))
    typer.echo(f"code: {created.code}\nlink: {created.url}\nexpires: {_when(created.expires_at)}")
    if not settings.registration_needs_invite:
        typer.echo(f"note: PLURALSPACE_REGISTRATION is {settings.registration}, not invite", err=True)


@invites_app.command("list")
def invites_list(limit: Limit = 50) -> None:
    """Invitations, newest first (their codes are not kept)."""
    from ..accounts.invites import list_invites
    from ..kit.pagination import PageRequest

    found, _ = run(_settings(), lambda s, actor, client: list_invites(s, PageRequest(limit, None), actor, client))
    _table("Invitations", ["id", "status", "note", "created", "expires", "used by"],
           [[i.id, i.status, i.note, _when(i.created_at), _when(i.expires_at), i.used_by] for i in found])


@invites_app.command("revoke")
def invites_revoke(invite_id: Annotated[str, typer.Argument(help="The invitation's id.")]) -> None:
    """Revoke an invitation."""
    from ..accounts.invites import revoke_invite
    from ..kit.ids import parse_uuid

    key = parse_uuid(invite_id)
    if key is None:
        raise typer.BadParameter("must be an id (a UUID)", param_hint="INVITE_ID")
    run(_settings(), lambda s, actor, client: revoke_invite(s, key, actor, client))
    typer.echo(f"revoked {invite_id}")


# --- the audit log and password resets -----------------------------------------------------------------------------

_RELATIVE = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str) -> datetime:
    """`30m`, `12h`, `7d` (that long ago), or an ISO 8601 time (UTC when it names no offset)."""
    relative = _RELATIVE.match(value.strip())
    if relative:
        return datetime.now(UTC) - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter("give 30m, 12h, 7d or an ISO 8601 time", param_hint="--since") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@admin_app.command("audit")
def audit_log(account: Annotated[str | None, typer.Option(help="Only records about this account (email or id; "
                                                           "the id also finds a deleted account's).")] = None,
              since: Annotated[str | None, typer.Option(help="30m, 12h, 7d or an ISO 8601 time.")] = None,
              kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. login_failed.")] = None,
              limit: Limit = 50) -> None:
    """The instance's audit log, newest first."""
    from ..audit import AuditFilter
    from ..kit.ids import parse_uuid
    from ..kit.pagination import PageRequest
    from .service import find_account_id, list_audit

    since_at = parse_since(since) if since else None

    def read(session: Session, actor: str, client: Client) -> tuple[list[AuditEventOut], str | None]:
        account_id = (parse_uuid(account) or find_account_id(session, account)) if account else None
        wanted = AuditFilter(account_id=account_id, kind=kind, since=since_at)
        return list_audit(session, wanted, PageRequest(limit, None), actor, client)

    events, _ = run(_settings(), read)
    _table("Audit log", ["time", "kind", "actor", "account", "address", "detail"],
           [[_when(e.created_at), e.kind, e.actor, e.account_id, e.ip, _detail(e.detail)] for e in events])


def _detail(detail: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in detail.items())


@admin_app.command("reset-link")
def reset_link(email: Annotated[str, typer.Argument(help="The account's email.")]) -> None:
    """Print a single-use link, valid for an hour, whose page sets a new password (and ends every session)."""
    from ..accounts.resets import create_reset_link

    settings = _settings()
    link = run(settings, lambda s, actor, client: create_reset_link(s, settings.secret_key, settings.base_url,
                                                                    _resolve(s, email), actor, client))
    typer.echo(link)

"""The administrator's rules: finding, disabling, restoring and deleting accounts, and the instance overview.

Every function records what the administrator did in the audit log, in the same transaction (reads included:
looking at an account is an event of its own). `actor` is `audit.ADMIN` for the API, `audit.OPERATOR` for the
command line.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from .. import API_VERSION, __version__, audit
from ..accounts import service as auth_service
from ..audit import security_log
from ..audit.models import AuditEvent, SecurityEvent
from ..audit.security_log import Client
from ..fronts.models import Front
from ..groups.models import Group
from ..identity.account import Account
from ..identity.credential import OAUTH, PAT, SESSION, Credential
from ..identity.system import System
from ..journal.models import JournalEntry
from ..kit.errors import Conflict, NotFound
from ..kit.ids import normalize_short_id, parse_uuid
from ..kit.pagination import PageRequest, keyset_page
from ..kit.timeutil import utcnow
from ..members.models import Member
from .schemas import AccountUsage, AdminAccountDetail, AdminAccountOut, AuditEventOut, Counts, Overview

OPERATOR_CLIENT = Client(ip=None, user_agent="pluralspace command line")
"""Where a command-line action comes from, for the logs."""


def account_out(account: Account, system: System) -> AdminAccountOut:
    return AdminAccountOut(
        id=str(account.id), email=account.email, system_id=system.hid, system_uuid=str(system.uuid),
        created_at=account.created_at, updated_at=account.updated_at, disabled=account.disabled_at is not None,
        disabled_at=account.disabled_at, disabled_reason=account.disabled_reason)


def audit_event_out(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(id=str(event.id), kind=event.kind, actor=event.actor,
                         account_id=str(event.account_id) if event.account_id else None, ip=event.ip,
                         user_agent=event.user_agent, request_id=event.request_id, detail=event.detail,
                         created_at=event.created_at)


def _search(q: str) -> ColumnElement[bool]:
    """Accounts whose email contains `q`, or whose account id, system id or system uuid is `q`."""
    needle = q.strip().lower()
    matches = [Account.email.contains(needle, autoescape=True)]
    key = parse_uuid(needle)
    if key is not None:
        matches += [Account.id == key, System.uuid == key]
    hid = normalize_short_id(needle)
    if hid is not None:
        matches.append(System.hid == hid)
    return or_(*matches)


def list_accounts(session: Session, q: str | None, request: PageRequest, actor: str,
                  client: Client) -> tuple[list[AdminAccountOut], str | None]:
    query = select(Account, System).join(System, System.account_id == Account.id)
    if q:
        query = query.where(_search(q))
    rows, cursor = keyset_page(query, [Account.created_at, Account.id], request, descending=True, session=session,
                               row_key=lambda row: (row[0].created_at, row[0].id))
    audit.record(session, "admin_accounts_listed", actor, client, searched=bool(q))
    return [account_out(account, system) for account, system in rows], cursor


def _account(session: Session, account_id: uuid.UUID) -> tuple[Account, System]:
    found = session.execute(select(Account, System).join(System, System.account_id == Account.id)
                            .where(Account.id == account_id)).one_or_none()
    if found is None:
        raise NotFound("No such account.")
    return found[0], found[1]


def _count(session: Session, query: Select[Any]) -> int:
    count: int = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    return count


def _usage(session: Session, account_id: uuid.UUID, system_uuid: uuid.UUID) -> AccountUsage:
    now = utcnow()
    live = select(Credential).where(Credential.account_id == account_id, Credential.revoked_at.is_(None),
                                    or_(Credential.expires_at.is_(None), Credential.expires_at > now))
    # A session lives on through its refresh token after its access token expired.
    live_sessions = select(Credential.family_id).where(
        Credential.account_id == account_id, Credential.kind == SESSION, Credential.revoked_at.is_(None),
        or_(Credential.refresh_expires_at.is_(None), Credential.refresh_expires_at > now)).distinct()
    live_apps = select(Credential.client_id).where(
        Credential.account_id == account_id, Credential.kind == OAUTH, Credential.revoked_at.is_(None),
        or_(Credential.refresh_expires_at > now, Credential.expires_at > now)).distinct()
    return AccountUsage(
        members=_count(session, select(Member.uuid).where(Member.system_uuid == system_uuid)),
        groups=_count(session, select(Group.uuid).where(Group.system_uuid == system_uuid)),
        fronts=_count(session, select(Front.id).where(Front.system_uuid == system_uuid)),
        journal_entries=_count(session, select(JournalEntry.id).where(JournalEntry.system_uuid == system_uuid)),
        active_sessions=_count(session, live_sessions),
        active_tokens=_count(session, live.where(Credential.kind == PAT)),
        authorized_apps=_count(session, live_apps),
    )


def _detail(session: Session, account: Account, system: System) -> AdminAccountDetail:
    last_login = session.execute(select(func.max(SecurityEvent.created_at)).where(
        SecurityEvent.account_id == account.id, SecurityEvent.kind == "login")).scalar_one()
    return AdminAccountDetail(**account_out(account, system).model_dump(), last_login_at=last_login,
                              usage=_usage(session, account.id, system.uuid))


def get_account(session: Session, account_id: uuid.UUID, actor: str, client: Client) -> AdminAccountDetail:
    account, system = _account(session, account_id)
    audit.record(session, "admin_account_viewed", actor, client, account.id)
    return _detail(session, account, system)


def find_account_id(session: Session, email_or_id: str) -> uuid.UUID:
    """For the command line, which names accounts by email or id."""
    key = parse_uuid(email_or_id)
    condition = Account.id == key if key is not None else Account.email == email_or_id.strip().lower()
    found = session.execute(select(Account.id).where(condition)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No account {email_or_id}.")
    return found


def disable_account(session: Session, account_id: uuid.UUID, reason: str, actor: str,
                    client: Client) -> AdminAccountDetail:
    """Every credential of the account is refused from now on and its system is hidden; nothing is deleted."""
    account, system = _account(session, account_id)
    if account.disabled_at is not None:
        raise Conflict("already_disabled", "The account is disabled already.")
    account.disabled_at, account.disabled_reason = utcnow(), reason
    security_log.record(session, account.id, "account_disabled", client, actor=actor, reason=reason)
    return _detail(session, account, system)


def restore_account(session: Session, account_id: uuid.UUID, actor: str, client: Client) -> AdminAccountDetail:
    account, system = _account(session, account_id)
    if account.disabled_at is None:
        raise Conflict("not_disabled", "The account is not disabled.")
    account.disabled_at, account.disabled_reason = None, None
    security_log.record(session, account.id, "account_restored", client, actor=actor)
    return _detail(session, account, system)


def delete_account(session: Session, account_id: uuid.UUID, actor: str, client: Client) -> None:
    _account(session, account_id)
    auth_service.delete_account(session, account_id, actor, client)


def _database_size(session: Session) -> int:
    if session.get_bind().dialect.name == "sqlite":
        pages: int = session.execute(text("PRAGMA page_count")).scalar_one()
        page_size: int = session.execute(text("PRAGMA page_size")).scalar_one()
        return pages * page_size
    size: int = session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return size


def overview(session: Session, registration: str, started_at: datetime, actor: str, client: Client) -> Overview:
    def count(column: InstrumentedAttribute[Any]) -> int:
        return session.execute(select(func.count(column))).scalar_one()

    counts = Counts(
        accounts=count(Account.id),
        disabled_accounts=session.execute(select(func.count(Account.id))
                                          .where(Account.disabled_at.is_not(None))).scalar_one(),
        systems=count(System.uuid), members=count(Member.uuid), fronts=count(Front.id),
        journal_entries=count(JournalEntry.id))
    audit.record(session, "admin_overview_viewed", actor, client)
    now = utcnow()
    return Overview(counts=counts,
                    database={"engine": session.get_bind().dialect.name, "size_bytes": _database_size(session)},
                    version=__version__, api_version=API_VERSION, registration=registration, started_at=started_at,
                    uptime_seconds=int((now - started_at).total_seconds()))


def list_audit(session: Session, wanted: audit.AuditFilter, request: PageRequest, actor: str,
               client: Client) -> tuple[list[AuditEventOut], str | None]:
    events, cursor = audit.list_events(session, wanted, request)
    audit.record(session, "admin_audit_listed", actor, client)
    return [audit_event_out(event) for event in events], cursor


def get_audit(session: Session, event_id: uuid.UUID, actor: str, client: Client) -> AuditEventOut:
    event = audit.get_event(session, event_id)
    audit.record(session, "admin_audit_viewed", actor, client, audit_id=str(event_id))
    return audit_event_out(event)

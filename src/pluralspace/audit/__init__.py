"""The instance's audit log: one append-only record per security-relevant event, for the administrator.

Events that concern an account's credentials are recorded through `audit.security_log.record`, which writes the
owner's security log and this log in one call; events with no owner to show them to (admin actions, refused admin
tokens, invitations, a deleted account) are recorded here directly. A record names who acted, the account concerned,
the address, the request id and a small `detail`, never token text, passwords or anything a system wrote.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from ..kit.context import current_request_id
from ..kit.errors import NotFound
from ..kit.pagination import PageRequest, keyset_page
from ..kit.tasks import Every
from ..kit.timeutil import utcnow
from .models import AuditEvent

if TYPE_CHECKING:
    from ..kit.db import Database
    from .security_log import Client

log = logging.getLogger(__name__)

# Who acted.
ACCOUNT = "account"  # the account itself, signed in
ANONYMOUS = "anonymous"  # someone not (yet) signed in: a failed login, a replayed refresh token
APP = "app"  # an OAuth app, on its own authority (revoking its tokens)
ADMIN = "admin"  # the holder of the admin token
OPERATOR = "operator"  # someone at the server's command line (`pluralspace admin ...`)
ACTORS = (ACCOUNT, ANONYMOUS, APP, ADMIN, OPERATOR)


def record(session: Session, kind: str, actor: str, client: Client | None, account_id: uuid.UUID | None = None,
           **detail: Any) -> None:
    session.add(AuditEvent(
        kind=kind, actor=actor, account_id=account_id, ip=client.ip if client else None,
        user_agent=((client.user_agent or "")[:256] or None) if client else None,
        request_id=current_request_id() or None, detail=detail, created_at=utcnow(),
    ))


@dataclass(frozen=True)
class AuditFilter:
    account_id: uuid.UUID | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(session: Session, wanted: AuditFilter, request: PageRequest) -> tuple[list[AuditEvent], str | None]:
    """Newest first; `since` inclusive, `until` exclusive."""
    query = select(AuditEvent)
    if wanted.account_id is not None:
        query = query.where(AuditEvent.account_id == wanted.account_id)
    if wanted.kind is not None:
        query = query.where(AuditEvent.kind == wanted.kind)
    if wanted.since is not None:
        query = query.where(AuditEvent.created_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEvent.created_at < wanted.until)
    rows, cursor = keyset_page(query, [AuditEvent.created_at, AuditEvent.id], request, descending=True,
                               session=session, row_key=lambda row: (row[0].created_at, row[0].id))
    return [row[0] for row in rows], cursor


def get_event(session: Session, event_id: uuid.UUID) -> AuditEvent:
    event = session.get(AuditEvent, event_id)
    if event is None:
        raise NotFound("No such audit record.")
    return event


def prune(session: Session, retention_days: int) -> int:
    """Removes the records older than the retention; 0 days keeps everything. Returns how many went."""
    if retention_days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=retention_days)
    # A DELETE answers with a cursor result, which has the row count.
    result = cast(CursorResult[Any], session.execute(delete(AuditEvent).where(AuditEvent.created_at < cutoff)))
    return result.rowcount or 0


class Retention:
    """Removes audit records past the retention: at start, then every `every` seconds, off the request path."""

    def __init__(self, database: Database, retention_days: int, every: float = 3600.0) -> None:
        self._database = database
        self._days = retention_days
        self._loop = Every("audit-retention", every, self._prune)

    def start(self) -> None:
        if self._days > 0:
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _prune(self) -> None:
        removed = await self._database.write(prune, self._days)
        if removed:
            log.info("removed %d audit records older than %d days", removed, self._days)

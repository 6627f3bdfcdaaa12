"""Writes and reads the security log: logins, failed logins, credentials granted and revoked.

Each event is also a record of the instance's audit log (`audit/__init__.py`): one call writes both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from .. import audit
from ..kit.pagination import PageRequest, keyset_page
from ..kit.timeutil import utcnow
from .models import SecurityEvent


@dataclass(frozen=True)
class Client:
    """Where a request came from, as recorded in the log."""

    ip: str | None
    user_agent: str | None


def record(session: Session, account_id: uuid.UUID, kind: str, client: Client, actor: str = audit.ACCOUNT,
           **detail: Any) -> None:
    """An event on the account's credentials, for its owner (`GET /me/security-log`) and the administrator.
    `actor` says who acted when it was not the account itself (see `audit.ACTORS`)."""
    session.add(SecurityEvent(
        account_id=account_id, kind=kind, ip=client.ip, user_agent=(client.user_agent or "")[:256] or None,
        detail=detail, created_at=utcnow(),
    ))
    audit.record(session, kind, actor, client, account_id, **detail)


def list_events(session: Session, account_id: uuid.UUID,
                request: PageRequest) -> tuple[list[SecurityEvent], str | None]:
    query = select(SecurityEvent).where(SecurityEvent.account_id == account_id)
    rows, cursor = keyset_page(query, [SecurityEvent.created_at, SecurityEvent.id], request, descending=True,
                               session=session, row_key=lambda row: (row[0].created_at, row[0].id))
    return [row[0] for row in rows], cursor


def client_of(request: HTTPConnection) -> Client:
    return Client(ip=request.client.host if request.client else None,
                  user_agent=request.headers.get("user-agent"))

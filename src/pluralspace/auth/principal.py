"""Who is calling: resolving a bearer token to a principal, in one indexed look-up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kit.timeutil import utcnow
from ..systems.models import System
from ..tokens.models import SESSION, Credential
from . import scopes as scope_set


@dataclass(frozen=True)
class Principal:
    credential_id: uuid.UUID
    kind: str
    account_id: uuid.UUID
    system_uuid: uuid.UUID
    system_hid: str
    scopes: frozenset[str]
    granted: tuple[str, ...]
    family_id: uuid.UUID
    client_id: str | None
    last_used_at: datetime | None

    def holds(self, scope: str) -> bool:
        return scope in self.scopes

    def owns(self, system_uuid: uuid.UUID) -> bool:
        return self.system_uuid == system_uuid


def resolve_access_token(session: Session, access_hash: str) -> Principal | None:
    row = session.execute(
        select(Credential.id, Credential.kind, Credential.account_id, Credential.scopes, Credential.expires_at,
               Credential.revoked_at, Credential.family_id, Credential.client_id, Credential.last_used_at,
               System.uuid, System.hid)
        .join(System, System.account_id == Credential.account_id)
        .where(Credential.access_hash == access_hash)
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    granted = scope_set.parse(row.scopes)
    effective = scope_set.SESSION_SCOPES if row.kind == SESSION else scope_set.expand(granted)
    return Principal(
        credential_id=row.id, kind=row.kind, account_id=row.account_id, system_uuid=row.uuid,
        system_hid=row.hid, scopes=effective, granted=tuple(sorted(effective if row.kind == SESSION else granted)),
        family_id=row.family_id, client_id=row.client_id, last_used_at=row.last_used_at,
    )

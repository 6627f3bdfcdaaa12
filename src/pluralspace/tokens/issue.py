"""Minting credentials: the token text goes to the caller once; only keyed hashes are stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..identity.credential import SESSION, Credential
from ..kit.crypto import REFRESH_PREFIX, SESSION_PREFIX, generate_token, token_hash
from ..kit.timeutil import utcnow


@dataclass(frozen=True)
class IssuedSession:
    access_token: str
    refresh_token: str
    expires_in: int
    family_id: uuid.UUID


def issue_session(session: Session, secret_key: str, account_id: uuid.UUID, access_ttl: int, refresh_ttl: int,
                  family_id: uuid.UUID | None = None) -> IssuedSession:
    access, refresh = generate_token(SESSION_PREFIX), generate_token(REFRESH_PREFIX)
    now = utcnow()
    credential = Credential(
        kind=SESSION, account_id=account_id, family_id=family_id or uuid.uuid4(),
        access_hash=token_hash(secret_key, access), refresh_hash=token_hash(secret_key, refresh),
        scopes="*", created_at=now, expires_at=now + timedelta(seconds=access_ttl),
        refresh_expires_at=now + timedelta(seconds=refresh_ttl),
    )
    session.add(credential)
    session.flush()
    return IssuedSession(access, refresh, access_ttl, credential.family_id)


def revoke_family(session: Session, family_id: uuid.UUID, reason: str, now: datetime | None = None) -> None:
    session.execute(
        update(Credential)
        .where(Credential.family_id == family_id, Credential.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoke_reason=reason)
    )


def revoke_sessions_except(session: Session, account_id: uuid.UUID, keep_family: uuid.UUID, reason: str) -> None:
    families = session.execute(
        select(Credential.family_id).where(Credential.account_id == account_id, Credential.kind == SESSION,
                                           Credential.revoked_at.is_(None), Credential.family_id != keep_family)
    ).scalars().all()
    for family_id in set(families):
        revoke_family(session, family_id, reason)

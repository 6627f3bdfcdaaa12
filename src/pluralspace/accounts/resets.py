"""Password resets without e-mail: the administrator makes a single-use link (`pluralspace admin reset-link`), valid
for an hour, and hands it to the person; its page sets a new password and ends every login session.

Only a keyed hash of the link's token is stored; making a new link or using one voids the account's other links.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..audit import security_log
from ..audit.security_log import Client
from ..auth.principal import NO_CREDENTIAL
from ..identity.account import Account
from ..kit.crypto import token_hash
from ..kit.timeutil import utcnow
from ..tokens.issue import revoke_sessions_except
from .models import PasswordReset

LIFETIME = timedelta(hours=1)
PATH = "/reset-password"


def _void_open_links(session: Session, account_id: uuid.UUID) -> None:
    now = utcnow()
    session.execute(update(PasswordReset).where(PasswordReset.account_id == account_id,
                                                PasswordReset.used_at.is_(None)).values(used_at=now))


def create_reset_link(session: Session, secret_key: str, base_url: str, account_id: uuid.UUID, actor: str,
                      client: Client) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    _void_open_links(session, account_id)
    session.add(PasswordReset(account_id=account_id, token_hash=token_hash(secret_key, token), created_at=now,
                              expires_at=now + LIFETIME))
    security_log.record(session, account_id, "password_reset_link_created", client, actor=actor)
    return f"{base_url}{PATH}/{token}"


def find_reset(session: Session, secret_key: str, token: str) -> uuid.UUID | None:
    """The account a live (unused, unexpired) link is for; None for anything else."""
    return session.execute(select(PasswordReset.account_id).where(
        PasswordReset.token_hash == token_hash(secret_key, token), PasswordReset.used_at.is_(None),
        PasswordReset.expires_at > utcnow())).scalar_one_or_none()


def use_reset(session: Session, secret_key: str, token: str, password_hash: str, client: Client) -> bool:
    """Sets the new password once; False when the link is not live (used, expired, unknown)."""
    account_id = find_reset(session, secret_key, token)
    if account_id is None:
        return False
    _void_open_links(session, account_id)
    account = session.get(Account, account_id)
    assert account is not None, "a live reset link belongs to an account (deleting the account deletes its links)"
    account.password_hash, account.updated_at = password_hash, utcnow()
    # Whoever knew the old password may hold a session: none survives.
    revoke_sessions_except(session, account_id, NO_CREDENTIAL, "password_reset")
    security_log.record(session, account_id, "password_reset", client)
    return True

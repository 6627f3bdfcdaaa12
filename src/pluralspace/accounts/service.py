"""Accounts and login sessions: registration, login, refresh rotation, logout, account changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..audit import security_log
from ..audit.security_log import Client
from ..identity.account import Account
from ..identity.credential import SESSION, Credential
from ..identity.system import System
from ..kit.errors import AccountDisabled, Conflict, Unauthenticated, ValidationFailed
from ..kit.timeutil import utcnow
from ..oauth.models import OAuthClient
from ..systems.service import create_system, system_out
from ..tokens.issue import IssuedSession, issue_session, revoke_family, revoke_sessions_except
from .invites import consume_invite
from .schemas import AccountOut, RegisteredOut, TokenPair


@dataclass(frozen=True)
class SessionPolicy:
    secret_key: str
    access_ttl: int
    refresh_ttl: int


def _account_out(account: Account, system: System) -> AccountOut:
    return AccountOut(id=str(account.id), email=account.email, system_id=system.hid,
                      created_at=account.created_at, updated_at=account.updated_at)


def _pair(issued: IssuedSession) -> TokenPair:
    return TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token,
                     expires_in=issued.expires_in)


def register(session: Session, email: str, password_hash: str, system_name: str | None,
             client: Client, invite_code_hash: str | None = None) -> RegisteredOut:
    """With `invite_code_hash` (registration by invitation) the invitation is used up in the same transaction."""
    if session.execute(select(Account.id).where(Account.email == email)).first() is not None:
        raise Conflict("email_taken", "An account with this email exists.")
    now = utcnow()
    account = Account(email=email, password_hash=password_hash, created_at=now, updated_at=now)
    session.add(account)
    session.flush()
    if invite_code_hash is not None:
        consume_invite(session, invite_code_hash, account.id, client)
    system = create_system(session, account.id, system_name)
    session.flush()
    security_log.record(session, account.id, "account_created", client)
    return RegisteredOut(**_account_out(account, system).model_dump(), system=system_out(system, owner=True))


@dataclass(frozen=True)
class StoredLogin:
    account_id: uuid.UUID
    password_hash: str


def find_login(session: Session, email: str) -> StoredLogin | None:
    row = session.execute(select(Account.id, Account.password_hash).where(Account.email == email)).one_or_none()
    return StoredLogin(row.id, row.password_hash) if row else None


def record_failed_login(session: Session, account_id: uuid.UUID, client: Client) -> None:
    security_log.record(session, account_id, "login_failed", client, actor=audit.ANONYMOUS)


def start_session(session: Session, policy: SessionPolicy, account_id: uuid.UUID, client: Client,
                  new_password_hash: str | None) -> TokenPair:
    account = session.get_one(Account, account_id)
    refuse_disabled(account)
    if new_password_hash:
        account.password_hash = new_password_hash
    issued = issue_session(session, policy.secret_key, account_id, policy.access_ttl, policy.refresh_ttl)
    security_log.record(session, account_id, "login", client, session_family=str(issued.family_id))
    return _pair(issued)


def refresh_session(session: Session, policy: SessionPolicy, refresh_hash: str,
                    client: Client) -> TokenPair | Unauthenticated:
    """Rotates a refresh token. A refused refresh is returned, not raised, when its revocations must be kept."""
    credential = session.execute(
        select(Credential).where(Credential.refresh_hash == refresh_hash, Credential.kind == SESSION)
        .with_for_update()
    ).scalar_one_or_none()
    if credential is None:
        raise Unauthenticated("Unknown refresh token.")
    now = utcnow()
    if credential.revoked_at is not None:
        if credential.revoke_reason == "rotated":
            # A rotated token came back: two parties hold this session, so neither keeps it.
            revoke_family(session, credential.family_id, "refresh_reuse", now)
            security_log.record(session, credential.account_id, "refresh_token_reuse", client,
                                actor=audit.ANONYMOUS, session_family=str(credential.family_id))
            return Unauthenticated("This refresh token was already used; the session is revoked.")
        raise Unauthenticated("The session was revoked.")
    if credential.refresh_expires_at is not None and credential.refresh_expires_at <= now:
        raise Unauthenticated("The refresh token expired; log in again.")
    refuse_disabled(session.get_one(Account, credential.account_id))
    credential.revoked_at, credential.revoke_reason = now, "rotated"
    issued = issue_session(session, policy.secret_key, credential.account_id, policy.access_ttl,
                           policy.refresh_ttl, family_id=credential.family_id)
    return _pair(issued)


def end_session_by_access(session: Session, family_id: uuid.UUID, account_id: uuid.UUID, client: Client) -> None:
    revoke_family(session, family_id, "logout")
    security_log.record(session, account_id, "logout", client, session_family=str(family_id))


def end_session_by_refresh(session: Session, refresh_hash: str, client: Client) -> None:
    credential = session.execute(
        select(Credential).where(Credential.refresh_hash == refresh_hash, Credential.kind == SESSION)
    ).scalar_one_or_none()
    if credential is None or credential.revoked_at is not None:
        raise Unauthenticated("Unknown or revoked refresh token.")
    end_session_by_access(session, credential.family_id, credential.account_id, client)


def get_account(session: Session, account_id: uuid.UUID) -> AccountOut:
    account = session.get_one(Account, account_id)
    system = session.execute(select(System).where(System.account_id == account_id)).scalar_one()
    return _account_out(account, system)


def stored_password_hash(session: Session, account_id: uuid.UUID) -> str:
    return session.execute(select(Account.password_hash).where(Account.id == account_id)).scalar_one()


def update_account(session: Session, account_id: uuid.UUID, keep_family: uuid.UUID, email: str | None,
                   new_password_hash: str | None, client: Client) -> AccountOut:
    account = session.get_one(Account, account_id)
    if email is not None and email != account.email:
        if session.execute(select(Account.id).where(Account.email == email)).first() is not None:
            raise Conflict("email_taken", "An account with this email exists.")
        security_log.record(session, account_id, "email_changed", client)
        account.email = email
    if new_password_hash is not None:
        account.password_hash = new_password_hash
        # Whoever knew the old password may hold a session: only the one that changed it survives.
        revoke_sessions_except(session, account_id, keep_family, "password_changed")
        security_log.record(session, account_id, "password_changed", client)
    account.updated_at = utcnow()
    return get_account(session, account_id)


def refuse_disabled(account: Account) -> None:
    if account.disabled_at is not None:
        raise AccountDisabled()


def delete_account(session: Session, account_id: uuid.UUID, actor: str, client: Client | None) -> None:
    # The apps this account registered go with it, so the tokens other accounts granted them stop working too.
    owned_apps = select(OAuthClient.client_id).where(OAuthClient.account_id == account_id)
    session.execute(update(Credential).where(Credential.client_id.in_(owned_apps), Credential.revoked_at.is_(None))
                    .values(revoked_at=utcnow(), revoke_reason="app_deleted"))
    # Every table that holds an account's data cascades from accounts (directly or through systems).
    session.execute(delete(Account).where(Account.id == account_id))
    audit.record(session, "account_deleted", actor, client, account_id)  # the owner's security log went with it


def wrong_current_password() -> ValidationFailed:
    return ValidationFailed.field("current_password", "is not the account's password")

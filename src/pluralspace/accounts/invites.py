"""Invitation codes: made by the administrator, each good for one registration before it expires.

Only a keyed hash of a code is stored (as for tokens), so the code is shown once, when it is made. Using one is a
single conditional UPDATE inside the registration's transaction: of two registrations racing for one code, the
second finds it used (SQLite serializes writers; PostgreSQL re-checks the row after the first commits).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import audit
from ..config import Settings
from ..kit.crypto import generate_token, token_hash
from ..kit.errors import NotFound, ValidationFailed
from ..kit.pagination import PageRequest, keyset_page
from ..kit.timeutil import utcnow
from .models import Invite
from .schemas import InviteCreate, InviteCreated, InviteOut

if TYPE_CHECKING:
    from ..audit.security_log import Client

INVITE_PREFIX = "ps_inv_"
DEFAULT_LIFETIME = timedelta(days=7)
MAX_LIFETIME = timedelta(days=365)


def invite_code_hash(secret_key: str, code: str) -> str:
    return token_hash(secret_key, code.strip())


def invite_status(invite: Invite, now: datetime) -> str:
    if invite.used_at is not None:
        return "used"
    return "expired" if invite.expires_at <= now else "active"


def invite_out(invite: Invite) -> InviteOut:
    return InviteOut(id=str(invite.id), note=invite.note, status=invite_status(invite, utcnow()),
                     created_at=invite.created_at, expires_at=invite.expires_at, used_at=invite.used_at,
                     used_by=str(invite.used_by) if invite.used_by else None)


def create_invite(session: Session, secret_key: str, base_url: str, spec: InviteCreate, actor: str,
                  client: Client | None) -> InviteCreated:
    now = utcnow()
    expires_at = spec.expires_at or now + DEFAULT_LIFETIME
    if expires_at <= now or expires_at > now + MAX_LIFETIME:
        raise ValidationFailed.field("expires_at", "must be in the future and at most a year away")
    code = generate_token(INVITE_PREFIX)
    invite = Invite(code_hash=invite_code_hash(secret_key, code), note=spec.note, created_at=now,
                    expires_at=expires_at)
    session.add(invite)
    session.flush()
    audit.record(session, "invite_created", actor, client, invite_id=str(invite.id))
    return InviteCreated(**invite_out(invite).model_dump(), code=code, url=f"{base_url}/register?invite={code}")


def list_invites(session: Session, request: PageRequest, actor: str,
                 client: Client | None) -> tuple[list[InviteOut], str | None]:
    rows, cursor = keyset_page(select(Invite), [Invite.created_at, Invite.id], request, descending=True,
                               session=session, row_key=lambda row: (row[0].created_at, row[0].id))
    audit.record(session, "admin_invites_listed", actor, client)
    return [invite_out(row[0]) for row in rows], cursor


def revoke_invite(session: Session, invite_id: uuid.UUID, actor: str, client: Client | None) -> None:
    invite = session.get(Invite, invite_id)
    if invite is None:
        raise NotFound("No such invitation.")
    session.delete(invite)
    audit.record(session, "invite_revoked", actor, client, invite_id=str(invite_id))


def consume_invite(session: Session, code_hash: str, account_id: uuid.UUID, client: Client) -> None:
    """Uses up the invitation for the account being registered; a 422 on `invite_code` when there is none to use."""
    now = utcnow()
    used = session.execute(
        update(Invite).where(Invite.code_hash == code_hash, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(used_at=now, used_by=account_id).returning(Invite.id)
    ).scalar_one_or_none()
    if used is None:
        raise ValidationFailed.field("invite_code", "is not a valid invitation: unknown, already used or expired")
    audit.record(session, "invite_used", audit.ACCOUNT, client, account_id, invite_id=str(used))


def invite_for(settings: Settings, code: str | None) -> str | None:
    """The hash of the invitation a registration must use up: None when the server registers without one."""
    if not settings.registration_needs_invite:
        return None
    if not code or not code.strip():
        raise ValidationFailed.field("invite_code", "is required: this server registers by invitation only")
    return invite_code_hash(settings.secret_key, code)

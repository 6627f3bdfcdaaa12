"""Personal access tokens: scoped, named, optionally expiring credentials for the owner's scripts."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import security_log
from ..audit.security_log import Client
from ..auth import scopes as scope_set
from ..identity.credential import PAT, Credential
from ..kit.crypto import PAT_PREFIX, generate_token, token_hash
from ..kit.errors import NotFound
from ..kit.pagination import PageRequest, keyset_page
from ..kit.timeutil import utcnow
from .schemas import TokenCreate, TokenCreated, TokenOut

SHOWN_CHARACTERS = 8  # of the token's 32 random ones: ~48 bits shown, ~143 kept secret


def _token_out(credential: Credential) -> TokenOut:
    return TokenOut(id=str(credential.id), name=credential.name or "", prefix=credential.token_prefix,
                    scopes=sorted(scope_set.parse(credential.scopes)),
                    created_at=credential.created_at, last_used_at=credential.last_used_at,
                    expires_at=credential.expires_at)


def create_token(session: Session, secret_key: str, account_id: uuid.UUID, spec: TokenCreate,
                 client: Client) -> TokenCreated:
    text = generate_token(PAT_PREFIX)
    credential = Credential(
        kind=PAT, account_id=account_id, access_hash=token_hash(secret_key, text), name=spec.name,
        token_prefix=text[:len(PAT_PREFIX) + SHOWN_CHARACTERS],
        scopes=scope_set.serialize(spec.scopes), created_at=utcnow(), expires_at=spec.expires_at,
    )
    session.add(credential)
    session.flush()
    security_log.record(session, account_id, "token_created", client, token_id=str(credential.id),
                        name=spec.name, prefix=credential.token_prefix, scopes=spec.scopes)
    return TokenCreated(**_token_out(credential).model_dump(), token=text)


def list_tokens(session: Session, account_id: uuid.UUID, request: PageRequest) -> tuple[list[TokenOut], str | None]:
    query = select(Credential).where(Credential.account_id == account_id, Credential.kind == PAT,
                                     Credential.revoked_at.is_(None))
    rows, cursor = keyset_page(query, [Credential.created_at, Credential.id], request, descending=True,
                               session=session, row_key=lambda row: (row[0].created_at, row[0].id))
    return [_token_out(row[0]) for row in rows], cursor


def revoke_token(session: Session, account_id: uuid.UUID, token_id: uuid.UUID, client: Client) -> None:
    credential = session.execute(
        select(Credential).where(Credential.id == token_id, Credential.account_id == account_id,
                                 Credential.kind == PAT, Credential.revoked_at.is_(None))
    ).scalar_one_or_none()
    if credential is None:
        raise NotFound("No such token.")
    credential.revoked_at, credential.revoke_reason = utcnow(), "revoked"
    security_log.record(session, account_id, "token_revoked", client, token_id=str(token_id),
                        name=credential.name, prefix=credential.token_prefix)

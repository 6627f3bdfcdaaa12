"""Who is calling: resolving a bearer token to a principal, in one indexed look-up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..identity.account import Account
from ..identity.credential import SESSION, Credential
from ..identity.system import System
from ..kit.db import Database
from ..kit.errors import AccountDisabled
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
    # The caller's system as it was when the token was resolved, for the owner's own reads (never for writes,
    # which load the row inside their transaction). Left out of comparisons.
    system: System | None = field(default=None, compare=False, repr=False)

    def holds(self, scope: str) -> bool:
        return scope in self.scopes

    def owns(self, system_uuid: uuid.UUID) -> bool:
        return self.system_uuid == system_uuid


_CREDENTIAL, _SYSTEM, _ACCOUNT = Credential.__table__, System.__table__, Account.__table__
_SYSTEM_COLUMNS = [column.key for column in _SYSTEM.columns]

# Built once: every request runs it, so neither statement construction nor the ORM layer is paid per call.
RESOLVE_TOKEN = (
    select(_CREDENTIAL.c.id, _CREDENTIAL.c.kind, _CREDENTIAL.c.account_id, _CREDENTIAL.c.scopes,
           _CREDENTIAL.c.expires_at, _CREDENTIAL.c.revoked_at, _CREDENTIAL.c.family_id, _CREDENTIAL.c.client_id,
           _CREDENTIAL.c.last_used_at, _ACCOUNT.c.disabled_at,
           *[column.label(f"system_{column.key}") for column in _SYSTEM.columns])
    .join(_SYSTEM, _SYSTEM.c.account_id == _CREDENTIAL.c.account_id)
    .join(_ACCOUNT, _ACCOUNT.c.id == _CREDENTIAL.c.account_id)
    .where(_CREDENTIAL.c.access_hash == bindparam("access_hash"))
)


async def find_principal(database: Database, access_hash: str, now: datetime) -> Principal | None:
    """The token's principal and the caller's system, in one indexed query (see `Database.lookup`).

    This is where every token of every surface is resolved, so this is where a disabled account's live tokens are
    refused (403 ACCOUNT_DISABLED); a token that would be refused anyway stays a plain unknown one. `now` is the
    app's clock (`AppState.clock`), so that tests can move past a token's expiry."""
    row = await database.lookup(RESOLVE_TOKEN, {"access_hash": access_hash})
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.disabled_at is not None:
        raise AccountDisabled()
    mapping = row._mapping
    system = System(**{key: mapping[f"system_{key}"] for key in _SYSTEM_COLUMNS})
    granted = scope_set.parse(row.scopes)
    effective = scope_set.SESSION_SCOPES if row.kind == SESSION else scope_set.expand(granted)
    return Principal(
        credential_id=row.id, kind=row.kind, account_id=row.account_id, system_uuid=system.uuid,
        system_hid=system.hid, scopes=effective, granted=tuple(sorted(effective if row.kind == SESSION else granted)),
        family_id=row.family_id, client_id=row.client_id, last_used_at=row.last_used_at, system=system,
    )


NO_CREDENTIAL = uuid.UUID(int=0)


def account_owner(session: Session, email: str) -> Principal | None:
    """The owner of the account with this email, holding every grantable scope, with no token: for the command
    line, which runs with the database's own authority (`pluralspace export`)."""
    system = session.execute(select(System).join(Account, Account.id == System.account_id)
                             .where(Account.email == email)).scalar_one_or_none()
    if system is None:
        return None
    scopes = scope_set.GRANTABLE_SCOPES
    return Principal(credential_id=NO_CREDENTIAL, kind="tool", account_id=system.account_id, system_uuid=system.uuid,
                     system_hid=system.hid, scopes=scopes, granted=tuple(sorted(scopes)), family_id=NO_CREDENTIAL,
                     client_id=None, last_used_at=None, system=system)

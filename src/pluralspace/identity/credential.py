from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime

SESSION = "session"
PAT = "pat"
OAUTH = "oauth"


class Credential(Base):
    """A bearer credential of any kind: a login session, a personal access token or an OAuth grant's tokens.

    One table, so resolving any token is one indexed look-up of its keyed hash. Refresh tokens rotate within a
    `family_id`: each refresh makes a new row and revokes the old one, and presenting a revoked refresh token
    again revokes the whole family (someone else holds a copy).
    """

    __tablename__ = "credentials"
    __table_args__ = (
        Index("ix_credentials_account_kind_created", "account_id", "kind", "created_at", "id"),
        Index("ix_credentials_family", "family_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    family_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    # A personal access token's kind prefix and first random characters (`ps_pat_Ab3dEf9h`): not enough to use it,
    # enough to tell it apart on the settings page and in the security log.
    token_prefix: Mapped[str | None] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(1000))
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(String(32))

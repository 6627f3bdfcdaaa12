"""OAuth storage: registered apps, authorization codes and remembered consent.

Tokens are not here: they are rows of the shared `credentials` table (kind "oauth", with `client_id` and a
`family_id` per code exchange), so every endpoint resolves an OAuth access token like any other token.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime

PUBLIC = "public"
CONFIDENTIAL = "confidential"


class OAuthClient(Base):
    """A developer's app. Only a keyed hash of a confidential app's secret is kept; public apps have none."""

    __tablename__ = "oauth_clients"
    __table_args__ = (Index("ix_oauth_clients_account_created", "account_id", "created_at", "client_id"),)

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000))
    homepage_url: Mapped[str | None] = mapped_column(String(256))
    redirect_uris: Mapped[list[str]] = mapped_column()
    client_type: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OAuthCode(Base):
    """An authorization code, by keyed hash. A used code stays (with the family its tokens got) until it is long
    expired, so that a replay can be recognised and what the code issued revoked."""

    __tablename__ = "oauth_codes"
    __table_args__ = (Index("ix_oauth_codes_expires", "expires_at"), Index("ix_oauth_codes_family", "family_id"),
                      Index("ix_oauth_codes_account_client", "account_id", "client_id"))

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(512))
    scope: Mapped[str] = mapped_column(String(1000))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    family_id: Mapped[uuid.UUID | None] = mapped_column()

    # Authlib's AuthorizationCodeMixin.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class OAuthGrant(Base):
    """What an account has approved for an app: a later request for these scopes (or fewer) skips the consent page."""

    __tablename__ = "oauth_grants"
    __table_args__ = (Index("ix_oauth_grants_account_granted", "account_id", "granted_at", "client_id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id", ondelete="CASCADE"),
                                           primary_key=True)
    scope: Mapped[str] = mapped_column(String(1000))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

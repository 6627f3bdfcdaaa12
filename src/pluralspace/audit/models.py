"""The two logs: the instance's audit log (for the administrator) and each account's security log (for its owner)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime


class AuditEvent(Base):
    """One security-relevant event on the instance. Append-only: no route changes or deletes a record; only the
    retention (PLURALSPACE_AUDIT_RETENTION_DAYS) removes old ones. `account_id` is not a foreign key, so the record
    of an account's deletion outlives the account."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_created", "created_at", "id"),
        Index("ix_audit_events_account_created", "account_id", "created_at", "id"),
        Index("ix_audit_events_kind_created", "kind", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[uuid.UUID | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    request_id: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SecurityEvent(Base):
    """What happened to an account's credentials, for the owner to review (`GET /me/security-log`)."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_account_created", "account_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

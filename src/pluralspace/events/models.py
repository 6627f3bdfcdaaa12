"""Stored events, webhooks and their deliveries.

An event is written in the transaction of the change it records, rendered twice: as the owner sees the object and
as everyone else does (`public_data`, null when the object is hidden from them). A stream or a webhook then only
chooses between the two renderings; nothing is rendered again, so nothing is shown that the services did not show.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        # A subscriber's catch-up: this system's events after the one it saw last.
        Index("ix_events_system_id", "system_uuid", "id"),
        # Retention: the oldest first.
        Index("ix_events_occurred", "occurred_at"),
        # Webhook dispatch: events not yet handed to the system's webhooks.
        Index("ix_events_undispatched", "id", sqlite_where=text("dispatched = 0"),
              postgresql_where=text("dispatched = false")),
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    owner_data: Mapped[Any] = mapped_column(JSON)
    public_data: Mapped[Any | None] = mapped_column(JSON)
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False)


class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_system_created", "system_uuid", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    # "standard" (Standard Webhooks) or "pluralkit" (PluralKit dispatch: one per system, set by /pk/v2).
    format: Mapped[str] = mapped_column(String(16), default="standard")
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who made it: its deliveries carry what that credential (its whole refresh family) may still read.
    credential_family_id: Mapped[uuid.UUID | None] = mapped_column()
    credential_kind: Mapped[str] = mapped_column(String(16))
    # Deliveries have failed without a success since this moment; a day of it disables the webhook.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The log, newest first (keyset pages), and the next delivery in order (oldest pending first).
        Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at", "id"),
        Index("ix_webhook_deliveries_pending", "webhook_id", "event_id", sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(EventId, ForeignKey("events.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, succeeded, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

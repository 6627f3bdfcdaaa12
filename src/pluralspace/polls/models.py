from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime


class Poll(Base):
    """A poll of one system. `options` is a JSON list of `{id, label, color}` (color stored as `rrggbb`).

    Results are not stored: they are counted from `votes` whenever a poll is read, so they cannot drift.
    A poll is closed when `closed` is set (POST .../close) or `closes_at` has passed.
    """

    __tablename__ = "polls"
    __table_args__ = (
        # Newest-first keyset pages of a system's polls.
        Index("ix_polls_system_created", "system_uuid", "created_at", "id"),
        # Deleting a member nulls its polls' created_by without a scan.
        Index("ix_polls_created_by", "created_by"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    options: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    allow_multiple: Mapped[bool] = mapped_column(default=False)
    allow_abstain: Mapped[bool] = mapped_column(default=False)
    allow_veto: Mapped[bool] = mapped_column(default=False)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.uuid", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Vote(Base):
    """One member's vote in one poll: the primary key makes "one vote per member per poll" the database's rule."""

    __tablename__ = "votes"
    __table_args__ = (
        # Deleting a member cascades to its votes.
        Index("ix_votes_member", "member_uuid"),
    )

    poll_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True)
    member_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.uuid", ondelete="CASCADE"), primary_key=True)
    option_ids: Mapped[list[str]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime


class Thought(Base):
    """A thought of the day. `date` is the system's local date when it was set (`YYYY-MM-DD`, from the system's
    timezone at that moment), kept as text so it compares and sorts the same way on every engine."""

    __tablename__ = "thoughts"
    __table_args__ = (
        # Today's latest thought, and ?date= pages.
        Index("ix_thoughts_system_date", "system_uuid", "date", "created_at", "id"),
        # Newest-first keyset pages of the history.
        Index("ix_thoughts_system_created", "system_uuid", "created_at", "id"),
        # Deleting a member nulls its thoughts' member_uuid without a scan.
        Index("ix_thoughts_member", "member_uuid"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    member_uuid: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.uuid", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    date: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

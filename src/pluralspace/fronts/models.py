from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime


class Front(Base):
    """One member fronting from `started_at` until `ended_at` (null = fronting now); co-fronting is several rows.

    A member's fronts never overlap: every write takes the system's row lock first and then checks the member's
    history (see `systems.access.write_access(serialize=True)` and `service.check_overlap`).
    """

    __tablename__ = "fronts"
    __table_args__ = (
        # Newest-first keyset pages of a system's history, and the start events of /switches.
        Index("ix_fronts_system_started", "system_uuid", "started_at", "id"),
        # The overlap check (latest front of a member starting before a time) and ?member= pages.
        Index("ix_fronts_member_started", "member_uuid", "started_at", "id"),
        # Open fronts (ended_at IS NULL) for /fronters, and the end events of /switches.
        Index("ix_fronts_system_ended", "system_uuid", "ended_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    member_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.uuid", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

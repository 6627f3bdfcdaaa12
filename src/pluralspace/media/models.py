"""Stored images: one row per image a system's field shows (the system's or a member's avatar or banner).

The row says where the image belongs, so `GET /media/<key>` can answer exactly as the field would: the image is
public only where the field is visible to the viewer. The bytes live in the media storage (kit/storage.py) under
`key`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime

SLOTS = ("avatar", "banner")


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (
        # The image of one place (system or member, slot) when it is replaced or deleted; a member's on deletion.
        Index("ix_media_system_member_slot", "system_uuid", "member_uuid", "slot"),
        Index("ix_media_member", "member_uuid"),
    )

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    # None: the system's own avatar or banner.
    member_uuid: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.uuid", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

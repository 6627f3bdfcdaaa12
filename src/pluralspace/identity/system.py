from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID  # in a class body after its `uuid` column, `uuid.UUID` names the column

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime

PRIVACY_KEYS = ("description", "member_list", "group_list", "front", "front_history", "fields", "relationships",
                "journal", "polls", "thoughts", "wrapped")


def default_privacy() -> dict[str, str]:
    return dict.fromkeys(PRIVACY_KEYS, "private")


class System(Base):
    __tablename__ = "systems"

    uuid: Mapped[UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    hid: Mapped[str] = mapped_column(String(6), unique=True)
    account_id: Mapped[UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    tag: Mapped[str | None] = mapped_column(String(79))
    pronouns: Mapped[str | None] = mapped_column(String(100))
    color: Mapped[str | None] = mapped_column(String(6))
    avatar_url: Mapped[str | None] = mapped_column(String(256))
    banner_url: Mapped[str | None] = mapped_column(String(256))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    privacy: Mapped[dict[str, str]] = mapped_column(default=default_privacy)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

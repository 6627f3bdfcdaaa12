from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID  # in a class body after its `uuid` column, `uuid.UUID` names the column

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime

MEMBER_PRIVACY_KEYS = ("visibility", "name", "description", "avatar", "birthday", "pronouns", "metadata")


def default_member_privacy() -> dict[str, str]:
    return dict.fromkeys(MEMBER_PRIVACY_KEYS, "private")


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        # Lists page by creation order within a system.
        Index("ix_members_system_created", "system_uuid", "created_at", "uuid"),
        # Members archived within a period (Wrapped).
        Index("ix_members_system_archived", "system_uuid", "archived_at"),
    )

    uuid: Mapped[UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    hid: Mapped[str] = mapped_column(String(6), unique=True)
    system_uuid: Mapped[UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str | None] = mapped_column(String(100))
    pronouns: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(6))
    avatar_url: Mapped[str | None] = mapped_column(String(256))
    banner_url: Mapped[str | None] = mapped_column(String(256))
    birthday: Mapped[str | None] = mapped_column(String(10))
    roles: Mapped[list[str]] = mapped_column(default=list)
    proxy_tags: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    keep_proxy: Mapped[bool] = mapped_column(default=False)
    is_custom_front: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)
    # When `archived` last became true; null while not archived, and for members archived before this was kept.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    privacy: Mapped[dict[str, str]] = mapped_column(default=default_member_privacy)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

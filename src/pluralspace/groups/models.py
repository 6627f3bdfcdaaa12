from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID  # in a class body after its `uuid` column, `uuid.UUID` names the column

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime

GROUP_PRIVACY_KEYS = ("visibility", "name", "description", "icon", "list")


def default_group_privacy() -> dict[str, str]:
    return dict.fromkeys(GROUP_PRIVACY_KEYS, "private")


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (
        Index("ix_groups_system_created", "system_uuid", "created_at", "uuid"),
        Index("ix_groups_parent", "parent_uuid"),
    )

    uuid: Mapped[UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    hid: Mapped[str] = mapped_column(String(6), unique=True)
    system_uuid: Mapped[UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    parent_uuid: Mapped[UUID | None] = mapped_column(ForeignKey("groups.uuid", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    icon: Mapped[str | None] = mapped_column(String(256))
    color: Mapped[str | None] = mapped_column(String(6))
    privacy: Mapped[dict[str, str]] = mapped_column(default=default_group_privacy)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupMember(Base):
    __tablename__ = "group_members"
    __table_args__ = (Index("ix_group_members_member", "member_uuid", "group_uuid"),)

    group_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.uuid", ondelete="CASCADE"), primary_key=True)
    member_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.uuid", ondelete="CASCADE"), primary_key=True)

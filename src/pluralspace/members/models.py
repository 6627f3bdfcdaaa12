from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID  # in a class body after its `uuid` column, `uuid.UUID` names the column

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime
from ..kit.privacy import PrivacyKeys
from ..kit.timeutil import utcnow

MEMBER_PRIVACY = PrivacyKeys(("visibility", "name", "description", "avatar", "birthday", "pronouns", "metadata"))


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
    # When the member was archived; null while it is not. The one record of archiving: `archived` reads it.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    privacy: Mapped[dict[str, str]] = mapped_column(default=MEMBER_PRIVACY.defaults)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @hybrid_property
    def archived(self) -> bool:
        return self.archived_at is not None

    @archived.inplace.setter
    def _archive(self, value: bool) -> None:
        """Archiving keeps the time it first happened (archiving again changes nothing); unarchiving clears it."""
        if not value:
            self.archived_at = None
        elif self.archived_at is None:
            self.archived_at = utcnow()

    @archived.inplace.expression
    @classmethod
    def _archived_in_sql(cls) -> ColumnElement[bool]:
        return cls.archived_at.is_not(None)

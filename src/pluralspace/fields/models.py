from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime


class Field(Base):
    """A custom field definition of a system; members hold values for it."""

    __tablename__ = "fields"
    __table_args__ = (Index("ix_fields_system_position", "system_uuid", "position", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    options: Mapped[list[str] | None] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(default=0)
    privacy: Mapped[str] = mapped_column(String(8), default="private")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FieldValue(Base):
    __tablename__ = "field_values"
    __table_args__ = (Index("ix_field_values_field", "field_id"),)

    member_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.uuid", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)

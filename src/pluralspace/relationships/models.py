from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime


class RelationshipType(Base):
    """A kind of bond between members, e.g. "sibling" (symmetric) or "protector" / "protected by"."""

    __tablename__ = "relationship_types"
    __table_args__ = (Index("ix_relationship_types_system_created", "system_uuid", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    inverse_name: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Relationship(Base):
    __tablename__ = "relationships"
    __table_args__ = (
        UniqueConstraint("type_id", "source_member_uuid", "target_member_uuid", name="uq_relationships_edge"),
        Index("ix_relationships_system_created", "system_uuid", "created_at", "id"),
        Index("ix_relationships_source", "source_member_uuid", "created_at", "id"),
        Index("ix_relationships_target", "target_member_uuid", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relationship_types.id", ondelete="CASCADE"))
    source_member_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.uuid", ondelete="CASCADE"))
    target_member_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.uuid", ondelete="CASCADE"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

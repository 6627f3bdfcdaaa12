"""What PluralKit stores and the native model lacks: linked Discord accounts and proxied-message records.

Imports of PluralKit data fill these tables; the API only reads them (`/a/:id`, numeric system refs, `/msg/:id`,
`/messages/:id`). Discord snowflakes are kept as decimal text: exact on every engine and emitted as strings, as
PluralKit does.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime

Snowflake = String(20)


class PkAccount(Base):
    __tablename__ = "pluralkit_accounts"
    __table_args__ = (Index("ix_pluralkit_accounts_system", "system_uuid"),)

    discord_id: Mapped[str] = mapped_column(Snowflake, primary_key=True)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))


class PkMessage(Base):
    __tablename__ = "pluralkit_messages"
    __table_args__ = (
        Index("ix_pluralkit_messages_original", "original"),  # PluralKit also finds a message by its trigger message
        Index("ix_pluralkit_messages_system", "system_uuid"),
        Index("ix_pluralkit_messages_member", "member_uuid"),  # members are deleted: SET NULL finds their rows
    )

    id: Mapped[str] = mapped_column(Snowflake, primary_key=True)
    original: Mapped[str | None] = mapped_column(Snowflake)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    member_uuid: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.uuid", ondelete="SET NULL"))
    sender: Mapped[str] = mapped_column(Snowflake)
    channel: Mapped[str] = mapped_column(Snowflake)
    guild: Mapped[str | None] = mapped_column(Snowflake)
    timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime())

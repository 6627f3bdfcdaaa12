"""Stored Wrapped recaps.

`wrapped_snapshots` holds one row per finished period of a system once someone asked for it: the recap as the owner
sees it and the fronting part as other viewers see it (over the members whose visibility is public), both computed
in the system's time zone of that moment (`timezone`). `start_at`/`end_at` are the period's bounds in UTC.

`stale` is set by the triggers of migration 0011 whenever a row a recap reads changes inside the period (fronts,
members, journal entries, polls, votes, thoughts), whoever writes it; the next read computes the period again. A
snapshot whose `timezone` is not the system's current one is computed again too.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime


class WrappedSnapshot(Base):
    __tablename__ = "wrapped_snapshots"
    __table_args__ = (Index("ix_wrapped_snapshots_system_start", "system_uuid", "start_at", "end_at"),)

    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stale: Mapped[bool] = mapped_column(default=False)
    recap: Mapped[dict[str, Any]] = mapped_column()

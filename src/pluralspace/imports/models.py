"""Where each imported object came from: (system, kind, source format, source id) -> our object's id. Fronts are
the exception: their ids are derived from the source id (apply.py, `front_id`), as there are too many to map.

A re-import of the same file (or a newer export of the same source) finds its objects here, so it updates them
instead of creating copies. Deleting the object leaves a stale row, which the next import notices (the target is
gone) and replaces.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base


class ImportSource(Base):
    __tablename__ = "import_sources"

    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_format: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64))


class ImportUndo(Base):
    """What one step of an import applied in steps (SQLite, imports/undo.py) changed, to take it back: the keys of
    the rows it created, the rows it updated or deleted as they were before. Written in the same transaction as
    the step; removed with the job's success, or entry by entry as it is undone."""

    __tablename__ = "import_undo"
    __table_args__ = (Index("ix_import_undo_job", "job_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    job_id: Mapped[uuid.UUID] = mapped_column()
    table_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(8))  # created | updated | deleted
    rows: Mapped[str] = mapped_column(Text)  # JSON: a list of rows (keys only, for created)

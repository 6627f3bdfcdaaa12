"""Durable background jobs: one table for every kind of work that outlives a request (imports, webhook deliveries):
a `kind`, a JSON `payload`, a `result`.

* `lane`: jobs sharing a lane never run side by side. A partial unique index allows one queued-or-running job per
  lane, so the database itself refuses a second import of a system while one is pending (`import:<system uuid>`);
  jobs without a lane (null) are unrestricted.
* `heartbeat_at`: the worker running a job touches it every few seconds; a running job whose heartbeat stopped
  belongs to a process that died, and is ended as failed once what it wrote is taken back (one transaction never
  committed; an import in steps has its undo log, imports/undo.py).
* `not_before`: a job queued for later (a webhook delivery's next try after a backoff) is not claimed before then.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime

JOB_STATUSES = ("queued", "running", "succeeded", "failed")
PENDING = ("queued", "running")
IMPORT = "import"  # the kind of an import job (imports.service); while one runs, its system takes no other write


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # Claiming: the oldest queued job.
        Index("ix_jobs_status_created", "status", "created_at"),
        # A system's jobs of one kind, newest first (keyset pages).
        Index("ix_jobs_system_kind_created", "system_uuid", "kind", "created_at", "id"),
        # One pending job per lane (see the module docstring).
        Index("ix_jobs_pending_lane", "lane", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    system_uuid: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    lane: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    result: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[dict[str, Any] | None] = mapped_column()
    worker: Mapped[str | None] = mapped_column(String(80))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())

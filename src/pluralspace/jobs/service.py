"""The job queue on the jobs table: enqueue, claim (exactly one worker gets a job), heartbeat, finish, and ending
the jobs of workers that died."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..kit.timeutil import utcnow
from .models import Job

# A running job whose heartbeat is older than this belongs to a worker that stopped (crash, restart).
STALE_AFTER = timedelta(minutes=2)


def enqueue(session: Session, kind: str, system_uuid: uuid.UUID | None, lane: str | None, payload: dict[str, Any],
            job_id: uuid.UUID | None = None, not_before: datetime | None = None) -> Job:
    """A queued job; a second pending job in the same lane fails the unique index (IntegrityError)."""
    job = Job(id=job_id or uuid.uuid4(), kind=kind, system_uuid=system_uuid, lane=lane, status="queued",
              payload=payload, progress=0.0, created_at=utcnow(), not_before=not_before)
    session.add(job)
    session.flush()
    return job


def claim(session: Session, kinds: tuple[str, ...], worker: str) -> Job | None:
    """The oldest due queued job of these kinds, now running for `worker`. On PostgreSQL `FOR UPDATE SKIP LOCKED`
    hands each job to exactly one of several workers; SQLite writes one transaction at a time anyway."""
    now = utcnow()
    job = session.execute(select(Job).where(Job.status == "queued", Job.kind.in_(kinds),
                                            or_(Job.not_before.is_(None), Job.not_before <= now))
                          .order_by(Job.created_at).limit(1).with_for_update(skip_locked=True)).scalar_one_or_none()
    if job is None:
        return None
    job.status, job.worker, job.started_at, job.heartbeat_at = "running", worker, now, now
    return job


def heartbeat(session: Session, job_id: uuid.UUID, progress: float) -> None:
    session.execute(update(Job).where(Job.id == job_id, Job.status == "running")
                    .values(heartbeat_at=utcnow(), progress=progress))


def finish(session: Session, job_id: uuid.UUID, result: dict[str, Any] | None,
           error: dict[str, Any] | None = None) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(
        status="failed" if error is not None else "succeeded", result=result, error=error,
        progress=1.0 if error is None else Job.progress, finished_at=utcnow(), heartbeat_at=None))


def fail_abandoned(session: Session, now: datetime | None = None,
                   stale_after: timedelta = STALE_AFTER) -> list[Job]:
    """Ends as failed every running job whose worker stopped beating; returns them (their files can go). A job
    applies in one transaction, which the stopped worker never committed: nothing of it is in the database."""
    now = now or utcnow()
    jobs = list(session.execute(select(Job).where(Job.status == "running",
                                                  Job.heartbeat_at < now - stale_after)).scalars())
    for job in jobs:
        job.status, job.finished_at, job.heartbeat_at = "failed", now, None
        job.error = {"message": "The server stopped while this job ran; nothing of it was applied. Send the file "
                                "again.", "path": None, "line": None, "column": None}
    return jobs

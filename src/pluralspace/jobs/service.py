"""The job queue on the jobs table: enqueue, claim (exactly one worker gets a job), heartbeat, finish, and ending
the jobs of workers that died."""

from __future__ import annotations

import os
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


def abandoned(session: Session, now: datetime | None = None, stale_after: timedelta = STALE_AFTER,
              local_processes: bool = False) -> list[Job]:
    """The running jobs whose worker stopped: its heartbeat is older than `stale_after` or, with `local_processes`
    (SQLite: every server of the database runs on this machine), its process is gone, which a server starting
    after a crash sees at once."""
    now = now or utcnow()
    running = session.execute(select(Job).where(Job.status == "running")).scalars()
    return [job for job in running if (job.heartbeat_at is not None and job.heartbeat_at < now - stale_after)
            or (local_processes and _process_gone(job.worker))]


def _process_gone(worker: str | None) -> bool:
    """Whether `worker` (Worker.name: host, process id, token) ran on this machine in a process that has ended."""
    host, _, rest = (worker or "").partition(":")
    pid = rest.partition(":")[0]
    if host != os.uname().nodename or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def fail_abandoned(session: Session, job_ids: list[uuid.UUID], now: datetime | None = None) -> None:
    """Ends these jobs as failed (those still running). Whatever they wrote was taken back first: an import in one
    transaction never committed, one in steps was undone from its log (imports.service.recovery)."""
    now = now or utcnow()
    for job in session.execute(select(Job).where(Job.id.in_(job_ids), Job.status == "running")).scalars():
        job.status, job.finished_at, job.heartbeat_at = "failed", now, None
        job.error = {"message": "The server stopped while this job ran; nothing of it was applied. Send the file "
                                "again.", "path": None, "line": None, "column": None}

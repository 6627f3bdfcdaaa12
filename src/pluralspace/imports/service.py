"""Import jobs: accepting a file, running it (parse, then apply: in steps with an undo log on SQLite, in one unit of
work on PostgreSQL; see apply.py), and showing the job.

The job row (`jobs`, kind `import`) holds what the job needs (`payload`: format, dry_run, source name, the upload's
file name in the data dir) and, once done, its report (`result`: counts and warnings) or its `error`. The lane
`import:<system uuid>` keeps one import per system pending at a time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit import security_log
from ..audit.security_log import Client
from ..auth.principal import Principal
from ..events import service as events
from ..identity.system import System
from ..jobs import service as jobs
from ..jobs.models import IMPORT, PENDING, Job
from ..kit.db import Database
from ..kit.errors import Conflict, Forbidden, NotFound
from ..kit.pagination import PageRequest, keyset_page
from ..kit.storage import MediaStorage
from ..media.service import ImageTarget
from ..systems.access import Access
from . import undo
from .apply import DryRun, Report, apply_plan
from .formats.common import SourceError
from .plan import Plan
from .schemas import ImportJobOut
from .source import load
from .upload import UPLOAD_DIR

if TYPE_CHECKING:
    from ..jobs.worker import Handler, Worker

KIND = IMPORT
T = TypeVar("T")
PARSED = 0.2  # the share of the progress bar that reading the file takes
# How long one step of an import applied in steps (SQLite) holds the write lock, at most about: other systems'
# writes wait this long behind an import, and each step costs a commit (an fsync) and an undo-log entry.
STEP_SECONDS = 0.05


def lane(system_uuid: uuid.UUID) -> str:
    return f"{KIND}:{system_uuid}"


def _running_conflict() -> Conflict:
    return Conflict("import_running", "An import of this system is queued or running; wait until it has finished.")


def check_none_pending(session: Session, principal: Principal) -> None:
    pending = session.execute(select(Job.id).where(Job.lane == lane(principal.system_uuid),
                                                   Job.status.in_(PENDING))).first()
    if pending is not None:
        raise _running_conflict()


def create_job(session: Session, principal: Principal, job_id: uuid.UUID, wanted_format: str, dry_run: bool,
               source_name: str | None, file_name: str, client: Client) -> ImportJobOut:
    """The queued job; the owner's security log and the audit log record it (never the file's name or content)."""
    payload = {"format": wanted_format, "dry_run": dry_run, "source_name": source_name, "file": file_name}
    try:
        with session.begin_nested():
            job = jobs.enqueue(session, KIND, principal.system_uuid, lane(principal.system_uuid), payload, job_id)
    except IntegrityError:
        raise _running_conflict() from None
    security_log.record(session, principal.account_id, "data_imported", client, format=wanted_format,
                        dry_run=dry_run, credential=principal.kind, job_id=str(job_id))
    return job_out(job)


def job_out(job: Job, live_progress: float | None = None) -> ImportJobOut:
    result = job.result or {}
    payload = job.payload or {}
    progress = live_progress if live_progress is not None and job.status == "running" else job.progress
    return ImportJobOut(id=str(job.id), format=result.get("format") or _declared(payload), status=job.status,
                        progress=round(progress, 4), counts=result.get("counts", {}),
                        warnings=result.get("warnings", []), error=job.error, dry_run=bool(payload.get("dry_run")),
                        source_name=payload.get("source_name"), created_at=job.created_at,
                        finished_at=job.finished_at)


def _declared(payload: dict[str, Any]) -> str | None:
    wanted = payload.get("format")
    return None if wanted in (None, "auto") else wanted


def _own_jobs(principal: Principal) -> Select[tuple[Job]]:
    return select(Job).where(Job.system_uuid == principal.system_uuid, Job.kind == KIND)


def list_jobs(session: Session, principal: Principal, paging: PageRequest) -> tuple[list[Job], str | None]:
    rows, cursor = keyset_page(_own_jobs(principal), [Job.created_at, Job.id], paging, descending=True,
                               session=session, row_key=lambda row: (row[0].created_at, row[0].id))
    return [row[0] for row in rows], cursor


def get_job(session: Session, principal: Principal, job_id: uuid.UUID) -> Job:
    job = session.execute(_own_jobs(principal).where(Job.id == job_id)).scalar_one_or_none()
    if job is None:
        raise NotFound("No such import.")
    return job


# --- running -------------------------------------------------------------------------------------------------

def upload_file(data_dir: Path, job: Job) -> Path:
    file_name: str = job.payload["file"]
    return data_dir / UPLOAD_DIR / file_name


class Importer:
    """Reads a file and applies it to a system: the one engine of the API's jobs and of `pluralspace import`."""

    step_seconds = STEP_SECONDS

    def __init__(self, database: Database, max_bytes: int, storage: MediaStorage, images: ImageTarget) -> None:
        self.database = database
        self.max_bytes = max_bytes
        self.storage = storage
        self.images = images

    async def run(self, system_uuid: uuid.UUID, path: Path, wanted_format: str, dry_run: bool,
                  progress: Callable[[float], None], job_id: uuid.UUID | None = None) -> tuple[Plan, Report]:
        """Raises SourceError for a file that cannot be imported; changes nothing unless it all succeeds.

        A job's import (`job_id`) on SQLite is applied in steps, with an undo log under the job's id: a failure takes
        the committed steps back before it is raised, and the log goes when the job is finished (`finish`); a
        server that stops meanwhile leaves the log to the next one (`recovery`). Anything else is one transaction:
        a dry run (it must never commit) and the command line's import (no job to tie a log to)."""
        plan = await asyncio.to_thread(load, path, wanted_format, self.max_bytes)
        progress(PARSED)

        def applying(fraction: float) -> None:
            progress(PARSED + (1 - PARSED) * fraction)

        stepped = self.database.sqlite and job_id is not None and not dry_run
        try:
            report = await self._write(apply_plan, system_uuid, plan, applying, dry_run, self.images,
                                       job_id if stepped else None, step_seconds=self.step_seconds if stepped else None)
        except DryRun as done:
            return plan, done.report  # rolled back: the pictures it would replace stay
        except Exception:
            if stepped:
                assert job_id is not None
                await self.take_back(job_id)
            raise
        await self.storage.delete(report.replaced_media)
        return plan, report

    async def take_back(self, job_id: uuid.UUID) -> None:
        """Undoes what the job's committed steps wrote (nothing when it has no log), in steps as well."""
        await self.database.write_in_steps(undo.take_back, job_id, step_seconds=self.step_seconds,
                                           timeout=APPLY_TIMEOUT_SECONDS)

    async def _write(self, fn: Callable[..., T], *args: Any, step_seconds: float | None) -> T:
        """The unit of work. SQLite: through the server's own database, whose writers queue in turn (each step
        takes its turn). PostgreSQL: on a thread with a connection of its own, so building a large import never
        holds up the server's event loop (SQLAlchemy's asyncpg bridge runs the unit of work on the loop that awaits
        it)."""
        if self.database.sqlite:
            return await self.database.write_in_steps(fn, *args, step_seconds=step_seconds,
                                                      timeout=APPLY_TIMEOUT_SECONDS)

        async def on_own_loop() -> T:
            database = Database(self.database.url, pool_size=1, bounds=self.database.bounds)
            try:
                return await database.write_in_steps(fn, *args, step_seconds=None, timeout=APPLY_TIMEOUT_SECONDS)
            finally:
                await database.dispose()

        return await asyncio.to_thread(asyncio.run, on_own_loop())


# An import's one unit of work may rightly run for minutes (300,000 fronts); the request bound of a few seconds
# would cut it short on PostgreSQL. Past this, something is wrong and the job fails with nothing applied.
APPLY_TIMEOUT_SECONDS = 1800.0


def import_handler(data_dir: Path, importer: Importer) -> Handler:
    async def handle(job: Job, worker: Worker) -> None:
        path = upload_file(data_dir, job)
        payload = job.payload

        def progress(fraction: float) -> None:
            worker.progress[job.id] = fraction

        assert job.system_uuid is not None, "an import job is for a system"
        try:
            plan, report = await importer.run(job.system_uuid, path, payload["format"], bool(payload["dry_run"]),
                                              progress, job.id)
        except SourceError as refused:
            await worker.database.write(finish, job.id, None, refused.as_dict())
        else:
            await worker.database.write(finish, job.id, {"format": plan.format, **report.as_dict()})
        finally:
            path.unlink(missing_ok=True)

    return handle


def finish(session: Session, job_id: uuid.UUID, result: dict[str, Any] | None,
           error: dict[str, Any] | None = None) -> None:
    """Ends the job and records `import.finished` (shown to the owner only) in the same transaction; a succeeded
    job's undo log goes with it (a failed job's was taken back before)."""
    jobs.finish(session, job_id, result, error)
    undo.forget(session, job_id)
    job = session.get(Job, job_id)
    system = session.get(System, job.system_uuid) if job is not None and job.system_uuid else None
    if job is not None and system is not None:
        session.refresh(job)
        events.record(session, system, "import.finished", _shown_to_owner(job))


def _shown_to_owner(job: Job) -> events.Render:
    def render(access: Access) -> ImportJobOut:
        if not access.owner:
            raise Forbidden("Imports are the owner's.")
        return job_out(job)

    return render


def recovery(data_dir: Path, importer: Importer) -> Callable[[list[Job]], Awaitable[None]]:
    """What the worker does about jobs whose server stopped (before it ends them as failed): an import's committed
    steps are taken back and its file removed. Also takes back the logs of ended jobs whose undo could not finish."""
    async def recover(abandoned: list[Job]) -> None:
        for job in abandoned:
            if job.kind == KIND:
                await importer.take_back(job.id)
                if job.payload.get("file"):
                    upload_file(data_dir, job).unlink(missing_ok=True)
        for job_id in await importer.database.read(undo.left_over):
            await importer.take_back(job_id)

    return recover

"""Runs queued jobs in the server process: a loop that claims jobs and hands each to the handler of its kind, up to
`concurrency` at once (a webhook waiting on a slow receiver must not hold up an import, nor the other webhooks).
Every server process runs one; on PostgreSQL several processes share the queue (see service.claim), on SQLite there
is one process. A job is woken at once when this process enqueued it (`wake`), else found by polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from ..kit.db import Database
from ..kit.tasks import cancel
from . import service
from .models import Job

log = logging.getLogger("pluralspace.jobs")

Handler = Callable[[Job, "Worker"], Awaitable[None]]
POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 10.0


async def _nothing(_abandoned: list[Job]) -> None:
    return None


class Worker:
    def __init__(self, database: Database, handlers: dict[str, Handler], *,
                 on_abandoned: Callable[[list[Job]], Awaitable[None]] | None = None,
                 stale_after: timedelta = service.STALE_AFTER, concurrency: int = 4) -> None:
        self.database = database
        self.stale_after = stale_after
        self.handlers = handlers
        self.concurrency = concurrency
        self.on_abandoned = on_abandoned or _nothing
        self.name = f"{os.uname().nodename}:{os.getpid()}:{secrets.token_hex(3)}"[:80]
        self.progress: dict[uuid.UUID, float] = {}  # jobs running here: their progress, fresher than the row's
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Ends the jobs of a process that stopped (taking back what they half did) before the server serves, then
        runs the loop."""
        try:
            await self._recover()
        except Exception:  # the loop tries again
            log.exception("job recovery")
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="pluralspace-jobs")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        for task in list(self._running):
            await cancel(task)
        await self.database.dispose()

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self._recover()
                while len(self._running) < self.concurrency and \
                        (job := await self.database.write(service.claim, tuple(self.handlers), self.name)) is not None:
                    task = asyncio.get_running_loop().create_task(self._run(job), name=f"job-{job.kind}")
                    self._running.add(task)
                    task.add_done_callback(self._ended)
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop outlives any one failure (the database away for a moment, say)
                log.exception("job loop")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            self._wake.clear()

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self.wake()  # a slot is free: the next queued job need not wait for the poll

    async def _recover(self) -> None:
        abandoned = await self.database.read(service.abandoned, None, self.stale_after, self.database.sqlite)
        # First: the jobs stay running (and their systems' writes refused) until what they wrote is taken back.
        await self.on_abandoned(abandoned)
        if abandoned:
            await self.database.write(service.fail_abandoned, [job.id for job in abandoned])
        for job in abandoned:
            log.warning("job %s was interrupted and has been ended as failed", job.id)

    async def _run(self, job: Job) -> None:
        self.progress[job.id] = 0.0
        beating = asyncio.get_running_loop().create_task(self._beat(job.id))
        try:
            await self.handlers[job.kind](job, self)
        except Exception:
            log.exception("job %s failed", job.id)
            await self.database.write(service.finish, job.id, None, {
                "message": "The job failed on the server; nothing of it was applied.", "path": None, "line": None,
                "column": None})
        finally:
            beating.cancel()
            self.progress.pop(job.id, None)

    async def _beat(self, job_id: uuid.UUID) -> None:
        """Keeps the job's heartbeat (and stored progress) fresh while it runs. On SQLite a write waits for the job's
        own transaction, so the beat lands between its phases; `progress` above is what this process shows."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.database.write(service.heartbeat, job_id, self.progress.get(job_id, 0.0))
            except Exception:
                log.exception("heartbeat of job %s", job_id)

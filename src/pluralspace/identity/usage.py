"""Records when each credential was last used without turning reads into writes.

A request only notes the use in memory; a background task writes the notes in one batch, at most once a minute
per credential, off every request's critical path.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from ..kit.db import Database, table_of
from ..kit.tasks import cancel
from ..kit.timeutil import utcnow
from .credential import Credential

log = logging.getLogger(__name__)

RESOLUTION = timedelta(minutes=1)


class UsageRecorder:
    def __init__(self, database: Database, flush_every: float = 5.0) -> None:
        self._database = database
        self._flush_every = flush_every
        self._pending: dict[uuid.UUID, datetime] = {}
        self._recent: dict[uuid.UUID, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def note(self, credential_id: uuid.UUID, stored_last_used: datetime | None) -> None:
        now = utcnow()
        latest = max(filter(None, (stored_last_used, self._recent.get(credential_id))), default=None)
        if latest is None or now - latest >= RESOLUTION:
            self._pending[credential_id] = now
            self._recent[credential_id] = now

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="credential-usage-flush")

    async def stop(self) -> None:
        await cancel(self._task)
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_every)
            try:
                await self.flush()
            except Exception:
                log.exception("could not record credential usage; will retry")

    async def flush(self) -> None:
        self._forget_old()
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        try:
            await self._database.write(_store_usage, batch)
        except Exception:
            # Put the notes back unless newer ones arrived meanwhile.
            for key, value in batch.items():
                self._pending.setdefault(key, value)
            raise

    def _forget_old(self) -> None:
        cutoff = utcnow() - RESOLUTION
        self._recent = {key: value for key, value in self._recent.items() if value > cutoff}


def _store_usage(session: Session, batch: dict[uuid.UUID, datetime]) -> None:
    table = table_of(Credential)
    # Core executemany: a credential deleted meanwhile simply matches no row.
    statement = update(table).where(table.c.id == bindparam("credential_id")).values(
        last_used_at=bindparam("used_at"))
    session.connection().execute(
        statement, [{"credential_id": key, "used_at": value} for key, value in batch.items()])

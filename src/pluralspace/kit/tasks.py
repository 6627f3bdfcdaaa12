"""Background loops the server runs beside requests (token usage, jobs, audit and event retention, webhook
dispatch)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


async def cancel(task: asyncio.Task[Any] | None) -> None:
    """Stops a loop at its next await and waits until it has stopped, so shutdown never leaves it half-run."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class Every:
    """Runs `step` at start, then every `seconds` (sooner when poked), off the request path. A failing step is
    logged and tried again next time: the loop outlives a database away for a moment."""

    def __init__(self, name: str, seconds: float, step: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self.seconds = seconds
        self._step = step
        self._poked = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    def poke(self) -> None:
        self._poked.set()

    async def _run(self) -> None:
        while True:
            self._poked.clear()
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; will retry", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), self.seconds)

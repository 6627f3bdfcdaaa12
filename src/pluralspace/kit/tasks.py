"""Background loops the server runs beside requests (token usage, jobs, audit retention)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel(task: asyncio.Task[Any] | None) -> None:
    """Stops a loop at its next await and waits until it has stopped, so shutdown never leaves it half-run."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

"""Fixed-window counters for request budgets and failed-login throttling.

In memory for one process; in Redis (`PLURALSPACE_REDIS_URL`) so that several workers share one budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    count: int
    limit: int
    reset_in: int

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)


class Limiter(Protocol):
    async def hit(self, key: str, limit: int, window: int, amount: int = 1) -> Window: ...
    async def reset(self, key: str) -> None: ...
    async def close(self) -> None: ...


def _window_start(window: int, now: float) -> int:
    return int(now // window) * window


class MemoryLimiter:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: dict[str, tuple[int, int]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, limit: int, window: int, amount: int = 1) -> Window:
        now = time.time()
        start = _window_start(window, now)
        stored_start, count = self._counts.get(key, (start, 0))
        count = (count if stored_start == start else 0) + amount
        if len(self._counts) >= self._max_keys and key not in self._counts:
            self._prune(start)
        self._counts[key] = (start, count)
        return Window(count, limit, int(start + window - now) + 1)

    async def reset(self, key: str) -> None:
        self._counts.pop(key, None)

    def _prune(self, current_start: int) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v[0] >= current_start}

    async def close(self) -> None:
        return None


class RedisLimiter:
    """Counters shared by every worker.

    Hits that arrive together go to Redis together: one pipeline, one connection, one round trip for the whole
    batch, while the next batch gathers. A burst of requests therefore needs one connection, not one each (with one
    each, 256 clients exhausted a pool of 64 while a busy event loop was slow to hand connections back). When Redis
    cannot answer, the requests are let through (and logged): a budget outage must not become an API outage.
    """

    def __init__(self, url: str, max_connections: int = 8) -> None:
        import redis.asyncio as redis

        pool = redis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=2,
                                                     socket_timeout=2, socket_connect_timeout=2)
        self._redis = redis.Redis(connection_pool=pool)
        self._pending: list[tuple[str, int, int, asyncio.Future[int]]] = []
        self._sender: asyncio.Task | None = None

    async def hit(self, key: str, limit: int, window: int, amount: int = 1) -> Window:
        now = time.time()
        start = _window_start(window, now)
        counted: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((f"pluralspace:rl:{key}:{start}", amount, window + 1, counted))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_pending())
        return Window(await counted, limit, int(start + window - now) + 1)

    async def _send_pending(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                for (_key, _amount, _ttl, counted), count in zip(batch, await self._counts(batch)):
                    if not counted.done():  # its request may have been cancelled meanwhile
                        counted.set_result(count)
        finally:
            self._sender = None

    async def _counts(self, batch: list[tuple[str, int, int, asyncio.Future[int]]]) -> list[int]:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for redis_key, amount, ttl, _counted in batch:
                    pipe.incrby(redis_key, amount)
                    pipe.expire(redis_key, ttl)
                replies = await pipe.execute()
            return [int(count) for count in replies[0::2]]
        except Exception:  # any Redis failure: count nothing, let the requests through
            log.warning("rate limit store unavailable; %d requests not counted", len(batch), exc_info=True)
            return [amount for _key, amount, _ttl, _counted in batch]

    async def reset(self, key: str) -> None:
        try:
            async for redis_key in self._redis.scan_iter(match=f"pluralspace:rl:{key}:*"):
                await self._redis.delete(redis_key)
        except Exception:  # as in `hit`: the store being away must not fail the request
            log.warning("rate limit store unavailable; %s not reset", key, exc_info=True)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        if self._sender is not None:
            await self._sender
        await self._redis.aclose()


def create_limiter(redis_url: str) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()

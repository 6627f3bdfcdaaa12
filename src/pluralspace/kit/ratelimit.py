"""Fixed-window counters for request budgets and failed-login throttling.

In memory for one process; in Redis (`PLURALSPACE_REDIS_URL`) so that several workers share one budget.
"""

from __future__ import annotations

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
    async def peek(self, key: str, limit: int, window: int) -> Window: ...
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

    async def peek(self, key: str, limit: int, window: int) -> Window:
        return await self.hit(key, limit, window, amount=0)

    async def reset(self, key: str) -> None:
        self._counts.pop(key, None)

    def _prune(self, current_start: int) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v[0] >= current_start}

    async def close(self) -> None:
        return None


class RedisLimiter:
    """Counters shared by every worker. A request waits for a pooled connection rather than failing when many
    arrive at once, and when Redis cannot answer the request is let through (and logged): a budget outage must
    not become an API outage."""

    def __init__(self, url: str, max_connections: int = 64) -> None:
        import redis.asyncio as redis

        pool = redis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=2,
                                                     socket_timeout=2, socket_connect_timeout=2)
        self._redis = redis.Redis(connection_pool=pool)

    async def hit(self, key: str, limit: int, window: int, amount: int = 1) -> Window:
        now = time.time()
        start = _window_start(window, now)
        redis_key = f"pluralspace:rl:{key}:{start}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incrby(redis_key, amount)
                pipe.expire(redis_key, window + 1)
                count, _ = await pipe.execute()
        except Exception:  # any Redis failure: count nothing, let the request through
            log.warning("rate limit store unavailable; request not counted", exc_info=True)
            count = amount
        return Window(int(count), limit, int(start + window - now) + 1)

    async def peek(self, key: str, limit: int, window: int) -> Window:
        return await self.hit(key, limit, window, amount=0)

    async def reset(self, key: str) -> None:
        try:
            async for redis_key in self._redis.scan_iter(match=f"pluralspace:rl:{key}:*"):
                await self._redis.delete(redis_key)
        except Exception:  # as in `hit`: the store being away must not fail the request
            log.warning("rate limit store unavailable; %s not reset", key, exc_info=True)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


def create_limiter(redis_url: str) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()

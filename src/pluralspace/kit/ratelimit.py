"""Fixed-window counters for request budgets and failed-login throttling.

In memory for one process; in Redis (`PLURALSPACE_REDIS_URL`) so that several workers share one budget. While
Redis does not answer, each process counts in memory (see `RedisLimiter`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from .outage import Outage

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
    each, 256 clients exhausted a pool of 64 while a busy event loop was slow to hand connections back).

    Redis away must neither become an API outage nor slow every request: an answer slower than `timeout` (a few
    milliseconds on a healthy network) counts as none, and the first failure opens a circuit. While it is open,
    requests are counted in this process's memory (budgets per worker rather than none) without waiting on Redis,
    and a background probe asks Redis every `retry_every` seconds; its first answer closes the circuit. The outage
    is logged once (kit/outage.py), not once per request.
    """

    def __init__(self, url: str, max_connections: int = 8, timeout: float = 0.1, retry_every: float = 5.0) -> None:
        import redis.asyncio as redis

        pool = redis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=timeout,
                                                     socket_timeout=timeout, socket_connect_timeout=timeout)
        self._redis = redis.Redis(connection_pool=pool)
        self._timeout = timeout
        self._retry_every = retry_every
        self._outage = Outage("redis", log)
        self._fallback = MemoryLimiter()  # counts while the circuit is open
        self._probe: asyncio.Task[None] | None = None
        self._pending: list[tuple[str, int, int, asyncio.Future[int | None]]] = []
        self._sender: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        """False while the circuit is open: Redis is not asked, the in-process fallback counts."""
        return self._probe is None

    async def hit(self, key: str, limit: int, window: int, amount: int = 1) -> Window:
        if not self.available:
            return await self._fallback.hit(key, limit, window, amount)
        now = time.time()
        start = _window_start(window, now)
        counted: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._pending.append((f"pluralspace:rl:{key}:{start}", amount, window + 1, counted))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_pending())
        count = await counted
        if count is None:  # Redis did not answer this batch: counted here instead
            return await self._fallback.hit(key, limit, window, amount)
        return Window(count, limit, int(start + window - now) + 1)

    async def _send_pending(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                counts = await self._counts(batch) if self.available else [None] * len(batch)
                for (_key, _amount, _ttl, counted), count in zip(batch, counts, strict=False):
                    if not counted.done():  # its request may have been cancelled meanwhile
                        counted.set_result(count)
        finally:
            self._sender = None

    async def _counts(self, batch: list[tuple[str, int, int, asyncio.Future[int | None]]]) -> list[int | None]:
        try:
            async with asyncio.timeout(self._timeout):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for redis_key, amount, ttl, _counted in batch:
                        pipe.incrby(redis_key, amount)
                        pipe.expire(redis_key, ttl)
                    replies = await pipe.execute()
            return [int(count) for count in replies[0::2]]
        except Exception as exc:  # any Redis failure: these requests, and the next ones, are counted in memory
            self._open_circuit(exc)
            return [None] * len(batch)

    def _open_circuit(self, exc: BaseException) -> None:
        self._outage.failed(_describe(exc) + "; counting in this process until it answers")
        if self._probe is None:
            self._probe = asyncio.create_task(self._probe_until_back(), name="redis-probe")

    async def _probe_until_back(self) -> None:
        while True:
            await asyncio.sleep(self._retry_every)
            try:
                async with asyncio.timeout(max(self._timeout, 1.0)):  # a probe may wait longer than a request
                    await self._redis.ping()
            except Exception as exc:
                self._outage.failed(_describe(exc) + "; counting in this process until it answers")
                continue
            self._outage.recovered()
            self._probe = None
            return

    async def reset(self, key: str) -> None:
        await self._fallback.reset(key)  # what was counted here during an outage goes too
        if not self.available:
            return
        try:
            async with asyncio.timeout(self._timeout * 4):  # a scan and a delete or two
                async for redis_key in self._redis.scan_iter(match=f"pluralspace:rl:{key}:*"):
                    await self._redis.delete(redis_key)
        except Exception as exc:  # as in `hit`: the store being away must not fail the request
            self._open_circuit(exc)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        if self._sender is not None:
            await self._sender
        if self._probe is not None:
            self._probe.cancel()
        await self._redis.aclose()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else f"no answer ({type(exc).__name__})"


def create_limiter(redis_url: str, timeout: float = 0.1, retry_every: float = 5.0) -> Limiter:
    return RedisLimiter(redis_url, timeout=timeout, retry_every=retry_every) if redis_url else MemoryLimiter()

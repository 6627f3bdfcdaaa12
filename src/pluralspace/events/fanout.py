"""Live events for this process's streams: new rows of the events table, read once and handed to every subscriber.

The events table is the truth: a stream never hears of a change that did not commit, and nothing is lost while a
signal is. The hub reads the rows after the last it saw whenever it is poked, and every `poll_seconds` regardless:

* a commit in this process that recorded events pokes it at once (a pool `checkin` listener);
* the same commit is announced to the other processes: on Redis pub/sub when Redis is configured, else with
  PostgreSQL's NOTIFY; their hubs poke themselves when they hear it. On SQLite there is one process and no signal.
* should the signal's connection fail, it is opened again every few seconds; meanwhile the polling carries on, and
  writes never notice (they only ever touch the database).

On PostgreSQL, ids are handed out before commit, so a row may commit after one with a higher id. A gap below the
highest id seen is read again on every pass until its row appears, or for GAP_SECONDS (a rolled-back write leaves a
gap for good).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection

from ..kit.db import Database
from ..kit.tasks import cancel
from . import service
from .models import Event

log = logging.getLogger("pluralspace.events")

CHANNEL = "pluralspace_events"
GAP_SECONDS = 10.0
SIGNAL_RETRY_SECONDS = 5.0
BATCH = 500
QUEUE_SIZE = 1000  # events a slow subscriber may fall behind before its stream is closed (it resumes by id)


@dataclass
class Published:
    """One new event with its two renderings encoded once, however many streams send it."""

    event: Event
    _encoded: dict[bool, str | None] = field(default_factory=dict)

    def encoded(self, audience: service.Audience, system_hid: str) -> str | None:
        if self.event.type not in audience.types:
            return None
        if audience.owner not in self._encoded:
            shown = audience.shown(self.event, system_hid)
            self._encoded[audience.owner] = None if shown is None else json.dumps(shown, separators=(",", ":"))
        return self._encoded[audience.owner]


@dataclass(eq=False)
class Subscription:
    system_uuid: uuid.UUID
    types: frozenset[str]  # only these are handed to it: a stream is not woken for events it would not send
    queue: asyncio.Queue[Published] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False


class Hub:
    def __init__(self, database: Database, poll_seconds: float, redis_url: str = "") -> None:
        self.database = database
        self.poll_seconds = poll_seconds
        self.redis_url = redis_url
        self._subscribers: dict[uuid.UUID, set[Subscription]] = {}
        self._cursor = 0  # every id up to here was read (or given up on)
        self._seen: set[int] = set()  # ids above the cursor already read
        self._gaps: dict[int, float] = {}  # ids above the cursor not seen yet, and since when
        self._poked = asyncio.Event()
        self._announce: asyncio.Queue[None] = asyncio.Queue(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._also: list[Callable[[], None]] = []
        self.signal_connected = False
        sa_event.listen(database.engine, "rollback", self._on_rollback)
        sa_event.listen(database.engine, "checkin", self._on_checkin)

    # --- subscribers ---------------------------------------------------------------------------------------------

    def subscribe(self, system_uuid: uuid.UUID, types: frozenset[str]) -> Subscription:
        subscription = Subscription(system_uuid, types)
        self._subscribers.setdefault(system_uuid, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._subscribers.get(subscription.system_uuid)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[subscription.system_uuid]

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    # --- commits -------------------------------------------------------------------------------------------------

    def _on_rollback(self, connection: Connection) -> None:
        if connection.invalidated:  # a dead connection (a killed backend): reading its info would reconnect
            return
        connection.info.pop(service.RECORDED, None)

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        # A connection goes back to the pool after its transaction ended; a rolled-back one has lost the mark, so
        # a mark still there means committed events (the `commit` event would come before the COMMIT itself). On
        # SQLite this runs on a worker thread; on PostgreSQL on the loop.
        if record is not None and record.info.pop(service.RECORDED, False) and self._loop is not None:
            self._loop.call_soon_threadsafe(self._committed)

    def also_poke(self, callback: Callable[[], None]) -> None:
        """`callback` runs too when a commit here recorded events (the webhook dispatcher)."""
        self._also.append(callback)

    def _committed(self) -> None:
        self._poked.set()
        for callback in self._also:
            callback()
        with contextlib.suppress(asyncio.QueueFull):  # one announcement pending covers every commit before it
            self._announce.put_nowait(None)

    def poke(self) -> None:
        self._poked.set()

    # --- running -------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            self._cursor = await self.database.read(service.newest_id)
        except Exception:
            log.exception("could not read the newest event id; streams start from the next one seen")
        self._tasks = [self._loop.create_task(self._read_loop(), name="events-read")]
        if self.redis_url:
            self._tasks.append(self._loop.create_task(self._redis_signal(), name="events-redis"))
        elif not self.database.sqlite:
            self._tasks.append(self._loop.create_task(self._postgres_signal(), name="events-notify"))

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel(task)
        self._tasks = []
        self._loop = None

    async def _read_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), self.poll_seconds)
            self._poked.clear()
            try:
                await self.read_new()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database away for a moment; the next pass reads what this one missed
                log.debug("reading new events failed", exc_info=True)

    async def read_new(self) -> None:
        if not self._subscribers:
            # Nobody listens here: keep up with the newest id without reading the rows.
            newest = await self.database.read(service.newest_id)
            self._cursor, self._seen, self._gaps = max(self._cursor, newest), set(), {}
            return
        while True:
            rows = await self.database.read(service.recent, self._cursor, BATCH)
            fresh = [row for row in rows if row.id not in self._seen]
            self._note(rows)
            for row in fresh:
                self._hand_out(Published(row))
            if len(rows) < BATCH:
                return

    def _note(self, rows: list[Event]) -> None:
        now = time.monotonic()
        for row in rows:
            self._gaps.pop(row.id, None)
            self._seen.add(row.id)
        top = max(self._seen, default=self._cursor)
        for missing in range(self._cursor + 1, top):
            if missing not in self._seen:
                self._gaps.setdefault(missing, now)
        self._gaps = {i: since for i, since in self._gaps.items() if now - since < GAP_SECONDS}
        self._cursor = min(self._gaps, default=top + 1) - 1
        self._seen = {i for i in self._seen if i > self._cursor}

    def _hand_out(self, published: Published) -> None:
        for subscription in self._subscribers.get(published.event.system_uuid, ()):
            if published.event.type not in subscription.types:
                continue
            try:
                subscription.queue.put_nowait(published)
            except asyncio.QueueFull:
                subscription.overflowed = True

    # --- signals between processes -------------------------------------------------------------------------------

    async def _redis_signal(self) -> None:
        import redis.asyncio as redis

        while True:
            client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2.0)
            listening: asyncio.Task[None] | None = None
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(CHANNEL)
                self._connected("Redis")
                listening = asyncio.get_running_loop().create_task(self._hear_redis(pubsub))
                while True:
                    await self._announce.get()
                    await client.publish(CHANNEL, "1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._lost("Redis", exc)
            finally:
                await cancel(listening)
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(SIGNAL_RETRY_SECONDS)

    async def _hear_redis(self, pubsub: Any) -> None:
        async for _message in pubsub.listen():
            self.poke()

    async def _postgres_signal(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        url = self.database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(url, timeout=self.database.bounds.connect)
                await connection.add_listener(CHANNEL, lambda *_args: self.poke())
                self._connected("PostgreSQL LISTEN")
                while True:
                    await self._announce.get()
                    await connection.execute(f"NOTIFY {CHANNEL}")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._lost("PostgreSQL LISTEN", exc)
            finally:
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(SIGNAL_RETRY_SECONDS)

    def _connected(self, what: str) -> None:
        if not self.signal_connected:
            log.info("events: other workers' changes arrive through %s", what)
        self.signal_connected = True

    def _lost(self, what: str, exc: Exception) -> None:
        if self.signal_connected:
            log.warning("events: %s is unavailable (%s); polling the events table every %g s until it is back",
                        what, exc, self.poll_seconds)
        self.signal_connected = False

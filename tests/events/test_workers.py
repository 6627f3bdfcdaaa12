"""Several workers on one database: a stream on one worker sees a change made on another within a second, through
Redis pub/sub, PostgreSQL LISTEN/NOTIFY or (SQLite, or a signal that is down) the polling of the events table; and
a dead signal never breaks a write."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ..conftest import REDIS_ENV, Backend, service_url
from ..helpers import data
from .sse import Stream

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there


def signal_settings(migrated: Backend, signal: str) -> dict[str, Any]:
    if signal == "redis":
        return {"redis_url": service_url(REDIS_ENV)}
    if signal == "dead redis":
        return {"redis_url": DEAD_REDIS, "redis_timeout": 0.05}
    return {}


@pytest.mark.parametrize("signal", ["redis", "database", "dead redis"])
def test_a_change_on_one_worker_reaches_a_stream_on_another(make_server: Any, migrated: Backend,
                                                             signal: str) -> None:
    settings = signal_settings(migrated, signal)
    reader, writer = make_server(**settings), make_server(**settings)
    api = writer.api()
    try:
        owner = api.register()
        time.sleep(0.5)  # the signal connections come up
        events = Stream(reader.url, "/api/v1/systems/@me/events", owner.session)
        try:
            assert events.status == 200
            delays = []
            for index in range(5):
                data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": f"W{index}"}), 201)
                committed = time.monotonic()  # the write answered: it committed on the other worker
                event = events.next(timeout=5)
                delays.append(time.monotonic() - committed)
                assert event["data"]["name"] == f"W{index}"
            assert max(delays) < 1.0, delays
            if signal == "redis" or (signal == "database" and migrated.name == "postgres"):
                assert reader.state.events.signal_connected and writer.state.events.signal_connected
        finally:
            events.close()
    finally:
        api.close()

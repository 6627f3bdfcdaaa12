"""A Server-Sent Events client for tests: reads a stream on a thread of its own into a queue."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from typing import Any

import httpx


class Stream:
    def __init__(self, base_url: str, path: str, token: str | None = None, *, last_event_id: str | None = None,
                 params: dict[str, str] | None = None) -> None:
        headers = {"Accept": "text/event-stream"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self._client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(30, read=None))
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.pings = 0
        self.status = 0
        self.body = b""
        self.ended = threading.Event()
        self._ready = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._read, args=(path, headers, params), daemon=True)
        self._thread.start()
        assert self._ready.wait(30), "the stream did not answer"

    def _read(self, path: str, headers: dict[str, str], params: dict[str, str] | None) -> None:
        try:
            with self._client.stream("GET", path, headers=headers, params=params) as response:
                self.status = response.status_code
                if self.status != 200:
                    self.body = response.read()
                    self._ready.set()
                    return
                self._ready.set()
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if line == "":
                        if "data" in fields:
                            self.events.put({"id": fields.get("id"), "event": fields.get("event"),
                                             **json.loads(fields["data"])})
                        fields = {}
                    elif line.startswith(":"):
                        self.pings += 1
                    else:
                        key, _, value = line.partition(":")
                        fields[key] = value.removeprefix(" ")
        except httpx.HTTPError:
            if not self._closed:
                raise
        finally:
            self._ready.set()
            self.ended.set()

    def next(self, timeout: float = 10.0) -> dict[str, Any]:
        return self.events.get(timeout=timeout)

    def nothing_within(self, seconds: float) -> bool:
        try:
            got = self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected event {got}")

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(Exception):
            self._client.close()
        self._thread.join(timeout=5)

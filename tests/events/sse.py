"""A Server-Sent Events client for tests: reads a stream on a thread of its own into a queue."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
from typing import Any
from urllib.parse import urlencode, urlsplit


class Stream:
    """One stream. `close` shuts its socket down, which ends the reading thread at once (as a dropped connection)."""

    def __init__(self, base_url: str, path: str, token: str | None = None, *, last_event_id: str | None = None,
                 params: dict[str, str] | None = None) -> None:
        headers = {"Accept": "text/event-stream"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        parsed = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=60)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.pings = 0
        self.status = 0
        self.body = b""
        self.ended = threading.Event()
        self._ready = threading.Event()
        target = path + (f"?{urlencode(params)}" if params else "")
        self._thread = threading.Thread(target=self._read, args=(target, headers), daemon=True)
        self._thread.start()
        assert self._ready.wait(30), "the stream did not answer"

    def _read(self, target: str, headers: dict[str, str]) -> None:
        try:
            self._connection.request("GET", target, headers=headers)
            response = self._connection.getresponse()
            self.status = response.status
            if self.status != 200:
                self.body = response.read()
                return
            self._ready.set()
            fields: dict[str, str] = {}
            while line := response.readline():
                text = line.decode().rstrip("\r\n")
                if text == "":
                    if "data" in fields:
                        self.events.put({"id": fields.get("id"), "event": fields.get("event"),
                                         **json.loads(fields["data"])})
                    fields = {}
                elif text.startswith(":"):
                    self.pings += 1
                else:
                    key, _, value = text.partition(":")
                    fields[key] = value.removeprefix(" ")
        except Exception:
            pass  # the socket was shut by `close` (or by the server) mid-read: http.client fails in several ways
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
        if self._connection.sock is not None:
            with contextlib.suppress(OSError):
                self._connection.sock.shutdown(socket.SHUT_RDWR)
        self._connection.close()
        self._thread.join(timeout=5)

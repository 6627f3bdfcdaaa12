"""A webhook receiver on loopback: records every request, answers as the test says, and checks signatures the
Standard Webhooks way with nothing but the standard library."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_with(self, secret: str, tolerance: float = 300) -> bool:
        """The spec's verification: HMAC-SHA256 of `id.timestamp.body` with the secret's key, any `v1,` match."""
        key = base64.b64decode(secret.removeprefix("whsec_"))
        message_id, timestamp = self.headers["webhook-id"], self.headers["webhook-timestamp"]
        if abs(time.time() - int(timestamp)) > tolerance:
            return False
        expected = base64.b64encode(hmac.new(key, f"{message_id}.{timestamp}.".encode() + self.body,
                                             hashlib.sha256).digest()).decode()
        offered = [part.removeprefix("v1,") for part in self.headers["webhook-signature"].split()
                   if part.startswith("v1,")]
        return any(hmac.compare_digest(expected, candidate) for candidate in offered)


class Receiver:
    """`answer(request_number)` gives (status, delay seconds) for each request; 200 at once by default."""

    def __init__(self, answer: Callable[[int], tuple[int, float]] | None = None) -> None:
        self.answer = answer or (lambda _n: (200, 0.0))
        self.received: list[Received] = []
        self.attempts = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    number = receiver.attempts
                    receiver.attempts += 1
                status, delay = receiver.respond(number, body)
                if delay:
                    time.sleep(delay)
                if status < 300:
                    with receiver._lock:
                        receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                try:
                    self.send_response(status)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def respond(self, number: int, _body: bytes) -> tuple[int, float]:
        return self.answer(number)

    def wait_for(self, count: int, seconds: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.received)} of {count} deliveries arrived within {seconds} s")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class PluralKitReceiver(Receiver):
    """A receiver of PluralKit dispatch events as PluralKit asks them to be checked: 401 for a body whose
    `signing_token` is not `token` (None until its owner is told the token: 401 for everything)."""

    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def respond(self, number: int, body: bytes) -> tuple[int, float]:
        offered = json.loads(body).get("signing_token")
        return (200, 0.0) if self.token is not None and hmac.compare_digest(offered, self.token) else (401, 0.0)

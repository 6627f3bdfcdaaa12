"""Sending webhook deliveries: Standard Webhooks signatures, the SSRF guard, and the job that works through a
webhook's pending deliveries in order (webhooks.py keeps the books).

Signing (https://www.standardwebhooks.com): `webhook-id` (the event's id, the same on every retry and redelivery),
`webhook-timestamp` (Unix seconds) and `webhook-signature` = `v1,` + base64 HMAC-SHA256, keyed with the base64 part
of the `whsec_` secret, of `<id>.<timestamp>.<body>`.

SSRF: a webhook's host is resolved when it is set and again before every attempt, and the request goes to the very
address that was checked (with the name as Host and TLS server name), so a name that later resolves to a private
address (DNS rebinding) reaches nothing inside. Loopback, private, link-local and other non-global addresses are
refused unless PLURALSPACE_WEBHOOK_ALLOW_PRIVATE is set.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ..events.service import prune as prune_events
from ..jobs.models import Job
from ..jobs.worker import Handler, Worker
from ..kit.db import Database
from ..kit.tasks import Every
from ..kit.timeutil import utcnow
from . import webhooks
from .webhooks import Attempt, Outcome

log = logging.getLogger("pluralspace.events")

SWEEP_SECONDS = 30.0
RETENTION_SECONDS = 3600.0
USER_AGENT = "pluralspace-webhooks"


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(webhooks.SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class Refused(Exception):
    """The URL may not be called (it resolves to a forbidden address, or not at all)."""


@dataclass(frozen=True)
class Target:
    url: httpx.URL  # with the checked address as its host
    host: str  # the name, for Host and the TLS server name


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


async def resolve(url: str, allow_private: bool) -> Target:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise Refused(f"is not a URL httpx can send to ({exc})") from None
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"{host} does not resolve ({exc})") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise Refused(f"{host} does not resolve")
    if not allow_private:
        bad = [str(a) for a in addresses if _forbidden(a)]
        if bad:
            raise Refused(f"{host} resolves to a private, loopback or link-local address ({bad[0]}), which this "
                          "server does not call")
    return Target(url=parsed.copy_with(host=str(addresses[0])), host=host)


class Sender:
    def __init__(self, allow_private: bool, timeout: float) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)

    async def close(self) -> None:
        await self._client.aclose()

    async def send(self, attempt: Attempt) -> Outcome:
        return await self.post(attempt.url, attempt.body, attempt.secret if attempt.format == webhooks.STANDARD
                               else None, attempt.message_id)

    async def post(self, url: str, payload: dict[str, Any], secret: str | None = None,
                   message_id: str = "") -> Outcome:
        """POSTs `payload` as JSON to `url` (SSRF-checked), signed the Standard Webhooks way when a `secret` is
        given (other formats carry their proof in the body, as PluralKit's `signing_token`)."""
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            target = await resolve(url, self.allow_private)
            body = json.dumps(payload, separators=(",", ":")).encode()
            headers = {"content-type": "application/json", "user-agent": USER_AGENT, "host": _host_header(url)}
            if secret is not None:
                headers.update(signed_headers(secret, message_id, body))
            response = await self._client.post(target.url, content=body, headers=headers,
                                               extensions={"sni_hostname": target.host})
            status = response.status_code
            if not 200 <= status < 300:
                error = f"the receiver answered HTTP {status}"
        except Refused as exc:
            error = str(exc)
        except httpx.TimeoutException:
            error = f"no answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"could not deliver: {type(exc).__name__} {exc}".strip()
        return Outcome(status, error, round((time.monotonic() - started) * 1000))


async def post_once(allow_private: bool, timeout: float, url: str, payload: dict[str, Any]) -> Outcome:
    """One unsigned POST outside the queue, with the same SSRF checks: a URL's test when it is set (PluralKit's
    PING), whose answer decides whether the URL is taken."""
    sender = Sender(allow_private, timeout)
    try:
        return await sender.post(url, payload)
    finally:
        await sender.close()


def signed_headers(secret: str, message_id: str, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, body)}


def _host_header(url: str) -> str:
    parsed = httpx.URL(url)
    default = 443 if parsed.scheme == "https" else 80
    return parsed.host if parsed.port in (None, default) else f"{parsed.host}:{parsed.port}"


@dataclass(frozen=True)
class RetryPolicy:
    first_seconds: float
    window_seconds: float


def delivery_handler(database: Database, sender: Sender, policy: RetryPolicy,
                     bodies: Mapping[str, webhooks.Body]) -> Handler:
    """The job of kind `webhook`: sends its webhook's pending deliveries in order until none is due; `bodies`
    writes an event for each webhook format (Standard Webhooks here, PluralKit's dispatch in pk/).

    Its bookkeeping goes through the server's own `database`, not the queue's connection: on SQLite the writes then
    queue in-process with the requests' (one writer at a time) instead of meeting them at the file lock, where a
    request would wait in SQLite's busy handler."""

    async def handle(job: Job, worker: Worker) -> None:
        webhook_id = uuid.UUID(job.payload["webhook_id"])
        done: tuple[Attempt, Outcome] | None = None
        while True:
            # One transaction notes the last attempt's outcome and finds the next: a write per delivery.
            step = await database.write(webhooks.next_step, job.id, webhook_id, done, utcnow(), policy.first_seconds,
                                        policy.window_seconds, bodies)
            if step is None:  # the job ended with that transaction
                return
            if not isinstance(step, Attempt):
                await worker.database.write(webhooks.wait_until, job.id, webhook_id, step)
                return
            done = (step, await sender.send(step))

    return handle


class Dispatcher:
    """Turns new events into deliveries (poked after every commit that recorded events, else every poll), queues
    jobs for webhooks left without one, and removes events past the retention."""

    def __init__(self, database: Database, jobs_worker: Worker, poll_seconds: float, retention_days: int) -> None:
        self._database = database
        self._jobs = jobs_worker
        self._retention_days = retention_days
        self._dispatching = Every("webhook-dispatch", poll_seconds, self._dispatch)
        self._sweeping = Every("webhook-sweep", SWEEP_SECONDS, self._sweep)
        self._pruning = Every("events-retention", RETENTION_SECONDS, self._prune)

    def start(self) -> None:
        self._dispatching.start()
        self._sweeping.start()
        if self._retention_days > 0:
            self._pruning.start()

    async def stop(self) -> None:
        for loop in (self._dispatching, self._sweeping, self._pruning):
            await loop.stop()

    def poke(self) -> None:
        self._dispatching.poke()

    async def _dispatch(self) -> None:
        if not await self._database.read(webhooks.undispatched):
            return  # the common case costs a read, not a write (SQLite has one writer at a time)
        while (handled := await self._database.write(webhooks.dispatch)) > 0:
            self._jobs.wake()
            if handled < webhooks.DISPATCH_BATCH:
                return

    async def _sweep(self) -> None:
        await self._database.write(webhooks.sweep)
        self._jobs.wake()

    async def _prune(self) -> None:
        removed = await self._database.write(prune_events, self._retention_days)
        if removed:
            log.info("removed %d events older than %d days", removed, self._retention_days)

"""The edge of every request: request id, CORS, body size and media type, request budgets, metrics.

Pure ASGI (no BaseHTTPMiddleware), so it adds no task or stream copy to the hot path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from . import metrics
from .context import accept_request_id, request_id_var
from .crypto import token_prefix
from .envelope import error_body
from .errors import ApiError, PayloadTooLarge, RateLimited, UnsupportedMediaType, ValidationFailed
from .pagination import cursor_signing_key, signing_key_var
from .ratelimit import Limiter

log = logging.getLogger("pluralspace.errors")

@dataclass(frozen=True)
class Surface:
    """A part of the URL space with its own error format and rate-limit headers (the PluralKit API)."""

    prefix: str
    render_error: Callable[[ApiError, str, str], tuple[int, bytes, bytes]]  # (error, method, path) -> response
    rate_headers: Callable[[list[tuple[bytes, bytes]], int, str], None]  # adjusts headers in place


BODY_METHODS = {"POST", "PUT", "PATCH"}

# Cross-origin use, for browser apps: the API surfaces authenticate with bearer tokens, never cookies, so any origin
# may call them (as PluralKit's API allows). The cookie-session pages (/login, /settings, /oauth/authorize) are not
# among them: no other origin may read those.
CORS_PREFIXES = ("/api/v1/", "/pk/", "/oauth/token", "/oauth/revoke", "/oauth/introspect",
                 "/.well-known/oauth-authorization-server")
CORS_PREFLIGHT_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE"),
    (b"access-control-allow-headers", b"Authorization, Content-Type, X-Request-Id"),
    (b"access-control-max-age", b"600"),
    (b"content-length", b"0"),
]
CORS_RESPONSE_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers",
     b"X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Scope, Retry-After"),
]
UNMETERED_PATHS = {f"{prefix}/{name}" for prefix in ("/api/v1", "/api/v1/system", "/system")
                   for name in ("health", "ready", "version")} | {"/metrics"}
JSON_API_PREFIX = "/api/v1/"


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, limiter: Limiter,
                 body_limit_for: Callable[[str], int] | None = None,
                 media_type_exempt: Callable[[str], bool] | None = None,
                 surfaces: tuple[Surface, ...] = (), streamed: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter
        self.surfaces = surfaces
        self.cursor_key = cursor_signing_key(settings.secret_key)
        # Browsers that reached the server over https once keep to https for a year (RFC 6797).
        self.transport_headers = ([(b"strict-transport-security", b"max-age=31536000; includeSubDomains")]
                                  if settings.base_url.startswith("https://") else [])
        self.body_limit_for = body_limit_for or (lambda path: settings.max_body_bytes)
        self.media_type_exempt = media_type_exempt or (lambda path: False)
        # Paths whose handler streams the body itself, under its own limit and media types (import uploads).
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cross_origin = _header(scope, b"origin") is not None and scope["path"].startswith(CORS_PREFIXES)
        if cross_origin and scope["method"] == "OPTIONS":  # a preflight: answered here, not routed nor metered
            await send({"type": "http.response.start", "status": 204, "headers": CORS_PREFLIGHT_HEADERS})
            await send({"type": "http.response.body", "body": b""})
            return
        request_id = accept_request_id(_header(scope, b"x-request-id"))
        request_id_var.set(request_id)
        signing_key_var.set(self.cursor_key)
        started = time.perf_counter()
        extra_headers = [(b"x-request-id", request_id.encode()), *self.transport_headers]
        if cross_origin:
            extra_headers += CORS_RESPONSE_HEADERS
        status_holder: dict[str, int | None] = {"status": None}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message["headers"] = list(message.get("headers", [])) + extra_headers
            await send(message)

        try:
            _refuse_nul_in_target(scope)
            receive = await self._checked_body(scope, receive)
            await self._meter(scope, extra_headers)
            await self.app(scope, receive, send_with_headers)
        except ApiError as error:
            await _send_error(send_with_headers, error, scope, self._surface(scope))
        except Exception:
            log.exception("unexpected error")
            if status_holder["status"] is None:
                await _send_error(send_with_headers, ApiError(), scope, self._surface(scope))
        finally:
            if self.settings.metrics_enabled:
                metrics.observe(scope, status_holder["status"] or 500, time.perf_counter() - started)

    def _surface(self, scope: Scope) -> Surface | None:
        return next((s for s in self.surfaces if scope["path"].startswith(s.prefix)), None)

    async def _checked_body(self, scope: Scope, receive: Receive) -> Receive:
        if scope["method"] not in BODY_METHODS or scope["path"] in self.streamed:
            return receive
        path = scope["path"]
        limit = self.body_limit_for(path)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The body is over the limit of {limit} bytes.")
        body = await _read_body(receive, limit)
        if body and path.startswith(JSON_API_PREFIX) and not self.media_type_exempt(path) \
                and not _is_json(_header(scope, b"content-type")):
            raise UnsupportedMediaType()
        return _replay(body)

    async def _meter(self, scope: Scope, extra_headers: list[tuple[bytes, bytes]]) -> None:
        if not self.settings.rate_limit_enabled or scope["path"] in UNMETERED_PATHS:
            return
        writes = scope["method"] in BODY_METHODS or scope["method"] == "DELETE"
        budget = self.settings.rate_limit_write if writes else self.settings.rate_limit_read
        key = f"{'w' if writes else 'r'}:{_client_key(scope)}"
        window = await self.limiter.hit(key, budget, self.settings.rate_limit_window)
        extra_headers += [
            (b"x-ratelimit-limit", str(window.limit).encode()),
            (b"x-ratelimit-remaining", str(window.remaining).encode()),
            (b"x-ratelimit-reset", str(window.reset_in).encode()),
        ]
        surface = self._surface(scope)
        if surface is not None:
            surface.rate_headers(extra_headers, window.reset_in, scope["method"])
        if not window.allowed:
            raise RateLimited(window.reset_in)


def _refuse_nul_in_target(scope: Scope) -> None:
    """NUL in a path or query would reach the database as text, which PostgreSQL refuses."""
    if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
        raise ValidationFailed("The URL must not contain NUL characters.", {"fields": {"query": "contains NUL"}})


def _client_key(scope: Scope) -> str:
    """A well-formed token is its own budget; anything else is counted by address."""
    authorization = _header(scope, b"authorization") or ""
    token = authorization.split(" ", 1)[-1].strip()
    if token and token_prefix(token):
        return "t:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return _address_key(scope)


def _address_key(scope: Scope) -> str:
    client = scope.get("client")
    return "a:" + (client[0] if client else "unknown")


async def charge_unknown_token(scope: Scope, settings: Settings, limiter: Limiter) -> None:
    """A well-formed token that turns out to be unknown, expired or revoked is also counted against its address's
    read budget: otherwise every made-up token would bring a fresh budget with it. Over budget, 429."""
    if not settings.rate_limit_enabled:
        return
    window = await limiter.hit(f"r:{_address_key(scope)}", settings.rate_limit_read, settings.rate_limit_window)
    if not window.allowed:
        raise RateLimited(window.reset_in, "Too many requests with tokens that are not valid; retry later.")


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is over the limit of {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _send_error(send: Callable[[Message], Awaitable[None]], error: ApiError, scope: Scope,
                      surface: Surface | None) -> None:
    status, content_type = error.status, b"application/json"
    if surface is not None:
        status, payload, content_type = surface.render_error(error, scope["method"], scope["path"])
    else:
        payload = json.dumps(error_body(error.code, error.message, error.details)).encode()
    headers = [(b"content-type", content_type), (b"content-length", str(len(payload)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})

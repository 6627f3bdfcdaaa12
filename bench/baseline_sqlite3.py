"""The plain-sqlite3 baseline: GET /api/v1/systems/@me served by FastAPI + Python's sqlite3 module, nothing else.

Same file (<BENCH_DATA_DIR>/pluralspace.db), same secret key (<BENCH_DATA_DIR>/secret_key), same work per request
as the real app's authenticated read, minus the framework layers around it:

1. `Authorization: Bearer <token>` parsed (401 without it);
2. HMAC-SHA256(secret key, token) as in pluralspace.kit.crypto.token_hash (the token's CRC checksum is not
   checked: the real app does that in pure Python before the look-up, it is cheap);
3. ONE SELECT joining credentials to systems on account_id by the unique access_hash, with the revocation and
   expiry checked in SQL, and the scope `system:read` checked in Python (403 without it);
4. the same JSON envelope, byte for byte: `{data: SystemOut, meta: {request_id}, request_id}` with the same
   `x-request-id` header, built with json.dumps (no pydantic model).

How the query runs is BENCH_BASELINE_MODE:

* `direct` (default): an `async def` endpoint calls sqlite3 right on the event loop, on one connection opened
  at start-up. A primary-key-sized indexed read takes tens of microseconds, so blocking the loop for it is the
  fastest way to serve it; this is the upper bound "plain sqlite3" can reach in this stack.
* `threadpool`: a plain `def` endpoint, which FastAPI runs on its worker thread pool (anyio, 40 threads), with one
  sqlite3 connection per thread (thread-local). This is the same hand-off the real app makes per unit of work.

Run (what bench/run_ratio.py does):

    BENCH_DATA_DIR=bench/.data python -m uvicorn bench.baseline_sqlite3:create_app --factory \
        --host 127.0.0.1 --port 8001 --no-access-log
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import uuid
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request, Response

QUERY = """
SELECT c.scopes, s.hid, s.uuid, s.name, s.description, s.tag, s.pronouns, s.color, s.avatar_url, s.banner_url,
       s.timezone, s.privacy, s.created_at, s.updated_at
FROM credentials AS c JOIN systems AS s ON s.account_id = c.account_id
WHERE c.access_hash = ? AND c.revoked_at IS NULL
  AND (c.expires_at IS NULL OR c.expires_at > strftime('%Y-%m-%d %H:%M:%f', 'now'))
"""

REQUEST_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def _timestamp(stored: str) -> str:
    # Stored as naive UTC text by the app; rendered as RFC 3339 with Z, exactly like kit.timeutil.
    return datetime.fromisoformat(stored).isoformat() + "Z"


def _request_id(request: Request) -> str:
    offered = request.headers.get("x-request-id")
    if offered and len(offered) <= 128 and set(offered) <= REQUEST_ID_CHARS:
        return offered
    return "req_" + secrets.token_hex(12)


def _error(status: int, code: str, message: str, request_id: str) -> Response:
    body = {"error": {"code": code, "message": message, "details": None, "request_id": request_id},
            "meta": {"request_id": request_id}, "request_id": request_id}
    return Response(json.dumps(body, separators=(",", ":")), status, media_type="application/json",
                    headers={"x-request-id": request_id})


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA busy_timeout=10000")
    return connection


def create_app() -> FastAPI:
    data_dir = Path(os.environ.get("BENCH_DATA_DIR", "bench/.data"))
    db_path = data_dir / "pluralspace.db"
    key = (data_dir / "secret_key").read_text().strip().encode()
    mode = os.environ.get("BENCH_BASELINE_MODE", "direct")
    local = threading.local()
    shared = _connect(db_path) if mode == "direct" else None

    def connection() -> sqlite3.Connection:
        if shared is not None:
            return shared
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = _connect(db_path)
        return conn

    def serve(sid: str, request: Request) -> Response:
        request_id = _request_id(request)
        if sid != "@me":
            return _error(404, "NOT_FOUND", "This baseline serves only @me.", request_id)
        scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _error(401, "UNAUTHENTICATED", "This needs a token.", request_id)
        access_hash = hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
        row = connection().execute(QUERY, (access_hash,)).fetchone()
        if row is None:
            return _error(401, "UNAUTHENTICATED", "The token is expired, revoked or unknown.", request_id)
        (scopes, hid, system_uuid, name, description, tag, pronouns, color, avatar_url, banner_url, timezone,
         privacy, created_at, updated_at) = row
        granted = set(scopes.split())
        if "system:read" not in granted and "system:write" not in granted:
            return _error(403, "INSUFFICIENT_SCOPE", "The token lacks system:read.", request_id)
        data = {
            "id": hid, "uuid": str(uuid.UUID(system_uuid)), "name": name, "description": description, "tag": tag,
            "pronouns": pronouns, "color": f"#{color}" if color else None, "avatar_url": avatar_url,
            "banner_url": banner_url, "timezone": timezone, "privacy": json.loads(privacy),
            "created_at": _timestamp(created_at), "updated_at": _timestamp(updated_at),
        }
        body = {"data": data, "meta": {"request_id": request_id}, "request_id": request_id}
        return Response(json.dumps(body, separators=(",", ":")), media_type="application/json",
                        headers={"x-request-id": request_id})

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/api/v1/health")
    async def health() -> dict:
        return {"data": {"status": "ok"}}

    if mode == "direct":
        @app.get("/api/v1/systems/{sid}")
        async def get_system_direct(sid: str, request: Request) -> Response:
            return serve(sid, request)
    elif mode == "threadpool":
        @app.get("/api/v1/systems/{sid}")
        def get_system_threadpool(sid: str, request: Request) -> Response:
            return serve(sid, request)
    else:
        raise SystemExit(f"BENCH_BASELINE_MODE must be direct or threadpool, not {mode!r}")
    return app

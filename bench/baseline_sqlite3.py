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

The list reads of issue 15 (bench/lists.py `READS`) are served the same way, for the token's own system: the same
look-up, then plain SQL for the same rows (the same page of 50 in the same order, the same joins for includes, the
same derived switches) and the same JSON fields via json.dumps, pagination cursor included (HMAC-signed like
kit/pagination.py). The owner's view only: nothing is hidden from the owner, so there is no privacy rule to apply.

Run (what bench/run_ratio.py does):

    BENCH_DATA_DIR=bench/.data python -m uvicorn bench.baseline_sqlite3:create_app --factory \
        --host 127.0.0.1 --port 8001 --no-access-log
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


# --- the list reads (issue 15): the owner's view of the token's own system ---------------------------------------

MEMBER_COLUMNS = ("hid, uuid, name, display_name, pronouns, description, color, avatar_url, banner_url, birthday, "
                  "roles, proxy_tags, keep_proxy, is_custom_front, archived_at, privacy, created_at, updated_at")
LIMIT = 50
PK_MAX_LIMIT = 200


def _instant(stored: str) -> dict:
    """A stored time as a cursor value (kit/pagination.py: the aware datetime's isoformat)."""
    return {"t": datetime.fromisoformat(stored).replace(tzinfo=UTC).isoformat()}


def _dashed(stored: str) -> str:
    return str(uuid.UUID(stored))


def _color(stored: str | None) -> str | None:
    return f"#{stored}" if stored else None


def _member(row: tuple, system_hid: str) -> dict:
    (hid, member_uuid, name, display_name, pronouns, description, color, avatar_url, banner_url, birthday, roles,
     proxy_tags, keep_proxy, is_custom_front, archived_at, privacy, created_at, updated_at) = row
    return {"id": hid, "uuid": _dashed(member_uuid), "system_id": system_hid, "name": name,
            "display_name": display_name, "pronouns": pronouns, "description": description, "color": _color(color),
            "avatar_url": avatar_url, "banner_url": banner_url, "birthday": birthday, "roles": json.loads(roles),
            "proxy_tags": json.loads(proxy_tags), "keep_proxy": bool(keep_proxy),
            "is_custom_front": bool(is_custom_front), "archived": archived_at is not None, "fields": None,
            "group_ids": None, "relationships": None, "privacy": json.loads(privacy),
            "created_at": _timestamp(created_at), "updated_at": _timestamp(updated_at)}


class Lists:
    """The reads of bench/lists.py READS on one sqlite3 connection; each returns the envelope's `data` (and the
    next cursor for pages)."""

    def __init__(self, key: bytes) -> None:
        self.cursor_key = hmac.new(key, b"pluralspace pagination cursor", hashlib.sha256).digest()

    def cursor(self, values: list) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")
        signature = hmac.new(self.cursor_key, payload.encode(), hashlib.sha256).digest()[:16]
        return f"{payload}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"

    def _paged(self, rows: list, key: Callable[[tuple], list]) -> tuple[list, str | None]:
        if len(rows) <= LIMIT:
            return rows, None
        rows = rows[:LIMIT]
        return rows, self.cursor(key(rows[-1]))

    def members(self, db: sqlite3.Connection, system: tuple, include: bool) -> tuple[list, str | None]:
        system_uuid, system_hid = system
        rows = db.execute(f"SELECT {MEMBER_COLUMNS} FROM members WHERE system_uuid = ? ORDER BY created_at, uuid "
                          f"LIMIT ?", (system_uuid, LIMIT + 1)).fetchall()
        rows, cursor = self._paged(rows, lambda r: [_instant(r[16]), {"u": _dashed(r[1])}])
        members = [_member(row, system_hid) for row in rows]
        if include:
            keys = [row[1] for row in rows]
            marks = ",".join("?" * len(keys))
            fields: dict[str, dict] = {key: {} for key in keys}
            for member_uuid, field_id, value in db.execute(
                    f"SELECT v.member_uuid, v.field_id, v.value FROM field_values AS v JOIN fields AS f "
                    f"ON f.id = v.field_id WHERE v.member_uuid IN ({marks})", keys):
                fields[member_uuid][_dashed(field_id)] = json.loads(value)
            groups: dict[str, list] = {key: [] for key in keys}
            for member_uuid, hid in db.execute(
                    f"SELECT gm.member_uuid, g.hid FROM group_members AS gm JOIN groups AS g ON g.uuid = gm.group_uuid "
                    f"WHERE gm.member_uuid IN ({marks}) ORDER BY g.created_at, g.uuid", keys):
                groups[member_uuid].append(hid)
            for member, key in zip(members, keys, strict=True):
                member["fields"], member["group_ids"] = fields[key], groups[key]
        return members, cursor

    def member(self, db: sqlite3.Connection, system: tuple, hid: str) -> dict | None:
        row = db.execute(f"SELECT {MEMBER_COLUMNS} FROM members WHERE hid = ? AND system_uuid = ?",
                         (hid, system[0])).fetchone()
        return None if row is None else _member(row, system[1])

    @staticmethod
    def _front(row: tuple, system_hid: str, with_member: bool) -> dict:
        front_id, started_at, ended_at, comment, created_at, updated_at = row[:6]
        return {"id": _dashed(front_id), "member_id": row[6], "member": _member(row[6:], system_hid) if with_member
                else None, "started_at": _timestamp(started_at),
                "ended_at": _timestamp(ended_at) if ended_at else None, "comment": comment,
                "created_at": _timestamp(created_at), "updated_at": _timestamp(updated_at)}

    FRONT_SELECT = (f"SELECT f.id, f.started_at, f.ended_at, f.comment, f.created_at, f.updated_at, "
                    f"{', '.join('m.' + c for c in MEMBER_COLUMNS.split(', '))} "
                    f"FROM fronts AS f JOIN members AS m ON m.uuid = f.member_uuid ")

    def fronts(self, db: sqlite3.Connection, system: tuple) -> tuple[list, str | None]:
        rows = db.execute(self.FRONT_SELECT + "WHERE f.system_uuid = ? ORDER BY f.started_at DESC, f.id DESC "
                          "LIMIT ?", (system[0], LIMIT + 1)).fetchall()
        rows, cursor = self._paged(rows, lambda r: [_instant(r[1]), {"u": _dashed(r[0])}])
        return [self._front(row, system[1], True) for row in rows], cursor

    def front(self, db: sqlite3.Connection, system: tuple, front_id: str) -> dict | None:
        row = db.execute(self.FRONT_SELECT + "WHERE f.id = ? AND f.system_uuid = ?",
                         (uuid.UUID(front_id).hex, system[0])).fetchone()
        return None if row is None else self._front(row, system[1], False)

    def fronters(self, db: sqlite3.Connection, system: tuple) -> list:
        rows = db.execute(self.FRONT_SELECT + "WHERE f.system_uuid = ? AND f.ended_at IS NULL",
                          (system[0],)).fetchall()
        rows.sort(key=lambda r: (r[1], _dashed(r[0])))
        return [self._front(row, system[1], True) for row in rows]

    def _switches(self, db: sqlite3.Connection, system: tuple, limit: int) -> tuple[list, bool]:
        """(timestamp, member hids) of the newest `limit` change points, and whether there are more: the newest
        distinct start and end times, then every front around them, then where the set of fronters changes."""
        system_uuid = system[0]
        times = {t for (t,) in db.execute("SELECT DISTINCT started_at FROM fronts WHERE system_uuid = ? "
                                          "ORDER BY started_at DESC LIMIT ?", (system_uuid, limit + 1))}
        times |= {t for (t,) in db.execute("SELECT DISTINCT ended_at FROM fronts WHERE system_uuid = ? AND ended_at "
                                           "IS NOT NULL ORDER BY ended_at DESC LIMIT ?", (system_uuid, limit + 1))}
        moments = sorted(times, reverse=True)[:limit + 1]
        if not moments:
            return [], False
        fronts = db.execute("SELECT m.hid, f.started_at, f.ended_at FROM fronts AS f JOIN members AS m ON m.uuid = "
                            "f.member_uuid WHERE f.system_uuid = ? AND f.started_at <= ? AND (f.ended_at IS NULL OR "
                            "f.ended_at >= ?)", (system_uuid, moments[0], moments[-1])).fetchall()
        switches = []
        for moment in moments:
            after = sorted((start, hid) for hid, start, end in fronts if start <= moment and (end is None
                                                                                              or end > moment))
            before = {hid for hid, start, end in fronts if start < moment and (end is None or end >= moment)}
            if {hid for _, hid in after} != before:
                switches.append((moment, [hid for _, hid in after]))
        return switches[:limit], len(switches) > limit

    def switches(self, db: sqlite3.Connection, system: tuple) -> tuple[list, str | None]:
        found, more = self._switches(db, system, LIMIT)
        return ([{"timestamp": _timestamp(at), "member_ids": hids} for at, hids in found],
                _timestamp(found[-1][0]) if more else None)

    def pk_switches(self, db: sqlite3.Connection, system: tuple) -> list:
        found, _ = self._switches(db, system, 100)
        system_uuid = uuid.UUID(system[0])
        return [{"id": _pk_switch_id(system_uuid, datetime.fromisoformat(at)), "timestamp": _pk_time(at),
                 "members": hids} for at, hids in found]

    def pk_members(self, db: sqlite3.Connection, system: tuple) -> list:
        out = []
        for row in db.execute(f"SELECT {MEMBER_COLUMNS} FROM members WHERE system_uuid = ? AND is_custom_front = 0 "
                              f"ORDER BY created_at, uuid", (system[0],)):
            (hid, member_uuid, name, display_name, pronouns, description, color, avatar_url, banner_url, birthday,
             _roles, proxy_tags, keep_proxy, _custom, _archived, privacy, created_at, _updated) = row
            settings = json.loads(privacy)
            out.append({"id": hid, "uuid": _dashed(member_uuid), "system": system[1], "name": name,
                        "display_name": display_name, "color": color, "birthday": birthday, "pronouns": pronouns,
                        "avatar_url": avatar_url, "webhook_avatar_url": None, "banner": banner_url,
                        "description": description, "created": _pk_time(created_at), "keep_proxy": bool(keep_proxy),
                        "tts": False, "autoproxy_enabled": None, "message_count": None,
                        "last_message_timestamp": None, "proxy_tags": json.loads(proxy_tags),
                        "privacy": {"visibility": settings["visibility"], "name_privacy": settings["name"],
                                    "description_privacy": settings["description"],
                                    "birthday_privacy": settings["birthday"],
                                    "pronoun_privacy": settings["pronouns"], "avatar_privacy": settings["avatar"],
                                    "banner_privacy": settings["avatar"],
                                    "metadata_privacy": settings["metadata"],
                                    "proxy_privacy": settings["metadata"]}})
        return out

    def groups(self, db: sqlite3.Connection, system: tuple) -> tuple[list, str | None]:
        rows = db.execute("SELECT uuid, hid, name, display_name, description, icon, color, parent_uuid, privacy, "
                          "created_at FROM groups WHERE system_uuid = ? ORDER BY created_at, uuid LIMIT ?",
                          (system[0], LIMIT + 1)).fetchall()
        rows, cursor = self._paged(rows, lambda r: [_instant(r[9]), {"u": _dashed(r[0])}])
        keys = [row[0] for row in rows]
        members: dict[str, list] = {key: [] for key in keys}
        for group_uuid, hid in db.execute(
                f"SELECT gm.group_uuid, m.hid FROM group_members AS gm JOIN members AS m ON m.uuid = gm.member_uuid "
                f"WHERE gm.group_uuid IN ({','.join('?' * len(keys))}) ORDER BY m.created_at, m.uuid", keys):
            members[group_uuid].append(hid)
        parents = {row[0]: row[1] for row in rows}
        return [{"id": hid, "uuid": _dashed(key), "name": name, "display_name": display_name,
                 "description": description, "icon": icon, "color": _color(color),
                 "parent_id": parents.get(parent) if parent else None, "member_ids": members[key],
                 "privacy": json.loads(privacy), "created_at": _timestamp(created_at)}
                for key, hid, name, display_name, description, icon, color, parent, privacy, created_at in rows], cursor

    def journal(self, db: sqlite3.Connection, system: tuple) -> tuple[list, str | None]:
        rows = db.execute("SELECT id, title, body, tags, pinned, privacy, created_at, updated_at FROM journal_entries "
                          "WHERE system_uuid = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                          (system[0], LIMIT + 1)).fetchall()
        rows, cursor = self._paged(rows, lambda r: [_instant(r[6]), {"u": _dashed(r[0])}])
        keys = [row[0] for row in rows]
        authors: dict[str, list] = {key: [] for key in keys}
        for entry_id, hid in db.execute(
                f"SELECT a.entry_id, m.hid FROM journal_authors AS a JOIN members AS m ON m.uuid = a.member_uuid "
                f"WHERE a.entry_id IN ({','.join('?' * len(keys))}) ORDER BY a.entry_id, a.position, m.hid", keys):
            authors[entry_id].append(hid)
        return [{"id": _dashed(key), "title": title, "body": body, "author_ids": authors[key],
                 "tags": json.loads(tags), "pinned": bool(pinned), "privacy": privacy,
                 "created_at": _timestamp(created_at), "updated_at": _timestamp(updated_at), "snippet": None}
                for key, title, body, tags, pinned, privacy, created_at, updated_at in rows], cursor

    def _polls(self, db: sqlite3.Connection, rows: list) -> list:
        keys = [row[0] for row in rows]
        marks = ",".join("?" * len(keys))
        tallies: dict[str, dict] = {key: {} for key in keys}
        counts = dict.fromkeys(keys, 0)
        for poll_id, kind, option_ids in db.execute(f"SELECT poll_id, kind, option_ids FROM votes WHERE poll_id IN "
                                                    f"({marks})", keys):
            counts[poll_id] += 1
            tally = tallies[poll_id]
            for option in (json.loads(option_ids) if kind == "choice" else [kind]):
                tally[option] = tally.get(option, 0) + 1
        creators = dict(db.execute(f"SELECT uuid, hid FROM members WHERE uuid IN ({marks})",
                                   [row[9] for row in rows if row[9]]))
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        out = []
        for (key, title, description, options, allow_multiple, allow_abstain, allow_veto, closes_at, closed,
             created_by, created_at) in rows:
            options = json.loads(options)
            tally = tallies[key]
            results = {option["id"]: tally.get(option["id"], 0) for option in options}
            results["abstain"], results["veto"] = tally.get("abstain", 0), tally.get("veto", 0)
            out.append({"id": _dashed(key), "title": title, "description": description,
                        "options": [{"id": o["id"], "label": o["label"], "color": _color(o.get("color"))}
                                    for o in options],
                        "allow_multiple": bool(allow_multiple), "allow_abstain": bool(allow_abstain),
                        "allow_veto": bool(allow_veto), "closes_at": _timestamp(closes_at) if closes_at else None,
                        "closed": bool(closed) or (closes_at is not None and closes_at <= now),
                        "created_by": creators.get(created_by), "results": results, "vote_count": counts[key],
                        "created_at": _timestamp(created_at)})
        return out

    POLL_SELECT = ("SELECT id, title, description, options, allow_multiple, allow_abstain, allow_veto, closes_at, "
                   "closed, created_by, created_at FROM polls ")

    def polls(self, db: sqlite3.Connection, system: tuple) -> tuple[list, str | None]:
        rows = db.execute(self.POLL_SELECT + "WHERE system_uuid = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                          (system[0], LIMIT + 1)).fetchall()
        rows, cursor = self._paged(rows, lambda r: [_instant(r[10]), {"u": _dashed(r[0])}])
        return self._polls(db, rows), cursor

    def poll(self, db: sqlite3.Connection, system: tuple, poll_id: str) -> dict | None:
        rows = db.execute(self.POLL_SELECT + "WHERE id = ? AND system_uuid = ?",
                          (uuid.UUID(poll_id).hex, system[0])).fetchall()
        return self._polls(db, rows)[0] if rows else None


def _pk_time(stored: str) -> str:
    text = datetime.fromisoformat(stored).isoformat()
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "Z"


def _pk_switch_id(system_uuid: uuid.UUID, at: datetime) -> str:
    """pk/switches.switch_id, restated."""
    micros = (at.replace(tzinfo=UTC) - datetime(1900, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    digest = hashlib.sha256(system_uuid.bytes + micros.to_bytes(8, "big")).digest()
    low = int.from_bytes(digest[:8], "big") & ((1 << 62) - 1)
    return str(uuid.UUID(int=(micros >> 12) << 80 | 0x8 << 76 | (micros & 0xFFF) << 64 | 0b10 << 62 | low))


LIST_QUERY = """
SELECT c.scopes, s.uuid, s.hid
FROM credentials AS c JOIN systems AS s ON s.account_id = c.account_id
WHERE c.access_hash = ? AND c.revoked_at IS NULL
  AND (c.expires_at IS NULL OR c.expires_at > strftime('%Y-%m-%d %H:%M:%f', 'now'))
"""


def create_app() -> FastAPI:
    data_dir = Path(os.environ.get("BENCH_DATA_DIR", "bench/.data"))
    db_path = data_dir / "pluralspace.db"
    key = (data_dir / "secret_key").read_text().strip().encode()
    mode = os.environ.get("BENCH_BASELINE_MODE", "direct")
    local = threading.local()
    shared = _connect(db_path) if mode == "direct" else None
    lists = Lists(key)

    def connection() -> sqlite3.Connection:
        if shared is not None:
            return shared
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = _connect(db_path)
        return conn

    def json_response(body: object, request_id: str) -> Response:
        return Response(json.dumps(body, separators=(",", ":")), media_type="application/json",
                        headers={"x-request-id": request_id})

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
        return json_response({"data": data, "meta": {"request_id": request_id}, "request_id": request_id},
                             request_id)

    def serve_list(request: Request, scopes: tuple[str, ...], read: Callable[..., Any], *args: Any,
                   shape: str = "page") -> Response:
        """`shape`: page (data + pagination), one (data; 404 for None), plain (data) or pk (the bare list)."""
        request_id = _request_id(request)
        scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _error(401, "UNAUTHENTICATED", "This needs a token.", request_id)
        db = connection()
        row = db.execute(LIST_QUERY, (hmac.new(key, token.encode(), hashlib.sha256).hexdigest(),)).fetchone()
        if row is None:
            return _error(401, "UNAUTHENTICATED", "The token is expired, revoked or unknown.", request_id)
        granted = set(row[0].split())
        if any(scope not in granted and scope.replace(":read", ":write") not in granted for scope in scopes):
            return _error(403, "INSUFFICIENT_SCOPE", "The token lacks a scope.", request_id)
        db.execute("BEGIN")  # one read transaction, as the app's unit of work
        try:
            found = read(db, (row[1], row[2]), *args)
        finally:
            db.execute("COMMIT")
        if shape == "pk":
            return Response(json.dumps(found, separators=(",", ":")), media_type="application/json")
        meta = {"request_id": request_id}
        if shape == "page":
            data, cursor = found
            body = {"data": data, "pagination": {"limit": LIMIT, "cursor": cursor, "has_more": cursor is not None},
                    "meta": meta, "request_id": request_id}
        elif found is None:
            return _error(404, "NOT_FOUND", "No such object.", request_id)
        else:
            body = {"data": found, "meta": meta, "request_id": request_id}
        return json_response(body, request_id)

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

    # The list reads, on the event loop (the strict baseline of issue 15).
    me = "/api/v1/systems/@me"

    @app.get(f"{me}/members")
    async def members(request: Request, include: str | None = None) -> Response:
        return serve_list(request, ("members:read",) + (("fields:read", "groups:read") if include else ()),
                          lists.members, bool(include))

    @app.get(f"{me}/members/{{mid}}")
    async def member(request: Request, mid: str) -> Response:
        return serve_list(request, ("members:read",), lists.member, mid, shape="one")

    @app.get(f"{me}/fronts")
    async def fronts(request: Request) -> Response:
        return serve_list(request, ("fronts:read", "members:read"), lists.fronts)

    @app.get(f"{me}/fronts/{{front_id}}")
    async def front(request: Request, front_id: str) -> Response:
        return serve_list(request, ("fronts:read",), lists.front, front_id, shape="one")

    @app.get(f"{me}/fronters")
    async def fronters(request: Request) -> Response:
        return serve_list(request, ("fronts:read",), lists.fronters, shape="plain")

    @app.get(f"{me}/switches")
    async def switches(request: Request) -> Response:
        return serve_list(request, ("fronts:read",), lists.switches)

    @app.get(f"{me}/groups")
    async def groups(request: Request) -> Response:
        return serve_list(request, ("groups:read",), lists.groups)

    @app.get(f"{me}/journal")
    async def journal(request: Request) -> Response:
        return serve_list(request, ("journal:read",), lists.journal)

    @app.get(f"{me}/polls")
    async def polls(request: Request) -> Response:
        return serve_list(request, ("polls:read",), lists.polls)

    @app.get(f"{me}/polls/{{poll_id}}")
    async def poll(request: Request, poll_id: str) -> Response:
        return serve_list(request, ("polls:read",), lists.poll, poll_id, shape="one")

    @app.get("/pk/v2/systems/@me/members")
    async def pk_members(request: Request) -> Response:
        return serve_list(request, ("members:read",), lists.pk_members, shape="pk")

    @app.get("/pk/v2/systems/@me/switches")
    async def pk_switches(request: Request) -> Response:
        return serve_list(request, ("fronts:read",), lists.pk_switches, shape="pk")

    return app

"""Cursors are signed: on every keyset list (collected from the app's routes, so a new list is covered without
editing this file), a cursor this server did not issue is 422 VALIDATION_FAILED naming `cursor`, never a 500,
whoever asks; the cursors it does issue keep working."""

from __future__ import annotations

import base64
import json
import re
import uuid

from fastapi.routing import APIRoute

from pluralspace.kit.pagination import page_params

from ..admin.common import ADMIN_TOKEN
from ..helpers import data, error, served_routes


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FORGED = [
    "WyJhIiwxXQ",  # ["a", 1]: the audit's case
    _b64(["a", 1]) + ".AAAAAAAAAAAAAAAAAAAAAA",
    _b64([{"t": "not a time"}, {"u": "not a uuid"}]),
    _b64([{"t": "2024-01-01T00:00:00"}, 1e308]),  # a naive time, a float
    _b64([9_223_372_036_854_775_808, "x" * 300]),  # past 64 bits
    _b64([["nested"], {"k": None}, True]),
    _b64("just a string"), _b64(None), _b64([]),
    ".", "..", "not base64 at all!", "%FF%FE", "é" * 40, "A" * 512,
]


def list_routes(server) -> list:
    """Every GET route whose page comes from `page_params` (the `?cursor=` of a keyset list)."""
    return [served for served in served_routes(server.app)
            if isinstance(served.route, APIRoute) and "GET" in served.methods
            and any(d.call is page_params for d in served.route.dependant.dependencies)]


def concrete(path: str, system_id: str) -> str:
    """The route's path with its parameters filled in: the caller's system, else any well-formed id (a forged
    cursor is refused before anything is looked up)."""
    return re.sub(r"\{(\w+)\}", lambda m: system_id if m.group(1) == "sid" else str(uuid.uuid4()), path)


def test_every_list_refuses_a_cursor_it_did_not_issue(make_server):
    # The administration's lists are lists too; the tokenless tries below must not use up its wrong-token budget.
    server = make_server(admin_token=ADMIN_TOKEN, admin_failures_per_ip=1_000_000)
    api = server.api()
    owner = api.register()
    routes = list_routes(server)
    assert len(routes) >= 15, [r.path for r in routes]  # the lists of members, groups, fronts, journal, ...
    for route in routes:
        path = concrete(route.path, owner.system_id)
        credential = ADMIN_TOKEN if path.startswith("/api/v1/admin/") else owner.session
        for token in (credential, None):
            for cursor in FORGED:
                response = api.get(path, token, params={"cursor": cursor})
                if token is None and response.status_code == 401:
                    continue  # /me lists ask for a session before anything else
                failure = error(response, 422, "VALIDATION_FAILED")
                assert "cursor" in failure["details"]["fields"], (path, cursor, failure)


def test_an_issued_cursor_works_and_a_tampered_one_does_not(api):
    owner = api.register()
    for name in ("Ash", "Birch", "Cedar"):
        data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": name}), 201)
    first = api.get("/api/v1/systems/@me/members", owner.session, params={"limit": 2})
    cursor = first.json()["pagination"]["cursor"]
    rest = data(api.get("/api/v1/systems/@me/members", owner.session, params={"limit": 2, "cursor": cursor}))
    assert [m["name"] for m in data(first) + rest] == ["Ash", "Birch", "Cedar"]
    payload, _, signature = cursor.partition(".")
    values = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered = _b64([values[0], str(uuid.uuid4())]).replace("=", "") + "." + signature
    error(api.get("/api/v1/systems/@me/members", owner.session, params={"cursor": tampered}), 422,
          "VALIDATION_FAILED")


def test_a_cursor_survives_a_restart_with_the_same_secret(make_server, api):
    """The key comes from the server's secret, not from the process: a second server (another worker, or after a
    restart) reads the first one's cursors."""
    owner = api.register()
    for name in ("One", "Two"):
        data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": name}), 201)
    cursor = api.get("/api/v1/systems/@me/members", owner.session, params={"limit": 1}).json()["pagination"]["cursor"]
    other = make_server().api()
    assert [m["name"] for m in data(other.get("/api/v1/systems/@me/members", owner.session,
                                              params={"cursor": cursor}))] == ["Two"]
    stranger = make_server(secret_key="another server's secret " * 2).api()
    # (its token hashes differ too, so the cursor is tried without one, on the system by its id)
    error(stranger.get(f"/api/v1/systems/{owner.system_id}/members", params={"cursor": cursor}), 422,
          "VALIDATION_FAILED")

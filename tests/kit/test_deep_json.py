"""Deeply nested JSON (deeper than any parser's recursion) is a malformed body: 400 in each surface's own error
format, never a 500. Every route that takes a body is tried (collected from the app, so new ones are covered)."""

from __future__ import annotations

import re

from ..helpers import data, error, served_routes
from ..pk.helpers import pk_error

DEEP = b"[" * 100_000
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def body_routes(server) -> list[tuple[str, str]]:
    return sorted({(method, served.path) for served in served_routes(server.app) if served.methods
                   for method in served.methods & BODY_METHODS})


def send_deep(api, method: str, path: str, token: str):
    return api.request(method, path, token, content=DEEP, headers={"Content-Type": "application/json"})


def test_no_route_answers_deep_nesting_with_a_500(server, api):
    owner = api.register()
    member = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Deep"}), 201)
    routes = body_routes(server)
    assert len(routes) >= 40
    for method, template in routes:
        path = re.sub(r"\{(\w+)\}", lambda m: "@me" if m.group(1) == "sid" else member["id"], template)
        response = send_deep(api, method, path, owner.session)
        assert response.status_code < 500, (method, path, response.status_code, response.text[:200])
        assert "Traceback" not in response.text


def test_deep_nesting_is_400_on_every_surface_in_its_own_format(api):
    owner = api.register(system_name="Unchanged")
    error(send_deep(api, "PATCH", "/api/v1/systems/@me", owner.session), 400, "VALIDATION_FAILED")
    error(send_deep(api, "POST", "/api/v1/systems/@me/members", owner.session), 400, "VALIDATION_FAILED")
    for method, path in [("PATCH", "/pk/v2/systems/@me"), ("POST", "/pk/v2/members"),
                         ("POST", "/pk/v2/systems/@me/switches"), ("POST", "/pk/v2/groups"),
                         ("PATCH", "/pk/v2/systems/@me/settings")]:
        pk_error(send_deep(api, method, path, owner.session), 400, 0)
    for method, path in [("PATCH", "/pk/v1/s"), ("POST", "/pk/v1/m"), ("POST", "/pk/v1/s/switches")]:
        assert send_deep(api, method, path, owner.session).status_code == 400, path
    assert data(api.get("/api/v1/systems/@me", owner.session))["name"] == "Unchanged"
    assert data(api.get("/api/v1/systems/@me/members", owner.session)) == []

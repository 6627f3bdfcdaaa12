"""Talking to a test server: accounts, tokens and assertions on the contract's envelope."""

from __future__ import annotations

import secrets
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    email: str
    password: str
    session: str
    refresh: str
    system_id: str
    system_uuid: str
    account_id: str


class Api:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def request(self, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        return self.request("GET", path, token, **kwargs)

    def post(self, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        return self.request("POST", path, token, **kwargs)

    def patch(self, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        return self.request("PATCH", path, token, **kwargs)

    def put(self, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        return self.request("PUT", path, token, **kwargs)

    def delete(self, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        return self.request("DELETE", path, token, **kwargs)

    def close(self) -> None:
        self.client.close()

    def register(self, **extra: Any) -> Account:
        email = f"user-{secrets.token_hex(6)}@example.org"
        created = self.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD, **extra})
        assert created.status_code == 201, created.text
        system = created.json()["data"]["system"]
        tokens = self.login(email, PASSWORD)
        return Account(email, PASSWORD, tokens["access_token"], tokens["refresh_token"], system["id"],
                       system["uuid"], created.json()["data"]["id"])

    def login(self, email: str, password: str) -> dict:
        response = self.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def pat(self, account: Account, *scopes: str, **extra: Any) -> str:
        response = self.post("/api/v1/me/tokens", account.session,
                             json={"name": "test", "scopes": list(scopes), **extra})
        assert response.status_code == 201, response.text
        return response.json()["data"]["token"]


def data(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["request_id"] == body["meta"]["request_id"] == response.headers["x-request-id"]
    return body["data"]


def error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["request_id"] == body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body["error"]


def served_routes(app) -> list:
    """Every route the app serves, included routers flattened: objects with `path` (the full path), `methods`
    (None for a mount) and, for API routes, `route.dependant`."""
    from fastapi import routing

    if hasattr(routing, "iter_route_contexts"):  # FastAPI that includes routers lazily
        return list(routing.iter_route_contexts(app.routes))
    return [_Served(route) for route in app.routes]


class _Served:
    """An older FastAPI's route, shaped like the route contexts of a newer one."""

    def __init__(self, route) -> None:
        self.route, self.path, self.methods = route, route.path, getattr(route, "methods", None)


# A test about something only PostgreSQL has (several processes on one queue, its connection faults): it runs on the
# PostgreSQL backend alone instead of being generated for SQLite and skipped there. Likewise for SQLite alone (its
# one writer at a time).
postgres_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


class QueryCounter:
    """Counts the SQL statements the server runs while the block runs (tests in one process run one at a time)."""

    def __init__(self, server) -> None:
        self.engine = server.state.database.engine
        self.statements: list[str] = []

    def _count(self, _conn, _cursor, statement, *_args) -> None:
        from pluralspace.kit.context import request_id_var

        # Background work (job worker, usage flush, sweeps) runs outside any request, so it has no request id;
        # the event hub reads new events after any commit, from a request's task too. Neither is the request's cost.
        if request_id_var.get() and not statement.lstrip().startswith("SELECT events."):
            self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def selects(self) -> int:
        return sum(1 for s in self.statements if s.lstrip().upper().startswith(("SELECT", "WITH")))


def unit_of_work(server, fn, *, write: bool = False):
    """Runs `fn(session)` on the test server's database from the test's thread (what a tool or import would do)."""
    import asyncio

    from pluralspace.kit.db import Database

    database = Database(server.settings.resolved_database_url, pool_size=1)

    async def run():
        try:
            return await (database.write(fn) if write else database.read(fn))
        finally:
            await database.dispose()

    return asyncio.run(run())


def at_once(*calls) -> None:
    """Runs the calls in threads released together, so their requests race; re-raises the first failure."""
    import threading

    barrier = threading.Barrier(len(calls))
    failures: list[BaseException] = []

    def run(call) -> None:
        try:
            barrier.wait()
            call()
        except BaseException as exc:  # surfaced in the test's thread below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def answer(response: httpx.Response, *refs: str) -> tuple[int, str | None, str]:
    """What a caller can tell from a response apart from its request id and the refs it sent: status, content type
    and body. Two requests for a hidden object and an unknown one must have equal answers."""
    text = response.text
    for volatile in (response.headers.get("x-request-id"), *refs):
        if volatile:
            text = text.replace(volatile, "<ref>")
    return response.status_code, response.headers.get("content-type"), text


def wait_until_serving(process: subprocess.Popen, base_url: str, seconds: float = 60) -> None:
    """Waits for a `pluralspace serve` started by a test to answer /health; fails with its stderr if it exits."""
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, process.stderr.read() if process.stderr else "the server exited"
        try:
            if httpx.get(base_url + "/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)

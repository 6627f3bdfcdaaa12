"""Calling the administration API of a test server."""

from __future__ import annotations

from typing import Any

import httpx

from ..helpers import Api, data

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"


def as_admin(api: Api, method: str, path: str, token: str = ADMIN_TOKEN, **kwargs: Any) -> httpx.Response:
    headers = {"X-Admin-Token": token, **kwargs.pop("headers", {})}
    return api.request(method, path, headers=headers, **kwargs)


def audit_records(api: Api, **filters: str) -> list[dict]:
    """Every audit record matching the filters, newest first, following the cursor."""
    records: list[dict] = []
    cursor = None
    while True:
        params = {"limit": "200", **filters, **({"cursor": cursor} if cursor else {})}
        response = as_admin(api, "GET", "/api/v1/admin/audit-logs", params=params)
        records += data(response)
        cursor = response.json()["pagination"]["cursor"]
        if cursor is None:
            return records


def run_on(database_url: str, fn: Any) -> Any:
    """Runs `fn(session)` as one write on a database, as a tool would (no server needed)."""
    import asyncio

    from pluralspace.kit.db import Database

    async def run():
        database = Database(database_url, pool_size=1)
        try:
            return await database.write(fn)
        finally:
            await database.dispose()

    return asyncio.run(run())

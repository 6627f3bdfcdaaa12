"""Calling the PluralKit surface of a test server the way PluralKit clients do."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from pluralspace.pk.models import PkAccount, PkMessage

from ..helpers import Account, Api, unit_of_work

ALL_SCOPES = ("system:write", "members:write", "groups:write", "fronts:write")


class Pk:
    """Requests to /pk/v2 (or /pk/v1) with the raw token in `Authorization`, as PluralKit clients send it."""

    def __init__(self, api: Api, version: str = "v2") -> None:
        self.api, self.base = api, f"/pk/{version}"

    def __call__(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers.setdefault("Authorization", token)
        return self.api.client.request(method, self.base + path, headers=headers, **kwargs)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else None


def pk_error(response: httpx.Response, status: int, code: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"code", "message", "errors", "retry_after", "scope"}, body
    return body


def owner_token(api: Api, account: Account) -> str:
    return api.pat(account, *ALL_SCOPES)


def write_rows(server, fn: Callable) -> None:
    """Writes rows on the test server's database as an import would."""
    unit_of_work(server, fn, write=True)


def link_account(server, account: Account, discord_id: str) -> None:
    write_rows(server, lambda session: session.add(PkAccount(discord_id=discord_id,
                                                             system_uuid=uuid.UUID(account.system_uuid))))


def record_message(server, account: Account, message_id: str, *, sender: str, member_uuid: str | None = None,
                   original: str | None = None) -> None:
    write_rows(server, lambda session: session.add(PkMessage(
        id=message_id, original=original, system_uuid=uuid.UUID(account.system_uuid),
        member_uuid=uuid.UUID(member_uuid) if member_uuid else None, sender=sender, channel="471388251102380000",
        guild="466378653216014359", timestamp=None)))

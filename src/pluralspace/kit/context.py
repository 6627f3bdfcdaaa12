"""Per-request values every layer may need (set by the request middleware)."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_REQUEST_ID_FORMAT = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default="")


def accept_request_id(offered: str | None) -> str:
    if offered and _REQUEST_ID_FORMAT.match(offered):
        return offered
    return "req_" + secrets.token_hex(12)


def current_request_id() -> str:
    return request_id_var.get()

"""Error responses declared on operations, so the OpenAPI document shows what each can answer."""

from __future__ import annotations

from typing import Any

from .envelope import ErrorEnvelope

_DESCRIPTIONS = {
    400: "VALIDATION_FAILED: the body is not valid JSON",
    401: "UNAUTHENTICATED: missing, malformed, expired or revoked token",
    403: "INSUFFICIENT_SCOPE (token lacks a scope) or FORBIDDEN (kept private)",
    404: "NOT_FOUND",
    409: "CONFLICT (details.reason says which)",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE: send application/json",
    422: "VALIDATION_FAILED: details.fields maps each field to what is wrong",
    429: "RATE_LIMITED: see Retry-After",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE: the database is unreachable",
    507: "STORAGE_FULL: the server cannot store data (disk full, read-only storage)",
}

API = (401, 429, 500, 503)
"""What any API operation may answer: its token refused, its budget spent, a fault, the database away."""
WRITE = (400, 413, 415, 422)


def errors(*statuses: int, api: bool = True) -> dict[int | str, dict[str, Any]]:
    """Error responses of an operation; operational endpoints (`api=False`) are unmetered and take no token."""
    every = set(API) if api else {500}
    return {status: {"model": ErrorEnvelope, "description": _DESCRIPTIONS[status]}
            for status in sorted(set(statuses) | every)}

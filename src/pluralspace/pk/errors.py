"""PluralKit's error format for everything under /pk/: `{"message", "code"[, "errors"][, "retry_after", "scope"]}`.

Native exceptions keep being raised by the shared services; they are rendered here. Endpoints that know what a
404 or 403 means for them (member not found: 20002, member list private: 30001, ...) translate the native
exception into a `PkError` first (see `translate`); anything left falls back to PluralKit's generic code-0 errors.
v1 answered errors as plain text, so /pk/v1 does too.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..kit.errors import (
    ApiError,
    Forbidden,
    InsufficientScope,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    StorageFull,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from ..kit.handlers import allow_header
from ..kit.middleware import Surface

log = logging.getLogger("pluralspace.errors")

PREFIX = "/pk/"
V1_PREFIX = "/pk/v1/"
BAD_REQUEST = "400: Bad Request"
UNAUTHORIZED = "401: Missing or invalid Authorization header"
MISSING_PERMISSIONS = "403: Missing permissions to access this resource"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PkError(ApiError):
    """An error as PluralKit reports it: HTTP status, numeric code, message, and for 40001 the `errors` map."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, list[dict[str, Any]]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message, headers=headers)
        self.status, self.pk_code, self.errors = status, code, errors

    @classmethod
    def invalid(cls, errors: Mapping[str, str]) -> PkError:
        """40001 with one entry per key, as PluralKit's model validation reports it."""
        return cls(400, 40001, "Error parsing JSON model",
                   {key: [{"message": message}] for key, message in errors.items()})

    @classmethod
    def bad_request(cls) -> PkError:
        return cls(400, 0, BAD_REQUEST)


def not_found(code: int, what: str) -> PkError:
    return PkError(404, code, f"{what} not found.")


# Codes PluralKit documents (see docs/PLURALKIT.md) for the errors the translation layer raises.
def system_not_found() -> PkError:
    return not_found(20001, "System")


def member_not_found() -> PkError:
    return not_found(20002, "Member")


def group_not_found() -> PkError:
    return not_found(20004, "Group")


def message_not_found() -> PkError:
    return not_found(20006, "Message")


def switch_not_found() -> PkError:
    return PkError(404, 20008, "Switch not found, switch associated with different system, or unauthorized to "
                               "view front history.")


def member_ref_not_found(ref: str) -> PkError:
    return PkError(404, 20003, f"Member '{ref}' not found.")


def group_ref_not_found(ref: str) -> PkError:
    return PkError(404, 20005, f"Group '{ref}' not found.")


def member_not_yours(ref: str) -> PkError:
    return PkError(403, 30008, f"Member '{ref}' is not part of your system.")


def group_not_yours(ref: str) -> PkError:
    return PkError(403, 30009, f"Group '{ref}' is not part of your system.")


def forbidden(code: int, message: str) -> PkError:
    return PkError(403, code, message)


# PluralKit's 3xxxx codes: the viewer may not see this list, or the target is not theirs.
def _code(code: int, message: str) -> Callable[[], PkError]:
    return lambda: forbidden(code, message)


MEMBER_LIST_PRIVATE = _code(30001, "Unauthorized to view member list")
GROUP_LIST_PRIVATE = _code(30002, "Unauthorized to view group list")
GROUP_MEMBERS_PRIVATE = _code(30003, "Unauthorized to view group member list")
FRONTERS_PRIVATE = _code(30004, "Unauthorized to view current fronters.")
HISTORY_PRIVATE = _code(30005, "Unauthorized to view front history.")
NOT_YOUR_MEMBER = _code(30006, "Target member is not part of your system.")
NOT_YOUR_GROUP = _code(30007, "Target group is not part of your system.")


def translate(exc: ApiError, *, not_found: Callable[[], PkError] | None = None,
              forbidden: Callable[[], PkError] | None = None, fields: Mapping[str, str] | None = None) -> ApiError:
    """A native exception as this endpoint's PluralKit error; what the endpoint does not name stays generic.

    `fields` renames native field paths (`banner_url`) to PluralKit's keys (`banner`) in a 40001 errors map.
    """
    if isinstance(exc, NotFound) and not_found is not None:
        return not_found()
    if isinstance(exc, Forbidden) and forbidden is not None:
        return forbidden()
    if isinstance(exc, ValidationFailed) and not isinstance(exc, MalformedBody):
        reported = (exc.details or {}).get("fields") or {"": exc.message}
        return PkError.invalid({rename(path, fields): message for path, message in reported.items()})
    return exc


def rename(path: str, fields: Mapping[str, str] | None) -> str:
    """A native field path in PluralKit's words: the longest renamed prefix wins (`privacy.avatar` first)."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if fields and head in fields:
            return ".".join([fields[head], *parts[cut:]])
    return path


def invalid_from_pydantic(exc: ValidationError, fields: Mapping[str, str] | None = None) -> PkError:
    reported: dict[str, str] = {}
    for error in exc.errors():
        path = ".".join(str(part) for part in error.get("loc", ()))
        reported.setdefault(rename(path, fields), str(error.get("msg", "is invalid")).removeprefix("Value error, "))
    return PkError.invalid(reported)


# --- rendering ---------------------------------------------------------------------------------------------------

def is_pluralkit_path(path: str) -> bool:
    return path.startswith(PREFIX)


def _as_pk(exc: Exception, method: str) -> tuple[int, dict[str, Any]]:
    """(status, body) of any exception in PluralKit's format."""
    if isinstance(exc, PkError):
        body = {"message": exc.message, "code": exc.pk_code}
        if exc.errors is not None:
            body["errors"] = exc.errors
        return exc.status, body
    if isinstance(exc, RateLimited):
        retry_after = int((exc.details or {}).get("retry_after", 1)) * 1000
        return 429, {"message": "429: too many requests", "retry_after": retry_after,
                     "scope": ratelimit_scope(method), "code": 0}
    if isinstance(exc, RequestValidationError):
        if any(error.get("type") == "json_invalid" for error in exc.errors()):
            return 400, {"message": BAD_REQUEST, "code": 0}
        return _as_pk(_request_invalid(exc), method)
    if isinstance(exc, ApiError):
        return exc.status, {"message": _generic_message(exc), "code": 0}
    if isinstance(exc, IntegrityError):
        return 400, {"message": "400: That conflicts with existing data.", "code": 0}
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, {"message": f"{exc.status_code}: {exc.detail}", "code": 0}
    return 500, {"message": "500: Internal Server Error", "code": 0}


def _request_invalid(exc: RequestValidationError) -> PkError:
    reported: dict[str, str] = {}
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        reported.setdefault(".".join(location) or "body", str(error.get("msg", "is invalid")))
    return PkError.invalid(reported)


def _generic_message(exc: ApiError) -> str:
    if isinstance(exc, Unauthenticated):
        return UNAUTHORIZED
    if isinstance(exc, InsufficientScope):
        return f"{MISSING_PERMISSIONS} (the token lacks {', '.join(exc.details['required'])})"
    if isinstance(exc, Forbidden):
        return MISSING_PERMISSIONS
    if isinstance(exc, MalformedBody):
        return BAD_REQUEST
    if isinstance(exc, (PayloadTooLarge, UnsupportedMediaType, ServiceUnavailable, StorageFull, NotFound)):
        return f"{exc.status}: {exc.message}"
    if exc.status >= 500:
        return "500: Internal Server Error"
    return f"{exc.status}: {exc.message}"


def pluralkit_error_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, StarletteHTTPException) and exc.status_code == 404 and not isinstance(exc, ApiError):
        return Response(status_code=404)  # PluralKit answers unknown routes with an empty 404
    if not isinstance(exc, (ApiError, RequestValidationError, StarletteHTTPException, IntegrityError)):
        log.exception("unexpected error", exc_info=exc)
    status, body = _as_pk(exc, request.method)
    headers = exc.headers if isinstance(exc, ApiError) else None
    if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
        headers = allow_header(request)
    if request.url.path.startswith(V1_PREFIX):
        return PlainTextResponse(body["message"], status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


def install_pluralkit_errors(app: FastAPI) -> None:
    """Wraps the app's exception handlers so that requests under /pk/ are answered in PluralKit's format."""

    def wrap(handler: Handler) -> Handler:
        async def handle(request: Request, exc: Exception) -> Response:
            if is_pluralkit_path(request.url.path):
                return pluralkit_error_response(request, exc)
            result = handler(request, exc)
            return await result if isinstance(result, Awaitable) else result

        return handle

    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = wrap(handler)


# --- the edge (rate limits and errors raised before routing) ---------------------------------------------------

def ratelimit_scope(method: str) -> str:
    return "generic_update" if method in WRITE_METHODS else "generic_get"


def pluralkit_ratelimit_headers(headers: list[tuple[bytes, bytes]], reset_in: int, method: str) -> None:
    """PluralKit's clients read X-RateLimit-Reset as a UNIX time in milliseconds and look for X-RateLimit-Scope."""
    reset_at = int((time.time() + reset_in) * 1000)
    headers[:] = [(key, value) for key, value in headers if key != b"x-ratelimit-reset"]
    headers += [(b"x-ratelimit-reset", str(reset_at).encode()),
                (b"x-ratelimit-scope", ratelimit_scope(method).encode())]


def pluralkit_edge_error(error: ApiError, method: str, path: str) -> tuple[int, bytes, bytes]:
    """(status, body, content type) of an error the edge middleware raises before the app runs."""
    status, body = _as_pk(error, method)
    if path.startswith(V1_PREFIX):
        return status, body["message"].encode(), b"text/plain; charset=utf-8"
    return status, json.dumps(body).encode(), b"application/json"


SURFACE = Surface(PREFIX, pluralkit_edge_error, pluralkit_ratelimit_headers)
"""The edge middleware's view of /pk/: errors raised before routing and rate-limit headers in PluralKit's form."""

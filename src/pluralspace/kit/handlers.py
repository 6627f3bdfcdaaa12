"""Every failure becomes the contract's error envelope; stack traces go to the log, never to the client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .envelope import error_body
from .errors import ApiError, Conflict, MalformedBody, MethodNotAllowed, NotFound, ValidationFailed

log = logging.getLogger("pluralspace.errors")


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error_body(error.code, error.message, error.details), status_code=error.status,
                        headers=error.headers)


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_error(exc: RequestValidationError) -> ApiError:
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return MalformedBody()
    fields: dict[str, str] = {}
    for error in errors:
        fields.setdefault(_field_path(tuple(error.get("loc", ()))), _readable(error))
    summary = "; ".join(f"{path}: {message}" for path, message in list(fields.items())[:5])
    return ValidationFailed(summary or "Request validation failed.", {"fields": fields})


def _readable(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc)


async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(validation_error(exc))


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allow_header(request: Request) -> dict[str, str]:
    """`Allow` for a 405 (RFC 9110 §15.5.6): every method some route on this path takes. Starlette's own names only
    the first matching route's, and a path often has several (GET and POST on a collection are two operations), so
    each method is tried against the routes as the router would."""
    routes = request.app.router.routes
    allowed = [method for method in HTTP_METHODS
               if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)]
    return {"Allow": ", ".join(allowed)}


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        return error_response(NotFound("No such path."))
    if exc.status_code == 405:
        return error_response(MethodNotAllowed(headers=allow_header(request)))
    if exc.status_code == 400:
        return error_response(MalformedBody(str(exc.detail)))
    error = ApiError(str(exc.detail))
    error.status = exc.status_code
    return error_response(error)


async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
    log.warning("integrity error answered as 409: %s", exc.orig)
    return error_response(Conflict("constraint", "That conflicts with existing data."))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return error_response(ApiError())


def install(app: FastAPI) -> None:
    # Starlette types every handler as taking any Exception; each of these is registered for its own class only.
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _integrity)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)

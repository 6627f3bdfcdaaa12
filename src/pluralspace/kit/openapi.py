"""What the OpenAPI document adds to what FastAPI writes: every status an operation can answer, and the rules the
server applies to every request.

Most follow from what an operation takes, and are added to every operation here, once (`implied_errors`): a token
(401, 403), an id in the path (404), parameters (422), a body (400, 413, 415, 422), a budget (429), the database
(503), and any fault (500). A route declares only the errors of its own rules with `responses=errors(...)`, such as
409 CONFLICT. `tests/test_fuzz_openapi.py` fails on an answer whose status its operation does not declare.

No parameter holds NUL (the middleware refuses it in any request target), which is stated on each parameter here as
`kit.validators.Model` states it for bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase

from .envelope import ErrorEnvelope
from .middleware import UNMETERED_PATHS
from .validators import state_no_nul

_DESCRIPTIONS = {
    400: "VALIDATION_FAILED: the body is not valid JSON",
    401: "UNAUTHENTICATED: missing, malformed, expired or revoked token",
    403: "INSUFFICIENT_SCOPE (token lacks a scope), FORBIDDEN (kept private) or ACCOUNT_DISABLED",
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
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "`Bearer`, with the reason", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds until the budget allows another request",
                          "schema": {"type": "integer", "minimum": 0}}},
}
_ENVELOPE = "ErrorEnvelope"
_FASTAPI_VALIDATION = "HTTPValidationError"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Error responses a route answers by rules of its own, beyond those `implied_errors` gives every operation."""
    return {status: {"model": ErrorEnvelope, "description": _DESCRIPTIONS[status]} for status in sorted(statuses)}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _operations(app: FastAPI) -> list[Any]:
    """The routes the document shows, included routers flattened (a newer FastAPI includes them lazily): each with
    `path_format`, `methods`, `dependant` and `openapi_extra`, as an `APIRoute` has them."""
    routes: list[Any] = (list(routing.iter_route_contexts(app.routes)) if hasattr(routing, "iter_route_contexts")
                         else list(app.routes))
    return [route for route in routes
            if isinstance(getattr(route, "original_route", route), APIRoute) and route.include_in_schema]


def implied_errors(route: APIRoute) -> set[int]:
    """The error statuses an operation can answer because of what it takes, the same for every operation."""
    dependants = list(_dependants(route.dependant))
    statuses = {500}
    if route.path not in UNMETERED_PATHS:
        statuses |= {429, 503}  # its budget spent; the database away
    if any(isinstance(d.call, SecurityBase) for d in dependants):
        statuses |= {401, 403}  # a token refused; a scope missing, the data private, the account disabled
    if any(d.path_params for d in dependants):
        statuses |= {404, 422}
    if any(d.query_params or d.header_params or d.cookie_params for d in dependants):
        statuses.add(422)
    if any(d.body_params for d in dependants) or "requestBody" in (route.openapi_extra or {}):
        statuses |= {400, 413, 415, 422}
    if _changes_a_system(route):
        statuses.add(409)  # import_running: a system takes no other writes while its import runs
    return statuses


def _changes_a_system(route: APIRoute) -> bool:
    path = route.path_format
    return bool((route.methods or set()) - {"GET", "HEAD"}) and ("{sid}" in path or path.startswith("/pk/"))


def _error_schema(document: dict[str, Any]) -> dict[str, Any]:
    """A reference to the error envelope's schema, which is put into the document if no route named it yet."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    if _ENVELOPE not in schemas:
        schema = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[_ENVELOPE] = schema
    return {"$ref": f"#/components/schemas/{_ENVELOPE}"}


def _completed(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    envelope = {"application/json": {"schema": _error_schema(document)}}
    for route in _operations(app):
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            for parameter in operation.get("parameters", []):
                state_no_nul(parameter["schema"])
            responses = operation["responses"]
            for status in sorted(implied_errors(route)):
                implied = {"description": _DESCRIPTIONS[status], "content": envelope}
                # A route's own description of a status stays (the admin token's 401), but not FastAPI's own 422,
                # whose body (HTTPValidationError) is not what the server sends.
                answer = responses.get(str(status))
                if answer is None or _FASTAPI_VALIDATION in str(answer):
                    answer = responses[str(status)] = implied
                if status in _HEADERS:
                    answer.setdefault("headers", _HEADERS[status])
            operation["responses"] = dict(sorted(responses.items()))
    schemas = document["components"]["schemas"]
    if _FASTAPI_VALIDATION not in str(document["paths"]):
        schemas.pop(_FASTAPI_VALIDATION, None)
        schemas.pop("ValidationError", None)
    return document


def install(app: FastAPI) -> None:
    """The app's OpenAPI document, built once, gets every operation's implied errors and the NUL rule."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _completed(app, build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

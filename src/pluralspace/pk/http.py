"""What the PluralKit routers (v1 and v2) share: the reference parameter, the unit of work that speaks PluralKit's
errors, the body parser and the empty answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Path, Request, Response

from ..kit.errors import ApiError
from ..state import app_state
from .errors import PkError, translate

Ref = Annotated[str, Path(max_length=64)]
NO_CONTENT = 204
T = TypeVar("T")


async def run(request: Request, fn: Callable[..., T], *args: Any, write: bool = False, **codes: Any) -> T:
    """A unit of work; native errors become this endpoint's PluralKit errors (`codes` as for `translate`)."""
    database = app_state(request).database
    try:
        return await (database.write if write else database.read)(fn, *args)
    except ApiError as exc:
        raise translate(exc, **codes) from None


async def body_of(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise PkError.bad_request() from None


def no_content() -> Response:
    return Response(status_code=NO_CONTENT)

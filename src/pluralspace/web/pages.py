"""What every signed-in page of the system shares: who is looking, the layout's context, the system's time zone,
and a form's problems in plain words next to their fields.

A page reads and writes through the domain services with the session's principal and `@me`, exactly as the API
does, so every rule (privacy, validation, patch handling) has one copy. Here is only the page side: turning form
fields into the services' request bodies, and their refusals into words beside the field they concern.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, TypeVar

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..auth.principal import Principal
from ..kit.errors import ApiError, NotFound
from ..state import app_state
from ..systems.schemas import SystemOut
from ..systems.service import own_system_view
from ..thoughts.service import zone_of
from .session import (
    PageAnswer,
    error_page,
    protect,
    render,
    session_csrf,
    signed_in_form,
    signed_in_page,
    template_filter,
)

T = TypeVar("T")

SYSTEM = "@me"  # every page shows the signed-in account's own system
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # the value of an <input type="datetime-local">


@dataclass
class Visit:
    """One signed-in request of a page: the principal, the CSRF token of its forms and the system it shows."""

    request: Request
    principal: Principal
    csrf_token: str
    system: SystemOut
    form: FormData | None = None

    @property
    def zone(self) -> tzinfo:
        return zone_of(self.system.timezone)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(session, "@me", principal, *args)` in one read-only unit of work; what the services do not find
        (another system's, or never made) is this page's 404."""
        try:
            return await app_state(self.request).database.read(fn, SYSTEM, self.principal, *args)
        except NotFound as missing:
            raise PageAnswer(not_found(missing)) from None

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """As `read`, in a unit of work that writes; any other refusal is raised for the form to show."""
        try:
            return await app_state(self.request).database.write(fn, SYSTEM, self.principal, *args)
        except NotFound as missing:
            raise PageAnswer(not_found(missing)) from None

    def field(self, name: str) -> str:
        assert self.form is not None, "only a form's visit has fields"
        return str(self.form.get(name, "")).strip()

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return render(template, status, system=self.system, csrf_token=self.csrf_token, zone=self.zone,
                      here=self.request.url.path, **context)


def _visit(request: Request, principal: Principal, token: str, form: FormData | None = None) -> Visit:
    system = own_system_view(SYSTEM, principal)
    assert system is not None, "a session's principal carries its own system"
    return Visit(request, principal, session_csrf(app_state(request).settings.secret_key, token), system, form)


async def page_visit(request: Request) -> Visit:
    """A GET of a signed-in page (signed-out visitors are sent to the login page and back)."""
    principal, token = await signed_in_page(request)
    return _visit(request, principal, token)


async def form_visit(request: Request) -> Visit:
    """A POST of a signed-in page's form, its CSRF token checked."""
    principal, token, form = await signed_in_form(request)
    return _visit(request, principal, token, form)


def not_found(missing: NotFound) -> HTMLResponse:
    return error_page("Not found", missing.message, 404)


def uuid_of(value: str, what: str) -> uuid.UUID:
    """A page's id in its path; anything else is that page's 404, in the words of the service's own."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise PageAnswer(not_found(NotFound(f"No such {what}."))) from None


def see_other(path: str) -> Response:
    """The answer to a form that worked (POST/redirect/GET)."""
    return protect(RedirectResponse(path, status_code=303))


# --- times in the system's zone ---------------------------------------------------------------------------------

@template_filter("local")
def local(moment: datetime | None, zone: tzinfo, pattern: str = "%a %d %b %Y, %H:%M") -> str:
    return moment.astimezone(zone).strftime(pattern) if moment else ""


@template_filter("ink")
def ink(color: str | None) -> str:
    """Black or white, whichever reads better on `color` (#rrggbb; none is the grey of a member without one)."""
    red, green, blue = (int((color or "#6b6b75")[i:i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = sum(weight * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
                    for weight, c in ((0.2126, red), (0.7152, green), (0.0722, blue)))
    return "#000000" if luminance > 0.179 else "#ffffff"


def parse_local(value: str, zone: tzinfo) -> datetime | str:
    """A datetime-local input's value in the system's zone, as an aware time; the text unchanged if it is not one
    (the service's validation then says what is wrong with it)."""
    try:
        return datetime.strptime(value, LOCAL_INPUT).replace(tzinfo=zone)
    except ValueError:
        return value


# --- problems in plain words --------------------------------------------------------------------------------------

@dataclass
class Problems:
    """What is wrong with a form: a message per field name (the form's own names), and one for the whole form."""

    fields: dict[str, str] = field(default_factory=dict)
    form: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.form)


def _words(error: Mapping[str, Any]) -> str:
    """A validation error as a sentence for the person filling in the form, not the library's wording."""
    context = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind in ("missing", "string_too_short") and context.get("min_length", 1) <= 1:
        return "This cannot be empty."
    if kind == "string_too_short":
        return f"Write at least {context['min_length']} characters."
    if kind == "string_too_long":
        return f"Keep it to {context['max_length']:,} characters or fewer."
    if kind == "too_long":
        return f"Choose at most {context['max_length']:,}."
    if kind in ("datetime_type", "datetime_parsing", "datetime_from_date_parsing", "timezone_aware"):
        return "Give a date and a time."
    if kind == "literal_error":
        return "Choose one of the choices offered."
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def problems_of(failure: ValidationError | ApiError, names: Mapping[str, str] | None = None) -> Problems:
    """`failure` (a request body's validation, or a service's refusal) as problems per form field; `names` maps a
    body's field to the form field that fills it where the two differ."""
    names = names or {}
    found = Problems()
    if isinstance(failure, ValidationError):
        for error in failure.errors():
            location = [str(part) for part in error.get("loc", ())]
            where = names.get(".".join(location[:2]), names.get(location[0], location[0])) if location else None
            if where is None:
                found.form = found.form or _words(error)
            else:
                found.fields.setdefault(where, _words(error))
        return found
    fields = (failure.details or {}).get("fields") if isinstance(failure.details, dict) else None
    if not fields:
        found.form = failure.message
        return found
    for path, message in fields.items():
        name = names.get(path, names.get(path.split(".")[0], path.split(".")[0]))
        found.fields.setdefault(name, _words({"msg": message}))
    return found

"""The browser side: a cookie holding a login session token, CSRF tokens, and how pages are served.

The cookie holds the same kind of session token as `POST /api/v1/auth/login` returns (made by the same login flow,
so throttling and the security log apply); it is HttpOnly, SameSite=Lax, and Secure when the server's base URL is
https. Forms are protected by CSRF tokens that are HMACs of the server's secret key: a signed-in page's forms (consent,
settings) are bound to the session token; a signed-out form's (login, register) to a random value in a cookie of its
own, scoped to the form's path (double submit).

A form that changes something answers with a redirect (POST/redirect/GET), so reloading the page it lands on
never sends the form again. What that page must show once (a new token's text, "password changed") travels in a
flash cookie: encrypted and authenticated with a key bound to the session, HttpOnly, for /settings only, short-lived,
and cleared by the page that shows it. Never in the URL, so it stays out of history, logs and Referer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import FastAPI, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..auth.principal import Principal, find_principal
from ..config import Settings
from ..identity.credential import SESSION
from ..kit.crypto import SESSION_PREFIX, token_hash, token_prefix
from ..kit.errors import AccountDisabled
from ..state import app_state

SESSION_COOKIE = "ps_session"
FORM_NONCE_COOKIE = "ps_form_csrf"
FLASH_COOKIE = "ps_flash"
FLASH_SECONDS = 300

# Pages are never framed (clickjacking, RFC 9700 §4.16), load nothing from elsewhere but the pictures people link
# (avatars are https URLs of their choosing), run no script and no inline style, leak nothing in Referer
# (authorization requests carry state and codes) and are never cached. No form-action: the consent form's answer
# redirects to the app's own URI, which that directive would block.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' https:; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

F = TypeVar("F", bound=Callable[..., Any])

_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(default=True), auto_reload=False)
_templates.filters["when"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def template_filter(name: str) -> Callable[[F], F]:
    """Registers a filter of the page templates (the page modules add theirs: times in the system's zone…)."""
    def register(fn: F) -> F:
        _templates.filters[name] = fn
        return fn

    return register


def compile_templates() -> None:
    """Reads and compiles every template at start, so serving a page never reads a file on the event loop."""
    for name in _templates.list_templates(extensions=["html"]):
        _templates.get_template(name)


R = TypeVar("R", bound=Response)


def protect(response: R) -> R:
    response.headers.update(PAGE_HEADERS)
    return response


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return protect(HTMLResponse(_templates.get_template(template).render(**context), status_code=status))


def error_page(title: str, message: str, status: int) -> HTMLResponse:
    return render("error.html", status, title=title, message=message)


def form_problem(invalid: ValidationError) -> str:
    """The first thing wrong with a form, in words for the person filling it in."""
    problem = invalid.errors()[0]
    field = str(problem["loc"][0]).replace("_", " ") if problem["loc"] else "form"
    return f"{field.capitalize()}: {problem['msg'].removeprefix('Value error, ')}."


# --- the session cookie -------------------------------------------------------------------------------------------

def _secure(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_ttl_seconds, path="/",
                        secure=_secure(settings), httponly=True, samesite="lax")


async def signed_in(request: Request) -> tuple[Principal, str] | None:
    """The session of the cookie (the principal and its token), when the cookie holds a live session token."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or token_prefix(token) != SESSION_PREFIX:
        return None
    state = app_state(request)
    try:
        principal = await find_principal(state.database, token_hash(state.settings.secret_key, token))
    except AccountDisabled:
        return None  # signed out: the login page then says why
    if principal is None or principal.kind != SESSION:
        return None
    return principal, token


class PageAnswer(Exception):
    """Raised with the response a page gives instead of its own (the login page, a refusal); see `install`."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def install(app: FastAPI) -> None:
    compile_templates()

    async def answer(_request: Request, exc: PageAnswer) -> Response:
        return exc.response

    # Starlette types every handler as taking any Exception; this one is registered for PageAnswer only.
    app.add_exception_handler(PageAnswer, answer)  # type: ignore[arg-type]


async def signed_in_page(request: Request) -> tuple[Principal, str]:
    """The session for a signed-in page (its principal and token); else the page answers with the way to the login
    page and back here."""
    session = await signed_in(request)
    if session is not None:
        return session
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise PageAnswer(protect(RedirectResponse("/login?" + urlencode({"next": here}), status_code=303)))


async def signed_in_form(request: Request) -> tuple[Principal, str, FormData]:
    """A form posted from a signed-in page: the session must be live and the form's CSRF token that session's.
    Returns the principal, the session token and the form's fields."""
    session = await signed_in(request)
    if session is None:
        raise PageAnswer(error_page("Signed out", "Your session ended. Sign in again.", 401))
    principal, token = session
    form = await request.form()
    if not csrf_matches(session_csrf(app_state(request).settings.secret_key, token), str(form.get("csrf_token", ""))):
        raise PageAnswer(error_page("Please try again", "This form expired or did not come from this site. Reload "
                                    "the page and try again.", 403))
    return principal, token, form


# --- what a page shows once, after a form's redirect --------------------------------------------------------------

def _flash_cipher(secret_key: str, session_token: str) -> AESGCM:
    return AESGCM(hmac.new(secret_key.encode(), f"flash:{token_hash(secret_key, session_token)}".encode(),
                           hashlib.sha256).digest())


def redirect_with_flash(path: str, settings: Settings, session_token: str, message: dict[str, Any]) -> Response:
    """303 to `path` (under /settings), carrying `message` for that page's next GET in this session only."""
    nonce = secrets.token_bytes(12)
    sealed = nonce + _flash_cipher(settings.secret_key, session_token).encrypt(nonce, json.dumps(message).encode(),
                                                                                None)
    response = protect(RedirectResponse(path, status_code=303))
    response.set_cookie(FLASH_COOKIE, base64.urlsafe_b64encode(sealed).decode(), max_age=FLASH_SECONDS,
                        path="/settings", secure=_secure(settings), httponly=True, samesite="strict")
    return response


def take_flash(request: Request, settings: Settings, session_token: str) -> dict[str, Any] | None:
    """The message a redirect left for this session (None if none, or not readable with this session's key).
    The page that shows it must `clear_flash` on its response."""
    sealed = request.cookies.get(FLASH_COOKIE)
    if not sealed:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed)
        message = _flash_cipher(settings.secret_key, session_token).decrypt(raw[:12], raw[12:], None)
        flash: dict[str, Any] = json.loads(message)
        return flash
    except (ValueError, InvalidTag):
        return None


def clear_flash(response: Response) -> Response:
    response.delete_cookie(FLASH_COOKIE, path="/settings")
    return response


# --- CSRF ----------------------------------------------------------------------------------------------------------

def _mac(secret_key: str, purpose: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def session_csrf(secret_key: str, session_token: str) -> str:
    """The CSRF token of every form on a signed-in page."""
    return _mac(secret_key, "session", token_hash(secret_key, session_token))


def signed_out_form(template: str, settings: Settings, form_path: str, status: int = 200,
                    **context: Any) -> HTMLResponse:
    """A page with a form for someone not signed in (login, register), with its CSRF nonce cookie set."""
    nonce = secrets.token_urlsafe(24)
    response = render(template, status, csrf_token=_mac(settings.secret_key, f"form:{form_path}", nonce), **context)
    response.set_cookie(FORM_NONCE_COOKIE, nonce, max_age=3600, path=form_path, secure=_secure(settings),
                        httponly=True, samesite="lax")
    return response


def signed_out_form_came_from_us(request: Request, settings: Settings, form_path: str, sent: str | None) -> bool:
    nonce = request.cookies.get(FORM_NONCE_COOKIE, "")
    return bool(nonce) and csrf_matches(_mac(settings.secret_key, f"form:{form_path}", nonce), sent)


def forget_form_nonce(response: Response, form_path: str) -> None:
    response.delete_cookie(FORM_NONCE_COOKIE, path=form_path)


def csrf_matches(expected: str, sent: str | None) -> bool:
    if not sent:
        return False
    return hmac.compare_digest(expected, sent)


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in; anything that could leave this site becomes "/"."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x21 or c == "\\" for c in value):
        return "/"
    return value

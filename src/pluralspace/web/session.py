"""The browser side: a cookie holding a login session token, CSRF tokens, and how pages are served.

The cookie holds the same kind of session token as `POST /api/v1/auth/login` returns (made by the same login flow,
so throttling and the security log apply); it is HttpOnly, SameSite=Lax, and Secure when the server's base URL is
https. Forms are protected by CSRF tokens that are HMACs of the server's secret key: the consent form's is bound
to the session token, the login form's to a random value in a cookie of its own (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

from ..auth.principal import Principal, find_principal
from ..config import Settings
from ..kit.crypto import SESSION_PREFIX, token_hash, token_prefix
from ..state import app_state
from ..tokens.models import SESSION

SESSION_COOKIE = "ps_session"
LOGIN_CSRF_COOKIE = "ps_login_csrf"

# Pages are never framed (clickjacking, RFC 9700 §4.16), load nothing from elsewhere, leak nothing in Referer
# (authorization requests carry state and codes) and are never cached.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(default=True), auto_reload=False)
for _name in ("login.html", "consent.html", "error.html"):
    _templates.get_template(_name)  # read and compiled now, so serving a page never reads a file on the event loop


def protect(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    return response


def render(template: str, status: int = 200, **context) -> HTMLResponse:
    return protect(HTMLResponse(_templates.get_template(template).render(**context), status_code=status))


def error_page(title: str, message: str, status: int) -> HTMLResponse:
    return render("error.html", status, title=title, message=message)


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
    principal = await find_principal(state.database, token_hash(state.settings.secret_key, token))
    if principal is None or principal.kind != SESSION:
        return None
    return principal, token


# --- CSRF ----------------------------------------------------------------------------------------------------------

def _mac(secret_key: str, purpose: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def consent_csrf(secret_key: str, session_token: str) -> str:
    return _mac(secret_key, "consent", token_hash(secret_key, session_token))


def login_csrf(secret_key: str, nonce: str) -> str:
    return _mac(secret_key, "login", nonce)


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def set_login_nonce(response: Response, settings: Settings, nonce: str) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, nonce, max_age=3600, path="/login", secure=_secure(settings),
                        httponly=True, samesite="lax")


def csrf_matches(expected: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(expected, sent)


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in; anything that could leave this site becomes "/"."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x21 or c == "\\" for c in value):
        return "/"
    return value

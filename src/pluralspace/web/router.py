"""Web pages: signing in. The consent page is served by the authorization endpoint (`oauth/router.py`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ..accounts.security_log import client_of
from ..auth import login as login_flow
from ..auth.router import session_policy
from ..kit.errors import ApiError
from ..state import app_state
from .session import (LOGIN_CSRF_COOKIE, csrf_matches, error_page, login_csrf, new_login_nonce, protect, render,
                      safe_next, set_login_nonce, set_session_cookie)

router = APIRouter(include_in_schema=False)


def _login_page(request: Request, next_path: str, status: int = 200, error: str | None = None,
                email: str = "") -> Response:
    settings = app_state(request).settings
    nonce = new_login_nonce()
    response = render("login.html", status, next=next_path, error=error, email=email,
                      csrf_token=login_csrf(settings.secret_key, nonce))
    set_login_nonce(response, settings, nonce)
    return response


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the parameter's name
    return _login_page(request, safe_next(next))


@router.post("/login")
async def login_submit(request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not nonce or not csrf_matches(login_csrf(state.settings.secret_key, nonce), str(form.get("csrf_token", ""))):
        return error_page("Please try again", "This sign-in form expired. Go back, reload the page and sign in.",
                          403)
    try:
        pair = await login_flow.login(state, session_policy(state), email, password, client_of(request))
    except ApiError as error:  # wrong password (401) or throttled (429): the form again, with the reason
        response = _login_page(request, next_path, error.status, error.message, email)
        response.headers.update(error.headers)
        return response
    response = protect(RedirectResponse(next_path, status_code=303))
    set_session_cookie(response, state.settings, pair.access_token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response

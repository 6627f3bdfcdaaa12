"""Web pages for signing in, registering and signing out. The consent page is served by the authorization endpoint
(`oauth/router.py`); the signed-in pages are in `accounts/settings_page.py`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from ..audit.security_log import client_of
from ..kit.errors import ApiError
from ..state import app_state
from ..web.session import (
    SESSION_COOKIE,
    error_page,
    forget_form_nonce,
    form_problem,
    protect,
    safe_next,
    set_session_cookie,
    signed_in_form,
    signed_out_form,
    signed_out_form_came_from_us,
)
from . import login as login_flow
from . import service as auth_service
from .login import session_policy
from .schemas import RegisterIn

router = APIRouter(include_in_schema=False)

FORM_EXPIRED = "This form expired. Go back, reload the page and try again."


def _login_page(request: Request, next_path: str, status: int = 200, error: str | None = None,
                email: str = "") -> Response:
    return signed_out_form("login.html", app_state(request).settings, "/login", status, next=next_path, error=error,
                           email=email, registration_open=app_state(request).settings.registration_open)


def _register_page(request: Request, status: int = 200, error: str | None = None, email: str = "",
                   system_name: str = "", invite_code: str = "") -> Response:
    settings = app_state(request).settings
    return signed_out_form("register.html", settings, "/register", status, error=error, email=email,
                           system_name=system_name, invite_code=invite_code,
                           needs_invite=settings.registration_needs_invite)


def _signed_in_as(request: Request, form_path: str, session_token: str, next_path: str) -> Response:
    response = protect(RedirectResponse(next_path, status_code=303))
    set_session_cookie(response, app_state(request).settings, session_token)
    forget_form_nonce(response, form_path)
    return response


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return _login_page(request, safe_next(next))


@router.post("/login")
async def login_submit(request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    next_path = safe_next(str(form.get("next", "")))
    if not signed_out_form_came_from_us(request, state.settings, "/login", str(form.get("csrf_token", ""))):
        return error_page("Please try again", FORM_EXPIRED, 403)
    try:
        pair = await login_flow.login(state, session_policy(state), email, password, client_of(request))
    except ApiError as error:  # wrong password (401) or throttled (429): the form again, with the reason
        response = _login_page(request, next_path, error.status, error.message, email)
        response.headers.update(error.headers)
        return response
    return _signed_in_as(request, "/login", pair.access_token, next_path)


@router.get("/register")
async def register_page(request: Request, invite: str | None = None) -> Response:
    if not app_state(request).settings.registration_open:
        return error_page("Registration is closed", "This server does not take new accounts.", 403)
    return _register_page(request, invite_code=(invite or "")[:100])


@router.post("/register")
async def register_submit(request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    system_name = str(form.get("system_name", "")).strip()
    invite_code = str(form.get("invite_code", "")).strip()
    if not signed_out_form_came_from_us(request, state.settings, "/register", str(form.get("csrf_token", ""))):
        return error_page("Please try again", FORM_EXPIRED, 403)
    if password != str(form.get("password_again", "")):
        return _register_page(request, 422, "The two passwords are not the same.", email, system_name, invite_code)
    try:
        spec = RegisterIn(email=email, password=password, system_name=system_name or None,
                          invite_code=invite_code or None)
        await login_flow.register(state, spec, client_of(request))
        pair = await login_flow.login(state, session_policy(state), spec.email, password, client_of(request))
    except ValidationError as invalid:
        return _register_page(request, 422, form_problem(invalid), email, system_name, invite_code)
    except ApiError as error:  # taken email (409), closed (403), throttled (429), invitation not valid (422)
        return _register_page(request, error.status, error.message, email, system_name, invite_code)
    return _signed_in_as(request, "/register", pair.access_token, "/")


@router.post("/logout")
async def logout(request: Request) -> Response:
    principal, _token, _fields = await signed_in_form(request)
    await app_state(request).database.write(auth_service.end_session_by_access, principal.family_id,
                                            principal.account_id, client_of(request))
    response = protect(RedirectResponse("/login", status_code=303))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

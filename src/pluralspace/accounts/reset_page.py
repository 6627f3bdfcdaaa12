"""The page of a password-reset link (`pluralspace admin reset-link EMAIL`): a form for the new password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..audit.security_log import client_of
from ..state import app_state
from ..web.session import error_page, forget_form_nonce, render, signed_out_form, signed_out_form_came_from_us
from . import resets
from .schemas import PASSWORD_MIN, Password

router = APIRouter(include_in_schema=False)
NEW_PASSWORD = TypeAdapter(Password)
DEAD_LINK = ("This link does not work", "The link was used already, has expired (links last an hour) or is not "
             "complete. Ask the server's administrator for a new one.")


def _form(request: Request, token: str, status: int = 200, error: str | None = None) -> Response:
    return signed_out_form("reset_password.html", app_state(request).settings, f"{resets.PATH}/{token}", status,
                           error=error, token=token, minimum=PASSWORD_MIN)


@router.get(resets.PATH + "/{token}")
async def reset_page(token: str, request: Request) -> Response:
    state = app_state(request)
    if await state.database.read(resets.find_reset, state.settings.secret_key, token) is None:
        return error_page(*DEAD_LINK, 404)
    return _form(request, token)


@router.post(resets.PATH + "/{token}")
async def reset_submit(token: str, request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    form_path = f"{resets.PATH}/{token}"
    if not signed_out_form_came_from_us(request, state.settings, form_path, str(form.get("csrf_token", ""))):
        return error_page("Please try again", "This form expired. Reload the page and try again.", 403)
    password = str(form.get("password", ""))
    if password != str(form.get("password_again", "")):
        return _form(request, token, 422, "The two passwords are not the same.")
    try:
        NEW_PASSWORD.validate_python(password)
    except ValidationError:
        return _form(request, token, 422, f"The password needs at least {PASSWORD_MIN} characters.")
    password_hash = await run_in_threadpool(state.passwords.hash, password)
    if not await state.database.write(resets.use_reset, state.settings.secret_key, token, password_hash,
                                      client_of(request)):
        return error_page(*DEAD_LINK, 404)
    response = render("reset_password.html", done=True)
    forget_form_nonce(response, form_path)
    return response

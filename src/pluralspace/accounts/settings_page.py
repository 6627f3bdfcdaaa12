"""The account's settings page, where the account's personal access tokens and
authorized apps are reviewed, created and revoked. Each page calls the same services as the API."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from ..audit import security_log
from ..audit.security_log import client_of
from ..auth.principal import Principal
from ..auth.scopes import SCOPE_DESCRIPTIONS
from ..kit.errors import ApiError, NotFound
from ..kit.pagination import MAX_LIMIT, PageRequest
from ..kit.timeutil import utcnow
from ..oauth import service as oauth_service
from ..state import app_state
from ..tokens import service as tokens_service
from ..tokens.schemas import TokenCreate
from ..web.session import (
    FLASH_COOKIE,
    clear_flash,
    error_page,
    form_problem,
    protect,
    redirect_with_flash,
    render,
    session_csrf,
    signed_in_form,
    signed_in_page,
    take_flash,
)
from . import login as login_flow
from .schemas import AccountPatch

router = APIRouter(include_in_schema=False)

EXPIRY_CHOICES = {"": None, "30": 30, "90": 90, "365": 365}
LISTED = PageRequest(limit=MAX_LIMIT, cursor=None)
RECENT_EVENTS = PageRequest(limit=20, cursor=None)


@router.get("/settings")
async def settings_page(request: Request) -> Response:
    principal, token = await signed_in_page(request)
    flash = take_flash(request, app_state(request).settings, token) or {}
    response = await _settings(request, principal, token, created=flash.get("created"), notice=flash.get("notice"))
    return clear_flash(response) if FLASH_COOKIE in request.cookies else response


@router.post("/settings/tokens")
async def create_token(request: Request) -> Response:
    principal, token, fields = await signed_in_form(request)
    days = EXPIRY_CHOICES.get(str(fields.get("expires_in_days", "")))
    try:
        spec = TokenCreate(name=str(fields.get("name", "")).strip(), scopes=[str(s) for s in fields.getlist("scopes")],
                           expires_at=utcnow() + timedelta(days=days) if days else None)
    except ValidationError as invalid:
        return await _settings(request, principal, token, 422, error=form_problem(invalid))
    state = app_state(request)
    created = await state.database.write(tokens_service.create_token, state.settings.secret_key,
                                         principal.account_id, spec, client_of(request))
    return redirect_with_flash("/settings", state.settings, token,
                               {"created": {"name": created.name, "token": created.token}})


@router.post("/settings/password")
async def change_password(request: Request) -> Response:
    principal, token, fields = await signed_in_form(request)
    if str(fields.get("password", "")) != str(fields.get("password_again", "")):
        return await _settings(request, principal, token, 422, error="The two new passwords are not the same.")
    try:
        patch = AccountPatch(current_password=str(fields.get("current_password", "")),
                             password=str(fields.get("password", "")))
        await login_flow.update_account(app_state(request), principal, patch, client_of(request))
    except ValidationError as invalid:
        return await _settings(request, principal, token, 422, error=form_problem(invalid))
    except ApiError as refused:  # the current password is wrong
        return await _settings(request, principal, token, refused.status, error=_field_message(refused))
    return redirect_with_flash("/settings", app_state(request).settings, token,
                               {"notice": "Password changed. Every other sign-in of this account has ended."})


@router.post("/settings/tokens/{token_id}/revoke")
async def revoke_token(token_id: str, request: Request) -> Response:
    try:
        target = uuid.UUID(token_id)
    except ValueError:
        target = None
    return await _revoke(request, tokens_service.revoke_token, target,
                         "No such token", "This token does not exist or was already revoked.")


@router.post("/settings/apps/{client_id}/revoke")
async def revoke_app(client_id: str, request: Request) -> Response:
    return await _revoke(request, oauth_service.revoke_authorization, client_id[:200],
                         "No such app", "This app has no access to your account.")


async def _revoke(request: Request, revoke: Callable[..., Any], target: object, missing: str,
                  missing_detail: str) -> Response:
    """A revoke button of the settings page: `revoke(session, account_id, target, client)`, then back there."""
    principal, _token, _fields = await signed_in_form(request)
    if target is not None:
        try:
            await app_state(request).database.write(revoke, principal.account_id, target, client_of(request))
            return protect(RedirectResponse("/settings", status_code=303))
        except NotFound:
            pass
    return error_page(missing, missing_detail, 404)


async def _settings(request: Request, principal: Principal, token: str, status: int = 200, error: str | None = None,
                    created: dict[str, Any] | None = None, notice: str | None = None) -> Response:
    """The settings page; `created` is a token made just before ({name, token}), shown this once."""
    database = app_state(request).database
    tokens, _ = await database.read(tokens_service.list_tokens, principal.account_id, LISTED)
    apps, _ = await database.read(oauth_service.list_authorizations, principal.account_id, LISTED)
    events, _ = await database.read(security_log.list_events, principal.account_id, RECENT_EVENTS)
    return render("settings.html", status, here="/settings", tokens=tokens, apps=apps, events=events, error=error,
                  created=created, notice=notice,
                  scopes=SCOPE_DESCRIPTIONS, expiry_choices=[key for key in EXPIRY_CHOICES if key],
                  csrf_token=session_csrf(app_state(request).settings.secret_key, token))


def _field_message(refused: ApiError) -> str:
    fields = (refused.details or {}).get("fields") or {}
    return "; ".join(f"{name.replace('_', ' ').capitalize()}: {why}." for name, why in fields.items()) \
        or refused.message

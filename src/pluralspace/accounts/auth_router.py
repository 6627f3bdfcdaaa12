"""`/api/v1/auth/*`: register, login, refresh, logout."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ..audit.security_log import client_of
from ..auth.dependencies import bearer_token, principal_for_token
from ..auth.scopes import ACCOUNT_SCOPE
from ..kit import crypto
from ..kit.envelope import Envelope, ok
from ..kit.errors import InsufficientScope, Unauthenticated
from ..kit.openapi import errors
from ..state import app_state
from . import login as login_flow
from . import service
from .schemas import LoginIn, LogoutIn, RefreshIn, RegisteredOut, RegisterIn, TokenPair

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/register", status_code=201, response_model=Envelope[RegisteredOut],
             responses=errors(403, 409), summary="Create an account and its system")
async def register(body: RegisterIn, request: Request) -> Envelope[Any]:
    return ok(await login_flow.register(app_state(request), body, client_of(request)))


@router.post("/login", response_model=Envelope[TokenPair], responses=errors(401),
             summary="Log in: a session token (every scope) and a refresh token")
async def login(body: LoginIn, request: Request) -> Envelope[Any]:
    state = app_state(request)
    policy = login_flow.session_policy(state)
    return ok(await login_flow.login(state, policy, body.email, body.password, client_of(request)))


@router.post("/refresh", response_model=Envelope[TokenPair], responses=errors(401),
             summary="Trade a refresh token for a new pair (the old one stops working)")
async def refresh(body: RefreshIn, request: Request) -> Envelope[Any]:
    state = app_state(request)
    outcome = await state.database.write(
        service.refresh_session, login_flow.session_policy(state),
        crypto.token_hash(state.settings.secret_key, body.refresh_token),
        client_of(request))
    if isinstance(outcome, Unauthenticated):
        raise outcome
    return ok(outcome)


@router.post("/logout", status_code=204, response_class=Response, responses=errors(401, 403),
             summary="End the session of the bearer token, or of the refresh token in the body")
async def logout(request: Request, body: LogoutIn | None = None) -> Response:
    state = app_state(request)
    token = bearer_token(request)
    if token is not None:
        principal = await principal_for_token(request, token)
        if not principal.holds(ACCOUNT_SCOPE):
            raise InsufficientScope([ACCOUNT_SCOPE], list(principal.granted))
        await state.database.write(service.end_session_by_access, principal.family_id, principal.account_id,
                                   client_of(request))
    elif body is not None and body.refresh_token:
        await state.database.write(service.end_session_by_refresh,
                                   crypto.token_hash(state.settings.secret_key, body.refresh_token),
                                   client_of(request))
    else:
        raise Unauthenticated("Send the session token as Bearer, or the refresh token in the body.")
    return Response(status_code=204)


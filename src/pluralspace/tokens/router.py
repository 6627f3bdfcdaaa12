"""`/api/v1/me/tokens`: personal access tokens. Managed with a session token only: tokens cannot mint tokens."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from ..audit.security_log import client_of
from ..auth.dependencies import SessionOnly
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from . import service
from .schemas import TokenCreate, TokenCreated, TokenOut

router = APIRouter(prefix="/api/v1/me/tokens", tags=["tokens"])


@router.get("", response_model=Page[TokenOut], summary="Active personal access tokens")
async def list_tokens(principal: SessionOnly, request: Request,
                      paging: Annotated[PageRequest, Depends(page_params)]) -> Page[Any]:
    tokens, cursor = await app_state(request).database.read(service.list_tokens, principal.account_id, paging)
    return page(tokens, paging.limit, cursor)


@router.post("", status_code=201, response_model=Envelope[TokenCreated],
             summary="Create a personal access token (its text is shown once)")
async def create_token(body: TokenCreate, principal: SessionOnly, request: Request) -> Envelope[Any]:
    state = app_state(request)
    created = await state.database.write(service.create_token, state.settings.secret_key, principal.account_id,
                                         body, client_of(request))
    return ok(created)


@router.delete("/{token_id}", status_code=204, response_class=Response,
               summary="Revoke a personal access token")
async def revoke_token(token_id: uuid.UUID, principal: SessionOnly, request: Request) -> Response:
    await app_state(request).database.write(service.revoke_token, principal.account_id, token_id, client_of(request))
    return Response(status_code=204)

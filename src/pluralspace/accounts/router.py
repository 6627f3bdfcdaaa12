"""`/api/v1/me`: the signed-in account, its security log. Session tokens only (the `account` scope)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from ..audit import security_log
from ..audit.security_log import client_of
from ..auth.dependencies import SessionOnly
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.errors import ValidationFailed
from ..kit.openapi import errors
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from . import login as login_flow
from . import service
from .schemas import AccountDelete, AccountOut, AccountPatch, SecurityEventOut

router = APIRouter(prefix="/api/v1/me", tags=["account"])


@router.get("", response_model=Envelope[AccountOut], summary="The signed-in account")
async def get_me(principal: SessionOnly, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_account, principal.account_id))


@router.patch("", response_model=Envelope[AccountOut], responses=errors(409),
              summary="Change email or password (needs current_password)")
async def update_me(body: AccountPatch, principal: SessionOnly, request: Request) -> Envelope[Any]:
    return ok(await login_flow.update_account(app_state(request), principal, body, client_of(request)))


@router.delete("", status_code=204, response_class=Response,
               summary="Delete the account, its system and all its data (needs current_password)",
               description="A missing or wrong `current_password` is 422 VALIDATION_FAILED naming the field, as for "
                           "PATCH; nothing is deleted.",
               openapi_extra={"requestBody": {"required": True}})  # the body is optional only to name the field
async def delete_me(principal: SessionOnly, request: Request, body: AccountDelete | None = None) -> Response:
    if body is None:  # named as the field it lacks, like an empty object would be
        raise ValidationFailed.field("current_password", "Field required")
    await login_flow.delete_account(app_state(request), principal, body, client_of(request))
    return Response(status_code=204)


@router.get("/security-log", response_model=Page[SecurityEventOut],
            summary="Logins, failed logins, credentials granted and revoked; newest first")
async def list_security_events(principal: SessionOnly, request: Request,
                               paging: Annotated[PageRequest, Depends(page_params)]) -> Page[Any]:
    events, cursor = await app_state(request).database.read(security_log.list_events, principal.account_id, paging)
    items = [SecurityEventOut(id=str(e.id), kind=e.kind, ip=e.ip, user_agent=e.user_agent, detail=e.detail,
                              created_at=e.created_at) for e in events]
    return page(items, paging.limit, cursor)

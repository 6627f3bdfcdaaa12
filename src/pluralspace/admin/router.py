"""`/api/v1/admin/*`: the administration API. The admin token only (`guard.py`); user tokens of any kind are not
admin tokens and get 401 ADMIN_TOKEN_REQUIRED. Every request is an audit record."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, Security
from fastapi.security import APIKeyHeader
from pydantic import AwareDatetime

from .. import audit
from ..accounts import invites
from ..accounts.schemas import InviteCreate, InviteCreated, InviteOut
from ..audit.security_log import Client
from ..kit.envelope import Envelope, ErrorEnvelope, Page, ok, page
from ..kit.openapi import errors
from ..kit.pagination import PageRequest, page_params
from ..kit.timeutil import utcnow
from ..state import app_state
from . import service
from .guard import require_admin
from .schemas import AdminAccountDetail, AdminAccountOut, AuditEventOut, DisableIn, Overview

STARTED_AT = utcnow()
"""When this process loaded the app: the overview's uptime."""

# Declared for the OpenAPI document; `require_admin` reads the header (or a Bearer token) itself.
_admin_scheme = APIKeyHeader(name="X-Admin-Token", scheme_name="admin", auto_error=False,
                             description="PLURALSPACE_ADMIN_TOKEN, as `X-Admin-Token` or `Authorization: Bearer`.")


async def _admin(request: Request, _documented: str | None = Security(_admin_scheme)) -> Client:
    return await require_admin(request)


Admin = Annotated[Client, Depends(_admin)]
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "ADMIN_TOKEN_REQUIRED: the admin token is missing or wrong"},
    403: {"model": ErrorEnvelope, "description": "ADMIN_TOKEN_NOT_CONFIGURED: the server has no admin token"},
}


def admin_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {**errors(*statuses), **_REFUSALS}


router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
ADMIN = audit.ADMIN


@router.get("/overview", response_model=Envelope[Overview], responses=admin_errors(),
            summary="Counts, database size, version and uptime")
async def get_overview(client: Admin, request: Request) -> Envelope[Any]:
    state = app_state(request)
    return ok(await state.database.write(service.overview, state.settings.registration, STARTED_AT, ADMIN, client))


@router.get("/accounts", response_model=Page[AdminAccountOut], responses=admin_errors(),
            summary="Accounts, newest first; ?q= matches an email (part), an account id, a system id or uuid")
async def list_accounts(client: Admin, request: Request, paging: Annotated[PageRequest, Depends(page_params)],
                        q: Annotated[str | None, Query(min_length=1, max_length=320)] = None) -> Page[Any]:
    items, cursor = await app_state(request).database.write(service.list_accounts, q, paging, ADMIN, client)
    return page(items, paging.limit, cursor)


@router.get("/accounts/{account_id}", response_model=Envelope[AdminAccountDetail], responses=admin_errors(),
            summary="An account, its last login and how much it holds")
async def get_account(account_id: uuid.UUID, client: Admin, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.get_account, account_id, ADMIN, client))


@router.post("/accounts/{account_id}/disable", response_model=Envelope[AdminAccountDetail],
             responses=admin_errors(409),
             summary="Disable an account: its tokens are refused and its system hidden; nothing is deleted")
async def disable_account(account_id: uuid.UUID, body: DisableIn, client: Admin, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.disable_account, account_id, body.reason, ADMIN,
                                                      client))


@router.post("/accounts/{account_id}/restore", response_model=Envelope[AdminAccountDetail],
             responses=admin_errors(409), summary="Restore a disabled account as it was")
async def restore_account(account_id: uuid.UUID, client: Admin, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.restore_account, account_id, ADMIN, client))


@router.delete("/accounts/{account_id}", status_code=204, response_class=Response,
               responses=admin_errors(), summary="Delete an account, its system and all its data")
async def delete_account(account_id: uuid.UUID, client: Admin, request: Request) -> Response:
    await app_state(request).database.write(service.delete_account, account_id, ADMIN, client)
    return Response(status_code=204)


@router.get("/audit-logs", response_model=Page[AuditEventOut], responses=admin_errors(),
            summary="The instance's audit log, newest first")
async def list_audit_logs(
    client: Admin, request: Request, paging: Annotated[PageRequest, Depends(page_params)],
    account_id: Annotated[uuid.UUID | None, Query(description="Only records concerning this account.")] = None,
    kind: Annotated[str | None, Query(min_length=1, max_length=40, description="e.g. login_failed")] = None,
    since: Annotated[AwareDatetime | None, Query(description="Records at or after this time.")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Records before this time.")] = None,
) -> Page[Any]:
    wanted = audit.AuditFilter(account_id=account_id, kind=kind, since=since, until=until)
    items, cursor = await app_state(request).database.write(service.list_audit, wanted, paging, ADMIN, client)
    return page(items, paging.limit, cursor)


@router.get("/audit-logs/{audit_id}", response_model=Envelope[AuditEventOut], responses=admin_errors(),
            summary="One audit record")
async def get_audit_log(audit_id: uuid.UUID, client: Admin, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.get_audit, audit_id, ADMIN, client))


@router.get("/invites", response_model=Page[InviteOut], responses=admin_errors(),
            summary="Invitation codes, newest first (the codes themselves are shown only at creation)")
async def list_invites(client: Admin, request: Request,
                       paging: Annotated[PageRequest, Depends(page_params)]) -> Page[Any]:
    items, cursor = await app_state(request).database.write(invites.list_invites, paging, ADMIN, client)
    return page(items, paging.limit, cursor)


@router.post("/invites", status_code=201, response_model=Envelope[InviteCreated], responses=admin_errors(),
             summary="Make a single-use invitation code (shown once)")
async def create_invite(client: Admin, request: Request, body: InviteCreate | None = None) -> Envelope[Any]:
    state = app_state(request)
    return ok(await state.database.write(invites.create_invite, state.settings.secret_key, state.settings.base_url,
                                         body or InviteCreate(), ADMIN, client))


@router.delete("/invites/{invite_id}", status_code=204, response_class=Response, responses=admin_errors(),
               summary="Revoke an invitation")
async def revoke_invite(invite_id: uuid.UUID, client: Admin, request: Request) -> Response:
    await app_state(request).database.write(invites.revoke_invite, invite_id, ADMIN, client)
    return Response(status_code=204)

"""`/api/v1/me/apps` (the account's developer apps) and `/api/v1/me/authorizations` (apps it has authorized).

Session tokens only, like `/api/v1/me/tokens`: an app's token can neither register apps nor revoke grants.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from ..audit.security_log import client_of
from ..auth.dependencies import SessionOnly
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.openapi import errors
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from . import service
from .schemas import AppCreate, AppOut, AppPatch, AppWithSecret, AuthorizationOut

apps_router = APIRouter(prefix="/api/v1/me/apps", tags=["apps"])
authorizations_router = APIRouter(prefix="/api/v1/me/authorizations", tags=["apps"])

ClientId = Annotated[str, Path(max_length=64, description="The app's client_id.")]


@apps_router.get("", response_model=Page[AppOut],
                 summary="Your developer apps (OAuth clients), newest first")
async def list_apps(principal: SessionOnly, request: Request,
                    paging: Annotated[PageRequest, Depends(page_params)]) -> Page[Any]:
    apps, cursor = await app_state(request).database.read(service.list_apps, principal.account_id, paging)
    return page(apps, paging.limit, cursor)


@apps_router.post("", status_code=201, response_model=Envelope[AppWithSecret],
                  summary="Register an app (a confidential app's client_secret is shown once)")
async def create_app(body: AppCreate, principal: SessionOnly, request: Request) -> Envelope[Any]:
    state = app_state(request)
    return ok(await state.database.write(service.create_app, state.settings.secret_key, principal.account_id, body,
                                         client_of(request)))


@apps_router.get("/{client_id}", response_model=Envelope[AppOut],
                 summary="One of your apps")
async def get_app(client_id: ClientId, principal: SessionOnly, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_app, principal.account_id, client_id))


@apps_router.patch("/{client_id}", response_model=Envelope[AppOut],
                   summary="Change an app's name, description, homepage or redirect URIs")
async def update_app(client_id: ClientId, body: AppPatch, principal: SessionOnly, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_app, principal.account_id, client_id, body))


@apps_router.delete("/{client_id}", status_code=204, response_class=Response,
                    summary="Delete an app; every token it holds, for any account, stops working")
async def delete_app(client_id: ClientId, principal: SessionOnly, request: Request) -> Response:
    await app_state(request).database.write(service.delete_app, principal.account_id, client_id, client_of(request))
    return Response(status_code=204)


@apps_router.post("/{client_id}/secret", response_model=Envelope[AppWithSecret],
                  responses=errors(409),
                  summary="Replace a confidential app's secret (the new one is shown once; the old stops working)")
async def rotate_secret(client_id: ClientId, principal: SessionOnly, request: Request) -> Envelope[Any]:
    state = app_state(request)
    return ok(await state.database.write(service.rotate_secret, state.settings.secret_key, principal.account_id,
                                         client_id, client_of(request)))


@authorizations_router.get("", response_model=Page[AuthorizationOut],
                           summary="Apps you have authorized: their scopes, when granted, when last used")
async def list_authorizations(principal: SessionOnly, request: Request,
                              paging: Annotated[PageRequest, Depends(page_params)]) -> Page[Any]:
    items, cursor = await app_state(request).database.read(service.list_authorizations, principal.account_id,
                                                           paging)
    return page(items, paging.limit, cursor)


@authorizations_router.delete("/{client_id}", status_code=204, response_class=Response,
                              summary="Revoke an app: all its tokens for your account, and the remembered consent")
async def revoke_authorization(client_id: ClientId, principal: SessionOnly, request: Request) -> Response:
    await app_state(request).database.write(service.revoke_authorization, principal.account_id, client_id,
                                            client_of(request))
    return Response(status_code=204)

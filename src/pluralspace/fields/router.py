"""`/api/v1/systems/{sid}/fields`: custom field definitions (values live on members)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from ..auth.dependencies import Requires, Viewer
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from ..systems.params import SystemId
from . import service
from .schemas import FieldCreate, FieldOut, FieldPatch

router = APIRouter(prefix="/api/v1/systems/{sid}/fields", tags=["fields"])
Reader = Annotated[Principal | None, Viewer("fields:read")]
Writer = Annotated[Principal, Requires("fields:write")]


@router.get("", response_model=Page[FieldOut],
            summary="Custom fields, in position order")
async def list_fields(sid: SystemId, viewer: Reader, request: Request,
                      paging: Annotated[PageRequest, Depends(page_params)]) -> Page[Any]:
    fields, cursor = await app_state(request).database.read(service.list_fields, sid, viewer, paging)
    return page(fields, paging.limit, cursor)


@router.post("", status_code=201, response_model=Envelope[FieldOut],
             summary="Define a custom field")
async def create_field(sid: SystemId, body: FieldCreate, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_field, sid, principal, body))


@router.get("/{field_id}", response_model=Envelope[FieldOut],
            summary="A custom field")
async def get_field(sid: SystemId, field_id: uuid.UUID, viewer: Reader, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_field, sid, viewer, field_id))


@router.patch("/{field_id}", response_model=Envelope[FieldOut],
              summary="Rename, reorder, change options or privacy of a field (its type is fixed)")
async def update_field(sid: SystemId, field_id: uuid.UUID, body: FieldPatch, principal: Writer,
                       request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_field, sid, principal, field_id, body))


@router.delete("/{field_id}", status_code=204, response_class=Response,
               summary="Delete a field and every member's value for it")
async def delete_field(sid: SystemId, field_id: uuid.UUID, principal: Writer, request: Request) -> Response:
    await app_state(request).database.write(service.delete_field, sid, principal, field_id)
    return Response(status_code=204)

"""`/api/v1/systems/{sid}/relationship-types` and `/api/v1/systems/{sid}/relationships`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ..auth.dependencies import Requires, Viewer
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.openapi import errors
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from ..systems.params import SystemId
from . import service
from .schemas import (
    RelationshipCreate,
    RelationshipOut,
    RelationshipPatch,
    RelationshipTypeCreate,
    RelationshipTypeOut,
    RelationshipTypePatch,
)

types_router = APIRouter(prefix="/api/v1/systems/{sid}/relationship-types", tags=["relationships"])
router = APIRouter(prefix="/api/v1/systems/{sid}/relationships", tags=["relationships"])
Reader = Annotated[Principal | None, Viewer("relationships:read")]
Writer = Annotated[Principal, Requires("relationships:write")]
Paging = Annotated[PageRequest, Depends(page_params)]
MemberFilter = Annotated[str | None, Query(min_length=1, max_length=64,
                                           description="Short id or uuid: edges where this member is either end.")]


@types_router.get("", response_model=Page[RelationshipTypeOut],
                  summary="Relationship types, oldest first")
async def list_relationship_types(sid: SystemId, viewer: Reader, request: Request, paging: Paging) -> Page[Any]:
    kinds, cursor = await app_state(request).database.read(service.list_types, sid, viewer, paging)
    return page(kinds, paging.limit, cursor)


@types_router.post("", status_code=201, response_model=Envelope[RelationshipTypeOut],
                   summary="Define a relationship type")
async def create_relationship_type(sid: SystemId, body: RelationshipTypeCreate, principal: Writer,
                                   request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_type, sid, principal, body))


@types_router.get("/{type_id}", response_model=Envelope[RelationshipTypeOut],
                  summary="A relationship type")
async def get_relationship_type(sid: SystemId, type_id: uuid.UUID, viewer: Reader, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_type, sid, viewer, type_id))


@types_router.patch("/{type_id}", response_model=Envelope[RelationshipTypeOut],
                    responses=errors(409),
                    summary="Rename or describe a type; making it symmetric is 409 while reverse pairs exist")
async def update_relationship_type(sid: SystemId, type_id: uuid.UUID, body: RelationshipTypePatch,
                                   principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_type, sid, principal, type_id, body))


@types_router.delete("/{type_id}", status_code=204, response_class=Response,
                     summary="Delete a type and every relationship of that type")
async def delete_relationship_type(sid: SystemId, type_id: uuid.UUID, principal: Writer,
                                   request: Request) -> Response:
    await app_state(request).database.write(service.delete_type, sid, principal, type_id)
    return Response(status_code=204)


@router.get("", response_model=Page[RelationshipOut],
            summary="Relationships, oldest first; other viewers see none touching a private member")
async def list_relationships(sid: SystemId, viewer: Reader, request: Request, paging: Paging,
                             member: MemberFilter = None) -> Page[Any]:
    edges, cursor = await app_state(request).database.read(service.list_relationships, sid, viewer, paging,
                                                           member)
    return page(edges, paging.limit, cursor)


@router.post("", status_code=201, response_model=Envelope[RelationshipOut], responses=errors(409),
             summary="Relate two members of this system (409 relationship_exists for a duplicate edge)")
async def create_relationship(sid: SystemId, body: RelationshipCreate, principal: Writer,
                              request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_relationship, sid, principal, body))


@router.get("/{relationship_id}", response_model=Envelope[RelationshipOut],
            summary="A relationship")
async def get_relationship(sid: SystemId, relationship_id: uuid.UUID, viewer: Reader,
                           request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_relationship, sid, viewer, relationship_id))


@router.patch("/{relationship_id}", response_model=Envelope[RelationshipOut], responses=errors(409),
              summary="Change a relationship's note, type or members (same checks as creating one)")
async def update_relationship(sid: SystemId, relationship_id: uuid.UUID, body: RelationshipPatch,
                              principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_relationship, sid, principal,
                                                      relationship_id, body))


@router.delete("/{relationship_id}", status_code=204, response_class=Response,
               summary="Delete a relationship")
async def delete_relationship(sid: SystemId, relationship_id: uuid.UUID, principal: Writer,
                              request: Request) -> Response:
    await app_state(request).database.write(service.delete_relationship, sid, principal, relationship_id)
    return Response(status_code=204)

"""`/api/v1/systems/{sid}/members`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ..auth.dependencies import Requires, Viewer
from ..auth.includes import Includes
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from ..systems.params import SystemId
from . import service
from .schemas import MemberCreate, MemberOut, MemberPatch

router = APIRouter(prefix="/api/v1/systems/{sid}/members", tags=["members"])
Reader = Annotated[Principal | None, Viewer("members:read")]
Writer = Annotated[Principal, Requires("members:write")]
MemberId = Annotated[str, Path(max_length=64, description="Short id or uuid.")]
Include = Annotated[frozenset[str], Includes("members:read", service.INCLUDES)]


async def list_filter(
    archived: Annotated[bool | None, Query(description="Only archived (true) or only active (false).")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Part of the name or display name.")]
    = None,
    custom_front: Annotated[bool | None, Query(description="Only custom fronts (true) or only members.")] = None,
) -> service.ListFilter:
    return service.ListFilter(archived=archived, q=q, custom_front=custom_front)


@router.get("", response_model=Page[MemberOut],
            summary="Members, oldest first; other viewers see public members only")
async def list_members(sid: SystemId, viewer: Reader, request: Request,
                       paging: Annotated[PageRequest, Depends(page_params)],
                       filters: Annotated[service.ListFilter, Depends(list_filter)],
                       include: Include) -> Page[Any]:
    members, cursor = await app_state(request).database.read(service.list_members, sid, viewer, paging, filters,
                                                             include)
    return page(members, paging.limit, cursor)


@router.post("", status_code=201, response_model=Envelope[MemberOut],
             summary="Add a member")
async def create_member(sid: SystemId, body: MemberCreate, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_member, sid, principal, body))


@router.get("/{mid}", response_model=Envelope[MemberOut], summary="A member")
async def get_member(sid: SystemId, mid: MemberId, viewer: Reader, request: Request,
                     include: Include) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_member, sid, viewer, mid, include))


@router.patch("/{mid}", response_model=Envelope[MemberOut],
              summary="Change a member: only the keys sent; null clears; fields set by id")
async def update_member(sid: SystemId, mid: MemberId, body: MemberPatch, principal: Writer,
                        request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_member, sid, principal, mid, body))


@router.delete("/{mid}", status_code=204, response_class=Response,
               summary="Delete a member with its field values, group memberships and relationships")
async def delete_member(sid: SystemId, mid: MemberId, principal: Writer, request: Request) -> Response:
    state = app_state(request)
    await state.media.delete(await state.database.write(service.delete_member, sid, principal, mid,
                                                        state.member_pictures))
    return Response(status_code=204)

"""`/api/v1/systems/{sid}/groups`: groups, their nesting and their members."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from ..auth.dependencies import Requires, Viewer
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.pagination import PageRequest, page_params
from ..members.schemas import MemberOut
from ..state import app_state
from ..systems.params import SystemId
from . import service
from .schemas import GroupCreate, GroupMembers, GroupOut, GroupPatch

router = APIRouter(prefix="/api/v1/systems/{sid}/groups", tags=["groups"])
Reader = Annotated[Principal | None, Viewer("groups:read")]
# A group's member list is made of member profiles: a token needs the members area's scope as well.
MemberListReader = Annotated[Principal | None, Viewer("groups:read", "members:read")]
Writer = Annotated[Principal, Requires("groups:write")]
GroupId = Annotated[str, Path(max_length=64, description="Short id or uuid.")]
Paging = Annotated[PageRequest, Depends(page_params)]


@router.get("", response_model=Page[GroupOut],
            summary="Groups, oldest first; other viewers see public groups only")
async def list_groups(sid: SystemId, viewer: Reader, request: Request, paging: Paging) -> Page[Any]:
    groups, cursor = await app_state(request).database.read(service.list_groups, sid, viewer, paging)
    return page(groups, paging.limit, cursor)


@router.post("", status_code=201, response_model=Envelope[GroupOut],
             summary="Add a group, optionally nested and with members")
async def create_group(sid: SystemId, body: GroupCreate, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_group, sid, principal, body))


@router.get("/{gid}", response_model=Envelope[GroupOut], summary="A group")
async def get_group(sid: SystemId, gid: GroupId, viewer: Reader, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_group, sid, viewer, gid))


@router.patch("/{gid}", response_model=Envelope[GroupOut],
              summary="Change a group: only the keys sent; null clears; privacy merged key by key")
async def update_group(sid: SystemId, gid: GroupId, body: GroupPatch, principal: Writer,
                       request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_group, sid, principal, gid, body))


@router.delete("/{gid}", status_code=204, response_class=Response,
               summary="Delete a group; its subgroups move to the top level, its members stay")
async def delete_group(sid: SystemId, gid: GroupId, principal: Writer, request: Request) -> Response:
    await app_state(request).database.write(service.delete_group, sid, principal, gid)
    return Response(status_code=204)


@router.get("/{gid}/members", response_model=Page[MemberOut],
            summary="The group's members, oldest first; other viewers see public members only")
async def list_group_members(sid: SystemId, gid: GroupId, viewer: MemberListReader, request: Request,
                             paging: Paging) -> Page[Any]:
    members, cursor = await app_state(request).database.read(service.list_group_members, sid, viewer, gid,
                                                             paging)
    return page(members, paging.limit, cursor)


async def _change_members(request: Request, sid: str, principal: Principal, gid: str, body: GroupMembers,
                          mode: str) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.change_group_members, sid, principal, gid,
                                                      body.member_ids, mode))


@router.post("/{gid}/members", response_model=Envelope[GroupOut],
             summary="Add members to the group (members already in it stay once)")
async def add_group_members(sid: SystemId, gid: GroupId, body: GroupMembers, principal: Writer,
                            request: Request) -> Envelope[Any]:
    return await _change_members(request, sid, principal, gid, body, "add")


@router.put("/{gid}/members", response_model=Envelope[GroupOut],
            summary="Make these members the group's whole member list")
async def replace_group_members(sid: SystemId, gid: GroupId, body: GroupMembers, principal: Writer,
                                request: Request) -> Envelope[Any]:
    return await _change_members(request, sid, principal, gid, body, "replace")


@router.delete("/{gid}/members", response_model=Envelope[GroupOut],
               summary="Remove members from the group")
async def remove_group_members(sid: SystemId, gid: GroupId, body: GroupMembers, principal: Writer,
                               request: Request) -> Envelope[Any]:
    return await _change_members(request, sid, principal, gid, body, "remove")

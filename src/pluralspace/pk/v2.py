"""`/pk/v2`: PluralKit's API v2 (https://api.pluralkit.me/v2) over pluralspace's services and data.

Creates answer 200, deletes and membership changes 204, `/fronters` 204 when there are no switches; errors carry
PluralKit's numeric codes (pk/errors.py). Scopes per route: system:*, members:*, groups:*, fronts:* as the area
the route reads or changes, and members:read as well where the answer is made of full members (see pk/auth.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from ..auth.principal import Principal
from ..state import app_state
from . import dispatch, service, switches
from .auth import PkOwner, PkViewer
from .errors import PkCode
from .http import NO_CONTENT, Ref, body_of, no_content, run
from .translate import GROUP, MEMBER, SYSTEM, member_v2, native_body, system_v2, timestamp

router = APIRouter(prefix="/pk/v2", include_in_schema=False)
Mode = Annotated[Literal["add", "remove", "overwrite"], Path()]


# --- systems -----------------------------------------------------------------------------------------------------

@router.get("/systems/{ref}")
async def get_system(ref: Ref, request: Request,
                     viewer: Annotated[Principal | None, PkViewer("system:read")]) -> dict[str, Any]:
    out, webhook_url = await run(request, service.get_system_v2, ref, viewer, not_found=PkCode.SYSTEM_NOT_FOUND)
    return system_v2(out, webhook_url)


@router.patch("/systems/{ref}")
async def update_system(ref: Ref, request: Request,
                        principal: Annotated[Principal, PkOwner("system:write")]) -> dict[str, Any]:
    body = await body_of(request)
    values = native_body(body, SYSTEM, patch=True)
    change = await dispatch.requested(request, ref, principal, body)
    out, webhook_url = await run(request, service.update_system_v2, ref, principal, values, change, write=True,
                                 not_found=PkCode.SYSTEM_NOT_FOUND, fields=SYSTEM.errors_map())
    shown = system_v2(out, webhook_url)
    if change is not None and change.token is not None:
        app_state(request).jobs.wake()  # the new URL's PING is queued
        shown["webhook_token"] = change.token  # the signing token, shown this once (PluralKit DMs it once)
    return shown


@router.get("/systems/{ref}/settings")
async def get_settings(ref: Ref, request: Request,
                       viewer: Annotated[Principal | None, PkViewer("system:read")]) -> dict[str, Any]:
    return await run(request, service.get_settings, ref, viewer, not_found=PkCode.SYSTEM_NOT_FOUND)


@router.patch("/systems/{ref}/settings")
async def update_settings(ref: Ref, request: Request,
                          principal: Annotated[Principal, PkOwner("system:write")]) -> dict[str, Any]:
    return await run(request, service.update_settings, ref, principal, await body_of(request), write=True,
                     not_found=PkCode.SYSTEM_NOT_FOUND)


# --- members -----------------------------------------------------------------------------------------------------

@router.get("/systems/{ref}/members")
async def list_members(ref: Ref, request: Request,
                       viewer: Annotated[Principal | None, PkViewer("members:read")]) -> list[dict[str, Any]]:
    found = await run(request, service.list_members, ref, viewer, not_found=PkCode.SYSTEM_NOT_FOUND,
                      forbidden=PkCode.MEMBER_LIST_PRIVATE)
    return [member_v2(out) for out in found]


@router.post("/members")
async def create_member(request: Request, principal: Annotated[Principal, PkOwner("members:write")]) -> dict[str, Any]:
    values = native_body(await body_of(request), MEMBER, patch=False)
    return member_v2(await run(request, service.create_member, principal, values, write=True,
                               fields=MEMBER.errors_map()))


@router.get("/members/{ref}")
async def get_member(ref: Ref, request: Request,
                     viewer: Annotated[Principal | None, PkViewer("members:read")]) -> dict[str, Any]:
    return member_v2(await run(request, service.get_member, ref, viewer, not_found=PkCode.MEMBER_NOT_FOUND))


@router.patch("/members/{ref}")
async def update_member(ref: Ref, request: Request,
                        principal: Annotated[Principal, PkOwner("members:write")]) -> dict[str, Any]:
    values = native_body(await body_of(request), MEMBER, patch=True)
    return member_v2(await run(request, service.update_member, ref, principal, values, write=True,
                               not_found=PkCode.MEMBER_NOT_FOUND, forbidden=PkCode.NOT_YOUR_MEMBER,
                               fields=MEMBER.errors_map()))


@router.delete("/members/{ref}", status_code=NO_CONTENT)
async def delete_member(ref: Ref, request: Request,
                        principal: Annotated[Principal, PkOwner("members:write")]) -> Response:
    await run(request, service.delete_member, ref, principal, write=True, not_found=PkCode.MEMBER_NOT_FOUND,
              forbidden=PkCode.NOT_YOUR_MEMBER)
    return no_content()


@router.get("/members/{ref}/groups")
async def member_groups(ref: Ref, request: Request,
                        viewer: Annotated[Principal | None, PkViewer("groups:read")]) -> list[dict[str, Any]]:
    return await run(request, service.member_groups, ref, viewer, not_found=PkCode.MEMBER_NOT_FOUND,
                     forbidden=PkCode.GROUP_LIST_PRIVATE)


@router.post("/members/{ref}/groups/{mode}", status_code=NO_CONTENT)
async def change_member_groups(ref: Ref, mode: Mode, request: Request,
                               principal: Annotated[Principal, PkOwner("groups:write")]) -> Response:
    await run(request, service.change_member_groups, ref, principal, await body_of(request), mode, write=True,
              not_found=PkCode.MEMBER_NOT_FOUND, forbidden=PkCode.NOT_YOUR_MEMBER)
    return no_content()


# --- groups ------------------------------------------------------------------------------------------------------

@router.get("/systems/{ref}/groups")
async def list_groups(ref: Ref, request: Request, viewer: Annotated[Principal | None, PkViewer("groups:read")],
                      with_members: bool = False) -> list[dict[str, Any]]:
    return await run(request, service.list_groups, ref, viewer, with_members, not_found=PkCode.SYSTEM_NOT_FOUND,
                     forbidden=PkCode.GROUP_LIST_PRIVATE)


@router.post("/groups")
async def create_group(request: Request, principal: Annotated[Principal, PkOwner("groups:write")]) -> dict[str, Any]:
    values = native_body(await body_of(request), GROUP, patch=False)
    return await run(request, service.create_group, principal, values, write=True, fields=GROUP.errors_map())


@router.get("/groups/{ref}")
async def get_group(ref: Ref, request: Request,
                    viewer: Annotated[Principal | None, PkViewer("groups:read")]) -> dict[str, Any]:
    return await run(request, service.get_group, ref, viewer, not_found=PkCode.GROUP_NOT_FOUND)


@router.patch("/groups/{ref}")
async def update_group(ref: Ref, request: Request,
                       principal: Annotated[Principal, PkOwner("groups:write")]) -> dict[str, Any]:
    values = native_body(await body_of(request), GROUP, patch=True)
    return await run(request, service.update_group, ref, principal, values, write=True,
                     not_found=PkCode.GROUP_NOT_FOUND, forbidden=PkCode.NOT_YOUR_GROUP, fields=GROUP.errors_map())


@router.delete("/groups/{ref}", status_code=NO_CONTENT)
async def delete_group(ref: Ref, request: Request,
                       principal: Annotated[Principal, PkOwner("groups:write")]) -> Response:
    await run(request, service.delete_group, ref, principal, write=True, not_found=PkCode.GROUP_NOT_FOUND,
              forbidden=PkCode.NOT_YOUR_GROUP)
    return no_content()


@router.get("/groups/{ref}/members")
async def group_members(ref: Ref, request: Request,
                        viewer: Annotated[Principal | None, PkViewer("groups:read", "members:read")],
                        ) -> list[dict[str, Any]]:
    found = await run(request, service.group_members, ref, viewer, not_found=PkCode.GROUP_NOT_FOUND,
                      forbidden=PkCode.GROUP_MEMBERS_PRIVATE)
    return [member_v2(out) for out in found]


@router.post("/groups/{ref}/members/{mode}", status_code=NO_CONTENT)
async def change_group_members(ref: Ref, mode: Mode, request: Request,
                               principal: Annotated[Principal, PkOwner("groups:write")]) -> Response:
    await run(request, service.change_group_members, ref, principal, await body_of(request), mode, write=True,
              not_found=PkCode.GROUP_NOT_FOUND, forbidden=PkCode.NOT_YOUR_GROUP)
    return no_content()


# --- switches and fronters ---------------------------------------------------------------------------------------

@router.get("/systems/{ref}/switches")
async def list_switches(ref: Ref, request: Request, viewer: Annotated[Principal | None, PkViewer("fronts:read")],
                        before: Annotated[str | None, Query(max_length=64)] = None,
                        limit: Annotated[int, Query(ge=1)] = switches.MAX_PAGE) -> list[dict[str, Any]]:
    bound = switches.parse_time(before, "before")
    return await run(request, switches.list_switches, ref, viewer, bound, min(limit, switches.MAX_PAGE),
                     not_found=PkCode.SYSTEM_NOT_FOUND, forbidden=PkCode.HISTORY_PRIVATE)


@router.post("/systems/{ref}/switches")
async def create_switch(ref: Ref, request: Request,
                        principal: Annotated[Principal, PkOwner("fronts:write")]) -> dict[str, Any]:
    return await run(request, switches.create_switch, ref, principal, await body_of(request), write=True,
                     not_found=PkCode.SYSTEM_NOT_FOUND, conflicts=switches.SWITCH_CONFLICTS,
                     fields=switches.SWITCH_FIELDS.errors_map())


@router.get("/systems/{ref}/fronters")
async def get_fronters(ref: Ref, request: Request,
                       viewer: Annotated[Principal | None, PkViewer("fronts:read", "members:read")]) -> Any:
    current = await run(request, switches.fronters, ref, viewer, not_found=PkCode.SYSTEM_NOT_FOUND,
                        forbidden=PkCode.FRONTERS_PRIVATE)
    if current is None:
        return no_content()
    switch_id, at, members = current
    return {"id": switch_id, "timestamp": timestamp(at), "members": [member_v2(out) for out in members]}


@router.get("/systems/{ref}/switches/{switch}")
async def get_switch(ref: Ref, switch: Ref, request: Request,
                     viewer: Annotated[Principal | None, PkViewer("fronts:read", "members:read")]) -> dict[str, Any]:
    return await run(request, switches.get_switch, ref, viewer, switch, not_found=PkCode.SYSTEM_NOT_FOUND)


@router.patch("/systems/{ref}/switches/{switch}")
async def move_switch(ref: Ref, switch: Ref, request: Request,
                      principal: Annotated[Principal, PkOwner("fronts:write")]) -> dict[str, Any]:
    return await run(request, switches.move_switch, ref, principal, switch, await body_of(request), write=True,
                     not_found=PkCode.SYSTEM_NOT_FOUND, conflicts=switches.SWITCH_CONFLICTS,
                     fields=switches.SWITCH_FIELDS.errors_map())


@router.patch("/systems/{ref}/switches/{switch}/members")
async def replace_switch_members(ref: Ref, switch: Ref, request: Request,
                                 principal: Annotated[Principal, PkOwner("fronts:write")]) -> dict[str, Any]:
    return await run(request, switches.replace_switch_members, ref, principal, switch, await body_of(request),
                     write=True, not_found=PkCode.SYSTEM_NOT_FOUND, fields=switches.SWITCH_FIELDS.errors_map())


@router.delete("/systems/{ref}/switches/{switch}", status_code=NO_CONTENT)
async def delete_switch(ref: Ref, switch: Ref, request: Request,
                        principal: Annotated[Principal, PkOwner("fronts:write")]) -> Response:
    await run(request, switches.delete_switch, ref, principal, switch, write=True, not_found=PkCode.SYSTEM_NOT_FOUND)
    return no_content()


# --- messages ----------------------------------------------------------------------------------------------------

@router.get("/messages/{ident}")
async def get_message(ident: Ref, request: Request,
                      viewer: Annotated[Principal | None, PkViewer("system:read")]) -> dict[str, Any]:
    record, system, member = await run(request, service.get_message, ident, viewer)
    return {"timestamp": service.message_timestamp(record), "id": record.id, "original": record.original or "",
            "sender": record.sender, "channel": record.channel, "guild": record.guild,
            "system": system_v2(system), "member": None if member is None else member_v2(member)}

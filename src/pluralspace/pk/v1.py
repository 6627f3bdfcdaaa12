"""`/pk/v1`: PluralKit's legacy API v1 over the same services as v2 and the native API.

v1 differs from v2 in shape only: flat privacy keys (null for anyone but the owner), `tz`, the first proxy tag as
`prefix`/`suffix`, no uuids, no groups, switches without ids; `POST /s/switches` answers 204, `/fronters` 404 when
there are no switches, and errors are plain text. PATCH keeps the keys a body leaves out.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..members.schemas import MemberOut
from . import service, switches
from .auth import PkOwner, PkViewer
from .errors import (
    FRONTERS_PRIVATE,
    HISTORY_PRIVATE,
    MEMBER_LIST_PRIVATE,
    NOT_YOUR_MEMBER,
    PkError,
    member_not_found,
    system_not_found,
)
from .http import Ref, body_of, no_content, run
from .translate import MEMBER, SYSTEM, Shape, member_v1, native_body, system_v1, timestamp, v1_body

router = APIRouter(prefix="/pk/v1", include_in_schema=False)
SYSTEM_V1 = Shape(keys={**SYSTEM.keys, "tz": "timezone"}, privacy=SYSTEM.privacy, fixed=SYSTEM.fixed,
                  fixed_privacy=SYSTEM.fixed_privacy, ignored=SYSTEM.ignored)
ME = service.ME


def switch_v1(switch: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": switch["timestamp"], "members": switch["members"]}


@router.get("/s")
async def own_system(request: Request, principal: Annotated[Principal, PkOwner("system:read")]) -> dict[str, Any]:
    return system_v1(await run(request, service.get_system, ME, principal))


@router.patch("/s")
async def update_system(request: Request, principal: Annotated[Principal, PkOwner("system:write")]) -> dict[str, Any]:
    values = native_body(v1_body(await body_of(request), SYSTEM_V1), SYSTEM_V1, patch=True)
    return system_v1(await run(request, service.update_system, ME, principal, values, SYSTEM_V1, write=True,
                               fields=SYSTEM_V1.errors_map()))


@router.post("/s/switches", status_code=204)
async def create_switch(request: Request, principal: Annotated[Principal, PkOwner("fronts:write")]) -> Response:
    body = await body_of(request)
    members = body.get("members") if isinstance(body, dict) else None
    await run(request, switches.create_switch, ME, principal, {"members": members}, write=True,
              fields=switches.SWITCH_FIELDS.errors_map())
    return no_content()


@router.get("/s/{ref}")
async def get_system(ref: Ref, request: Request,
                     viewer: Annotated[Principal | None, PkViewer("system:read")]) -> dict[str, Any]:
    return system_v1(await run(request, service.get_system, ref, viewer, not_found=system_not_found))


@router.get("/s/{ref}/members")
async def list_members(ref: Ref, request: Request,
                       viewer: Annotated[Principal | None, PkViewer("members:read")]) -> list[dict[str, Any]]:
    found = await run(request, service.list_members, ref, viewer, not_found=system_not_found,
                      forbidden=MEMBER_LIST_PRIVATE)
    return [member_v1(out) for out in found]


@router.get("/s/{ref}/switches")
async def list_switches(ref: Ref, request: Request, viewer: Annotated[Principal | None, PkViewer("fronts:read")],
                        before: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, Any]]:
    found = await run(request, switches.list_switches, ref, viewer, switches.parse_time(before, "before"),
                      switches.MAX_PAGE, not_found=system_not_found, forbidden=HISTORY_PRIVATE)
    return [switch_v1(switch) for switch in found]


@router.get("/s/{ref}/fronters")
async def get_fronters(ref: Ref, request: Request,
                       viewer: Annotated[Principal | None, PkViewer("fronts:read", "members:read")]) -> dict[str, Any]:
    current = await run(request, switches.fronters, ref, viewer, not_found=system_not_found,
                        forbidden=FRONTERS_PRIVATE)
    if current is None:
        raise PkError(404, 0, "System has no registered switches.")  # v1 answered 404 where v2 answers 204
    _, at, members = current
    return {"timestamp": timestamp(at), "members": [member_v1(out) for out in members]}


@router.post("/m")
async def create_member(request: Request, principal: Annotated[Principal, PkOwner("members:write")]) -> dict[str, Any]:
    values = native_body(v1_body(await body_of(request), MEMBER), MEMBER, patch=False)
    return member_v1(await run(request, service.create_member, principal, values, write=True,
                               fields=MEMBER.errors_map()))


@router.get("/m/{ref}")
async def get_member(ref: Ref, request: Request,
                     viewer: Annotated[Principal | None, PkViewer("members:read")]) -> dict[str, Any]:
    return member_v1(await run(request, service.get_member, ref, viewer, not_found=member_not_found))


def _update_member(session: Session, ref: str, principal: Principal, body: Any) -> MemberOut:
    """v1's `prefix`/`suffix` edit the first proxy tag, so the stored tags are read in the same unit of work."""
    tags = service.member_proxy_tags(session, ref, principal)
    values = native_body(v1_body(body, MEMBER, current_tags=tags), MEMBER, patch=True)
    return service.update_member(session, ref, principal, values)


@router.patch("/m/{ref}")
async def update_member(ref: Ref, request: Request,
                        principal: Annotated[Principal, PkOwner("members:write")]) -> dict[str, Any]:
    return member_v1(await run(request, _update_member, ref, principal, await body_of(request), write=True,
                               not_found=member_not_found, forbidden=NOT_YOUR_MEMBER, fields=MEMBER.errors_map()))


@router.delete("/m/{ref}", status_code=204)
async def delete_member(ref: Ref, request: Request,
                        principal: Annotated[Principal, PkOwner("members:write")]) -> Response:
    await run(request, service.delete_member, ref, principal, write=True, not_found=member_not_found,
              forbidden=NOT_YOUR_MEMBER)
    return no_content()


@router.get("/a/{discord_id}")
async def system_by_account(discord_id: Ref, request: Request,
                            viewer: Annotated[Principal | None, PkViewer("system:read")]) -> dict[str, Any]:
    return system_v1(await run(request, service.system_by_account, discord_id, viewer, not_found=system_not_found))


@router.get("/msg/{ident}")
async def get_message(ident: Ref, request: Request,
                      viewer: Annotated[Principal | None, PkViewer("system:read")]) -> dict[str, Any]:
    record, system, member = await run(request, service.get_message, ident, viewer)
    return {"timestamp": service.message_timestamp(record), "id": record.id, "original": record.original,
            "sender": record.sender, "channel": record.channel, "system": system_v1(system),
            "member": None if member is None else member_v1(member)}


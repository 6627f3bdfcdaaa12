"""`/api/v1/systems/{sid}/fronts`, `/fronters` and `/switches`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import AwareDatetime

from ..auth.dependencies import Requires, Viewer
from ..auth.includes import Includes, held_includes
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.errors import ValidationFailed
from ..kit.openapi import errors
from ..kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, page_params
from ..state import app_state
from ..systems.params import SystemId
from . import service
from .schemas import FrontCreate, FrontEnd, FrontersReplace, FrontOut, FrontPatch, SwitchCreate, SwitchOut, SwitchPatch

router = APIRouter(prefix="/api/v1/systems/{sid}", tags=["fronts"])
Reader = Annotated[Principal | None, Viewer("fronts:read")]
Writer = Annotated[Principal, Requires("fronts:write")]
Paging = Annotated[PageRequest, Depends(page_params)]
Include = Annotated[frozenset[str], Includes("fronts:read", service.INCLUDES)]


def _utc(name: str, value: datetime | None) -> datetime | None:
    """A query timestamp in UTC; one that UTC cannot hold (year 1 or 9999 with an offset) is a 422, not a 500."""
    return None if value is None else _in_utc(name, value)


def _in_utc(name: str, value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed.field(name, "is out of range") from None


async def switch_time(timestamp: Annotated[AwareDatetime, Path(
        description="The switch's timestamp (its id), RFC 3339 with an offset, e.g. 2026-01-01T10:00:00.25Z.")]
) -> datetime:
    return _in_utc("timestamp", timestamp)


SwitchTime = Annotated[datetime, Depends(switch_time)]


async def front_filter(
    member: Annotated[str | None, Query(min_length=1, max_length=64,
                                        description="Short id or uuid: only this member's fronts.")] = None,
    since: Annotated[AwareDatetime | None, Query(description="With until: fronts overlapping [since, until).")]
    = None,
    until: Annotated[AwareDatetime | None, Query(description="Fronts that started before this time.")] = None,
    active: Annotated[bool | None, Query(description="Only open fronts (true) or only ended ones (false).")]
    = None,
) -> service.FrontFilter:
    since, until = _utc("since", since), _utc("until", until)
    if since is not None and until is not None and until <= since:
        raise ValidationFailed.field("until", "must be after since")
    return service.FrontFilter(member=member, since=since, until=until, active=active)


@router.get("/fronts", response_model=Page[FrontOut],
            summary="Front history, newest first (needs front_history public for other viewers)")
async def list_fronts(sid: SystemId, viewer: Reader, request: Request, paging: Paging,
                      filters: Annotated[service.FrontFilter, Depends(front_filter)],
                      include: Include) -> Page[Any]:
    fronts, cursor = await app_state(request).database.read(service.list_fronts, sid, viewer, paging, filters,
                                                            include)
    return page(fronts, paging.limit, cursor)


@router.post("/fronts", status_code=201, response_model=Envelope[FrontOut], responses=errors(409),
             summary="Start (or log) a front; 409 front_overlap when it meets another front of the member")
async def create_front(sid: SystemId, body: FrontCreate, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_front, sid, principal, body))


@router.get("/fronts/{front_id}", response_model=Envelope[FrontOut],
            summary="A front")
async def get_front(sid: SystemId, front_id: uuid.UUID, viewer: Reader, request: Request,
                    include: Include) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_front, sid, viewer, front_id, include))


@router.patch("/fronts/{front_id}", response_model=Envelope[FrontOut], responses=errors(409),
              summary="Change started_at, ended_at (null reopens) or comment; the overlap rule applies")
async def update_front(sid: SystemId, front_id: uuid.UUID, body: FrontPatch, principal: Writer,
                       request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_front, sid, principal, front_id, body))


@router.delete("/fronts/{front_id}", status_code=204, response_class=Response,
               summary="Delete a front")
async def delete_front(sid: SystemId, front_id: uuid.UUID, principal: Writer, request: Request) -> Response:
    await app_state(request).database.write(service.delete_front, sid, principal, front_id)
    return Response(status_code=204)


@router.post("/fronts/{front_id}/end", response_model=Envelope[FrontOut], responses=errors(409),
             summary="End an open front (default now); 409 front_ended when it has ended already")
async def end_front(sid: SystemId, front_id: uuid.UUID, principal: Writer, request: Request,
                    body: FrontEnd | None = None) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.end_front, sid, principal, front_id,
                                                      body or FrontEnd()))


@router.get("/fronters", response_model=Envelope[list[FrontOut]],
            summary="Who fronts now: the open fronts with their members (needs front public for other viewers)",
            description="Each front's `member` is filled for viewers without a token and for tokens holding "
                        "`members:read`; for other tokens it is null (`member_id` stays).")
async def get_fronters(sid: SystemId, viewer: Reader, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.current_fronters, sid, viewer,
                                                     held_includes(viewer, service.INCLUDES)))


@router.put("/fronters", response_model=Envelope[list[FrontOut]], responses=errors(409),
            summary="Replace who fronts, in one transaction: ends the fronts of members left out and starts "
                    "fronts for new ones at `at`; members already fronting are untouched")
async def replace_fronters(sid: SystemId, body: FrontersReplace, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.replace_fronters, sid, principal, body))


@router.get("/switches", response_model=Page[SwitchOut],
            summary="Switches derived from the front history, newest first",
            description="A switch is a time at which the set of fronters changed, with everyone fronting right "
                        "after it (`member_ids: []` = nobody). Page with `?before=` set to the timestamp of the "
                        "last switch served; `pagination.cursor` is that timestamp (null on the last page) and is "
                        "also accepted as `?cursor=`.")
async def list_switches(
    sid: SystemId, viewer: Reader, request: Request,
    before: Annotated[AwareDatetime | None, Query(description="Only switches earlier than this.")] = None,
    cursor: Annotated[AwareDatetime | None, Query(description="Same as before (pagination.cursor).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1..200.")] = DEFAULT_LIMIT,
) -> Page[Any]:
    if before is not None and cursor is not None:
        raise ValidationFailed.field("cursor", "send before or cursor, not both")
    before, cursor = _utc("before", before), _utc("cursor", cursor)
    switches, next_cursor = await app_state(request).database.read(service.list_switches, sid, viewer,
                                                                   before or cursor, limit)
    return page(switches, limit, next_cursor)


@router.post("/switches", status_code=201, response_model=Envelope[SwitchOut],
             responses=errors(409),
             summary="Add a switch, back-dated into the history if need be: member_ids front from timestamp "
                     "until the next switch; 409 switch_exists or no_change")
async def create_switch(sid: SystemId, body: SwitchCreate, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_switch, sid, principal, body))


@router.get("/switches/{timestamp}", response_model=Envelope[SwitchOut],
            summary="The switch at a timestamp (its id), as this viewer's switch list shows it")
async def get_switch(sid: SystemId, at: SwitchTime, viewer: Reader, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_switch, sid, viewer, at))


@router.patch("/switches/{timestamp}", response_model=Envelope[SwitchOut], responses=errors(409),
              summary="Replace who fronts from the switch until the next one (member_ids) and/or move it "
                      "(timestamp, between the changes around it); answers the switch under its new timestamp")
async def update_switch(sid: SystemId, at: SwitchTime, body: SwitchPatch, principal: Writer,
                        request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_switch, sid, principal, at, body))


@router.delete("/switches/{timestamp}", status_code=204, response_class=Response,
               summary="Remove a switch: who fronted before it fronts on until the next switch")
async def delete_switch(sid: SystemId, at: SwitchTime, principal: Writer, request: Request) -> Response:
    await app_state(request).database.write(service.delete_switch, sid, principal, at)
    return Response(status_code=204)

"""`/api/v1/systems/{sid}/fronts`, `/fronters` and `/switches`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime

from ..auth.dependencies import Requires, Viewer
from ..auth.includes import Includes, expands
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.errors import ValidationFailed
from ..kit.openapi import WRITE, errors
from ..kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, page_params
from ..state import app_state
from ..systems.params import SystemId
from . import service
from .schemas import FrontCreate, FrontEnd, FrontersReplace, FrontOut, FrontPatch, SwitchOut

router = APIRouter(prefix="/api/v1/systems/{sid}", tags=["fronts"])
Reader = Annotated[Principal | None, Viewer("fronts:read")]
Writer = Annotated[Principal, Requires("fronts:write")]
Paging = Annotated[PageRequest, Depends(page_params)]
# `member` fills each front's member object.
Include = Annotated[frozenset[str], Includes("fronts:read", {"member": "members:read"})]


def _utc(name: str, value: datetime | None) -> datetime | None:
    """A query timestamp in UTC; one that UTC cannot hold (year 1 or 9999 with an offset) is a 422, not a 500."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed.field(name, "is out of range") from None


def front_filter(
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


@router.get("/fronts", response_model=Page[FrontOut], responses=errors(403, 404, 422),
            summary="Front history, newest first (needs front_history public for other viewers)")
async def list_fronts(sid: SystemId, viewer: Reader, request: Request, paging: Paging,
                      filters: Annotated[service.FrontFilter, Depends(front_filter)],
                      include: Include) -> Page[Any]:
    fronts, cursor = await app_state(request).database.read(service.list_fronts, sid, viewer, paging, filters,
                                                            "member" in include)
    return page(fronts, paging.limit, cursor)


@router.post("/fronts", status_code=201, response_model=Envelope[FrontOut], responses=errors(*WRITE, 403, 404, 409),
             summary="Start (or log) a front; 409 front_overlap when it meets another front of the member")
async def create_front(sid: SystemId, body: FrontCreate, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_front, sid, principal, body))


@router.get("/fronts/{front_id}", response_model=Envelope[FrontOut], responses=errors(403, 404, 422),
            summary="A front")
async def get_front(sid: SystemId, front_id: uuid.UUID, viewer: Reader, request: Request,
                    include: Include) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_front, sid, viewer, front_id,
                                                     "member" in include))


@router.patch("/fronts/{front_id}", response_model=Envelope[FrontOut], responses=errors(*WRITE, 403, 404, 409),
              summary="Change started_at, ended_at (null reopens) or comment; the overlap rule applies")
async def update_front(sid: SystemId, front_id: uuid.UUID, body: FrontPatch, principal: Writer,
                       request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_front, sid, principal, front_id, body))


@router.delete("/fronts/{front_id}", status_code=204, response_class=Response, responses=errors(403, 404, 422),
               summary="Delete a front")
async def delete_front(sid: SystemId, front_id: uuid.UUID, principal: Writer, request: Request) -> Response:
    await app_state(request).database.write(service.delete_front, sid, principal, front_id)
    return Response(status_code=204)


@router.post("/fronts/{front_id}/end", response_model=Envelope[FrontOut], responses=errors(*WRITE, 403, 404, 409),
             summary="End an open front (default now); 409 front_ended when it has ended already")
async def end_front(sid: SystemId, front_id: uuid.UUID, principal: Writer, request: Request,
                    body: FrontEnd | None = None) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.end_front, sid, principal, front_id,
                                                      body or FrontEnd()))


@router.get("/fronters", response_model=Envelope[list[FrontOut]], responses=errors(403, 404),
            summary="Who fronts now: the open fronts with their members (needs front public for other viewers)",
            description="Each front's `member` is filled for viewers without a token and for tokens holding "
                        "`members:read`; for other tokens it is null (`member_id` stays).")
async def get_fronters(sid: SystemId, viewer: Reader, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.current_fronters, sid, viewer,
                                                     expands(viewer, "members:read")))


@router.put("/fronters", response_model=Envelope[list[FrontOut]], responses=errors(*WRITE, 403, 404, 409),
            summary="Replace who fronts, in one transaction: ends the fronts of members left out and starts "
                    "fronts for new ones at `at`; members already fronting are untouched")
async def replace_fronters(sid: SystemId, body: FrontersReplace, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.replace_fronters, sid, principal, body))


@router.get("/switches", response_model=Page[SwitchOut], responses=errors(403, 404, 422),
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

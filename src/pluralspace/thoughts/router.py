"""`/api/v1/systems/{sid}/thought` (today's) and `/thoughts` (the history)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ..auth.dependencies import Requires, Viewer
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from ..systems.params import SystemId
from . import service
from .schemas import ThoughtOut, ThoughtSet

router = APIRouter(prefix="/api/v1/systems/{sid}", tags=["thoughts"])
Reader = Annotated[Principal | None, Viewer("thoughts:read")]
Writer = Annotated[Principal, Requires("thoughts:write")]
ThoughtId = Annotated[uuid.UUID, Path(description="The thought's id (a UUID).")]


@router.get("/thought", response_model=Envelope[ThoughtOut | None],
            summary="Today's thought: the latest one of the system's current local day, or data: null")
async def get_thought(sid: SystemId, viewer: Reader, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.today_thought, sid, viewer))


@router.put("/thought", response_model=Envelope[ThoughtOut],
            summary="Set today's thought (200 with it)",
            description="Adds a thought dated with the system's local date, from its timezone. An earlier "
                        "thought of the same day stays in the history; `GET /thought` shows the latest.")
async def set_thought(sid: SystemId, body: ThoughtSet, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.set_thought, sid, principal, body))


@router.get("/thoughts", response_model=Page[ThoughtOut],
            summary="Thoughts, newest first")
async def list_thoughts(
    sid: SystemId, viewer: Reader, request: Request, paging: Annotated[PageRequest, Depends(page_params)],
    day: Annotated[date | None, Query(alias="date", description="Only thoughts of this local date, YYYY-MM-DD.")]
    = None,
) -> Page[Any]:
    thoughts, cursor = await app_state(request).database.read(service.list_thoughts, sid, viewer, paging,
                                                              day.isoformat() if day else None)
    return page(thoughts, paging.limit, cursor)


@router.delete("/thoughts/{thought_id}", status_code=204, response_class=Response, summary="Delete a thought")
async def delete_thought(sid: SystemId, thought_id: ThoughtId, principal: Writer, request: Request) -> Response:
    await app_state(request).database.write(service.delete_thought, sid, principal, thought_id)
    return Response(status_code=204)

"""`/api/v1/systems/{sid}/wrapped`: monthly and yearly recaps."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from ..auth.dependencies import Viewer
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from ..systems.params import SystemId
from . import service
from .schemas import PeriodOut, WrappedOut

router = APIRouter(prefix="/api/v1/systems/{sid}/wrapped", tags=["wrapped"])
Year = Annotated[int, Path(ge=1970, le=9998)]
Month = Annotated[int, Path(ge=1, le=12)]
WrappedViewer = Annotated[Principal | None, Viewer("wrapped:read")]


@router.get("", response_model=Page[PeriodOut],
            summary="The months and years there are recaps of, newest first (each year right after its January)")
async def list_wrapped(sid: SystemId, viewer: WrappedViewer, request: Request,
                       paging: Annotated[PageRequest, Depends(page_params)]) -> Page[Any]:
    periods, cursor = await app_state(request).database.read(service.list_periods, sid, viewer, paging)
    return page(periods, paging.limit, cursor)


@router.get("/{year}", response_model=Envelope[WrappedOut],
            summary="A year's recap, in the system's time zone")
async def year_wrapped(sid: SystemId, year: Year, viewer: WrappedViewer, request: Request) -> Envelope[Any]:
    return ok(await service.recap(app_state(request).database, sid, viewer, service.Period(year, None)))


@router.get("/{year}/{month}", response_model=Envelope[WrappedOut],
            summary="A month's recap, in the system's time zone")
async def month_wrapped(sid: SystemId, year: Year, month: Month, viewer: WrappedViewer,
                        request: Request) -> Envelope[Any]:
    return ok(await service.recap(app_state(request).database, sid, viewer, service.Period(year, month)))

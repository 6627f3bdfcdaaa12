"""`/api/v1/systems`: a system's profile, as its owner or the public sees it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request

from ..auth.dependencies import Requires, Viewer
from ..auth.principal import Principal
from ..kit.envelope import Envelope, ok
from ..state import app_state
from . import service
from .params import SystemId
from .schemas import SystemOut, SystemPatch

router = APIRouter(prefix="/api/v1/systems", tags=["systems"])


@router.get("/{sid}", response_model=Envelope[SystemOut],
            summary="A system; other viewers see only what its privacy settings allow")
async def get_system(sid: SystemId, viewer: Annotated[Principal | None, Viewer("system:read")],
                     request: Request) -> Envelope[Any]:
    own = service.own_system_view(sid, viewer)
    return ok(own if own is not None else await app_state(request).database.read(service.get_system, sid, viewer))


@router.patch("/@me", response_model=Envelope[SystemOut],
              summary="Change your system's profile, time zone and privacy")
async def update_system(body: SystemPatch, principal: Annotated[Principal, Requires("system:write")],
                        request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_system, principal, body))

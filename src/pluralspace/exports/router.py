"""`GET /api/v1/systems/@me/export`: the caller's system as a downloadable JSON file (not an envelope)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from .. import audit
from ..audit.security_log import client_of
from ..auth.dependencies import Requires, check_scopes
from ..auth.principal import Principal
from ..kit.openapi import errors
from ..kit.timeutil import utcnow
from ..state import app_state
from . import service

router = APIRouter(prefix="/api/v1/systems/@me", tags=["export"])

FILE_DESCRIPTION = (
    "The file, streamed. `pluralspace`: `{format, version, exported_at, omitted, system, fields, members, groups, "
    "relationship_types, relationships, fronts, journal, polls (each with its votes), thoughts}`, every object as "
    "the API shows it to its owner; sections the token cannot read are left out and named in `omitted`. "
    "`pluralkit`: PluralKit's `pk;export` version 2 (needs members:read, groups:read and fronts:read).")


@router.get("/export", response_class=StreamingResponse, summary="Export your system as a JSON file",
            responses={200: {"content": {"application/json": {}}, "description": FILE_DESCRIPTION},
                       **errors(403, 422)})
async def export_system(principal: Annotated[Principal, Requires("system:read")], request: Request,
                        format: Annotated[Literal["pluralspace", "pluralkit"],
                                          Query(description="The file's format.")] = "pluralspace",
                        ) -> StreamingResponse:
    database = app_state(request).database
    if format == "pluralkit":
        check_scopes(principal, service.PLURALKIT_NEEDS)
        body = service.pluralkit_file(database, principal)
    else:
        body = service.pluralspace_file(database, principal)
    await database.write(service.record_export, principal, format, client_of(request), audit.ACCOUNT)
    name = service.file_name(principal.system_hid, format, utcnow())
    return StreamingResponse(body, media_type="application/json",
                             headers={"Content-Disposition": f'attachment; filename="{name}"',
                                      "Cache-Control": "no-store"})

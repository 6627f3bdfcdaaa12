"""`GET /api/v1/systems/@me/export`: the caller's system as a downloadable JSON file (not an envelope)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from .. import audit
from ..audit.security_log import client_of
from ..auth.dependencies import Requires, check_scopes
from ..auth.principal import Principal
from ..files import PRIVATE_DIR
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
            responses={200: {"content": {"application/json": {}, "application/zip": {}},
                             "description": FILE_DESCRIPTION}})
async def export_system(principal: Annotated[Principal, Requires("system:read")], request: Request,
                        format: Annotated[Literal["pluralspace", "pluralkit"],
                                          Query(description="The file's format.")] = "pluralspace",
                        media: Annotated[bool, Query(description="A zip of the file and the pictures stored here "
                                                                 "(`media/<key>`), which an import brings back."
                                                     )] = False,
                        ) -> Response:
    state = app_state(request)
    database = state.database
    if format == "pluralkit":
        check_scopes(principal, service.PLURALKIT_NEEDS)
        body = service.pluralkit_file(database, principal)
    else:
        body = service.pluralspace_file(database, principal)
    await database.write(service.record_export, principal, format, client_of(request), audit.ACCOUNT)
    name = service.file_name(principal.system_hid, format, utcnow())
    if media:
        target = keep_private(state.settings.data_dir / EXPORTS_DIR) / f"{uuid.uuid4()}.zip"
        try:
            await service.zip_with_pictures(body, name, target, database, principal, state.media)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return FileResponse(target, media_type="application/zip", filename=name.removesuffix(".json") + ".zip",
                            headers={"Cache-Control": "no-store"}, background=BackgroundTask(target.unlink))
    return StreamingResponse(body, media_type="application/json",
                             headers={"Content-Disposition": f'attachment; filename="{name}"',
                                      "Cache-Control": "no-store"})


EXPORTS_DIR = "exports"  # zips being sent, in the data dir: each is removed once sent


def keep_private(folder: Path) -> Path:
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    return folder

"""`/api/v1/systems/@me/imports`: send a file to import (a job), and follow the jobs."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from ..audit.security_log import client_of
from ..auth.dependencies import Requires
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.openapi import errors
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from . import service
from .schemas import ImportJobOut
from .source import FORMAT_NAMES
from .upload import receive_file, upload_path

router = APIRouter(prefix="/api/v1/systems/@me/imports", tags=["imports"])
PATH = router.prefix  # its body is streamed to disk by the handler, not read by the edge middleware
Writer = Annotated[Principal, Requires("system:write")]
Paging = Annotated[PageRequest, Depends(page_params)]
if TYPE_CHECKING:
    Format = str  # the names are known only at run time
else:
    Format = Literal[FORMAT_NAMES]  # the names, from the registry of formats

UPLOAD_DESCRIPTION = (
    "The file as the raw body (JSON, or a zip holding the export), or as the multipart field `file`. It is stored "
    "(0600, in the data dir) until the job has run, and is limited to PLURALSPACE_MAX_IMPORT_BYTES (413). The job "
    "reads it, then applies everything in one transaction: a file that is refused, or that fails halfway, changes "
    "nothing. Objects keep their source ids, so importing the same file again creates nothing twice and updates "
    "what changed. One import per system at a time (409 `import_running`).")


@router.post("", status_code=202, response_model=Envelope[ImportJobOut], responses=errors(409),
             summary="Import a file into your system (a background job)", description=UPLOAD_DESCRIPTION,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"type": "object"}},
                 "application/zip": {"schema": {"type": "string", "format": "binary"}},
                 "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                     "file": {"type": "string", "format": "binary"}}}}}}})
async def create_import(principal: Writer, request: Request,
                        format: Annotated[Format,
                                          Query(description="The file's format; `auto` detects it.")] = "auto",
                        dry_run: Annotated[bool, Query(description="Report what the import would do, and change "
                                                                   "nothing.")] = False) -> JSONResponse:
    state = app_state(request)
    await state.database.read(service.check_none_pending, principal)
    job_id = uuid.uuid4()
    target = upload_path(state.settings.data_dir, str(job_id))
    source_name, _size = await receive_file(request, target, state.settings.max_import_bytes)
    try:
        job = await state.database.write(service.create_job, principal, job_id, format, dry_run,
                                         source_name, target.name, client_of(request))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    state.jobs.wake()
    return JSONResponse(ok(job).model_dump(mode="json"), status_code=202)


@router.get("", response_model=Page[ImportJobOut],
            summary="Your imports, newest first")
async def list_imports(principal: Annotated[Principal, Requires("system:write")], request: Request,
                       paging: Paging) -> Page[Any]:
    state = app_state(request)
    found, cursor = await state.database.read(service.list_jobs, principal, paging)
    return page([service.job_out(job, state.jobs.progress.get(job.id)) for job in found], paging.limit, cursor)


@router.get("/{job_id}", response_model=Envelope[ImportJobOut],
            summary="An import: status, progress, counts, warnings, error")
async def get_import(principal: Annotated[Principal, Requires("system:write")], request: Request,
                     job_id: Annotated[uuid.UUID, Path(description="The import's id.")]) -> Envelope[Any]:
    state = app_state(request)
    job = await state.database.read(service.get_job, principal, job_id)
    return ok(service.job_out(job, state.jobs.progress.get(job.id)))

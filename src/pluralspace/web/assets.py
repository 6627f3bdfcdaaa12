"""The pages' own static files (`/static/…`), served by this server: no CDN, and the Content-Security-Policy
allows nothing else."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi import Path as PathParam
from starlette.responses import Response

from ..kit.errors import NotFound

router = APIRouter(include_in_schema=False)

STATIC = "/static"
_TYPES = {".css": "text/css; charset=utf-8"}
# Read once at start: serving them then never touches the disk on the event loop.
_FILES = {path.name: (path.read_bytes(), _TYPES[path.suffix])
          for path in (Path(__file__).parent / "static").iterdir() if path.suffix in _TYPES}


@router.get(STATIC + "/{name}")
async def static_file(name: str = PathParam(max_length=64)) -> Response:
    found = _FILES.get(name)
    if found is None:
        raise NotFound("No such file.")
    body, media_type = found
    return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=3600",
                                                          "X-Content-Type-Options": "nosniff"})

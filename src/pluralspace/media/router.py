"""Avatars and banners: `PUT`/`DELETE /api/v1/systems/@me/{avatar,banner}`, the same under
`/api/v1/systems/@me/members/{mid}/`, and `GET /media/<key>` that serves them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from starlette.datastructures import UploadFile

from ..auth.dependencies import Requires, bearer_token, principal_for_token
from ..auth.principal import Principal
from ..config import Settings
from ..kit.envelope import Envelope, ok
from ..kit.errors import NotFound, PayloadTooLarge, ValidationFailed
from ..kit.openapi import errors
from ..kit.storage import is_key
from ..members.schemas import MemberOut
from ..state import AppState, app_state
from ..systems.schemas import SystemOut
from . import service
from .images import ACCEPTED, Encoded, declared_format, reencode
from .models import SLOTS
from .service import Place

router = APIRouter(tags=["media"])

SYSTEM_PATH = "/api/v1/systems/@me/{slot}"
MEMBER_PATH = "/api/v1/systems/@me/members/{{mid}}/{slot}"
UPLOAD_PATHS = re.compile(r"^/api/v1/systems/@me(/members/[^/]+)?/(avatar|banner)$")
# A multipart body carries its part headers and boundaries besides the image.
MULTIPART_ALLOWANCE = 16 * 1024
UNDECLARED = ("", "application/octet-stream")  # a multipart part without a type of its own: the bytes decide
SystemWriter = Annotated[Principal, Requires("system:write")]
MemberWriter = Annotated[Principal, Requires("members:write")]
MemberId = Annotated[str, Path(max_length=64, description="Short id or uuid.")]

UPLOAD_DESCRIPTION = (
    "The image as the raw body (`Content-Type: image/png`, `image/jpeg`, `image/webp` or `image/gif`) or as the "
    "multipart field `file`; at most PLURALSPACE_MAX_MEDIA_BYTES (5 MB by default, else 413) and "
    "PLURALSPACE_MAX_MEDIA_PIXELS once decoded. Other types are 415, a body that is not a whole image of its type "
    "is 422. The image is decoded and written again (its metadata, EXIF and location included, is not kept) and "
    "`{slot}_url` then points at `/media/<key>`; the image it replaces is removed.")
BODY = {"requestBody": {"required": True, "content": {
    **{content_type: {"schema": {"type": "string", "format": "binary"}} for content_type in ACCEPTED},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}}


def body_limit(settings: Settings) -> Callable[[str], int]:
    """The body limit of a path: an image's on the upload paths, the usual one elsewhere."""
    return lambda path: (settings.max_media_bytes + MULTIPART_ALLOWANCE if is_upload_path(path)
                         else settings.max_body_bytes)


def is_upload_path(path: str) -> bool:
    return UPLOAD_PATHS.match(path) is not None


async def _received(request: Request, state: AppState) -> Encoded:
    """The uploaded image, re-encoded; 413 over the limit, 415 for another type, 422 for a broken image."""
    limit = state.settings.max_media_bytes
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
        async with request.form(max_files=1, max_fields=8) as form:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                raise ValidationFailed.field("file", "send the image as the multipart field `file`")
            part_type = (part.content_type or "").split(";", 1)[0].strip().lower()
            expected = None if part_type in UNDECLARED else declared_format(part_type)
            raw = await part.read(limit + 1)
    else:
        expected = declared_format(content_type)
        raw = await request.body()
    if len(raw) > limit:
        raise PayloadTooLarge(f"The image is over the limit of {limit} bytes.")
    return await asyncio.to_thread(reencode, raw, state.settings.max_media_pixels, expected)


async def _put(request: Request, principal: Principal, place: Place) -> Envelope[Any]:
    state = app_state(request)
    image = await _received(request, state)
    key = image.key(principal.system_uuid, await state.database.read(service.resolve, principal, place))
    await state.media.put(key, image.content, image.content_type)
    try:
        out, gone = await state.database.write(service.attach, principal, place, key, image,
                                               service.media_url(state.settings.base_url, key))
    except BaseException:
        await state.media.delete(await state.database.read(service.unused, [key]))
        raise
    await state.media.delete(gone)
    return ok(out)


async def _delete(request: Request, principal: Principal, place: Place) -> Response:
    state = app_state(request)
    await state.media.delete(await state.database.write(service.detach, principal, place))
    return Response(status_code=204)


def _system_routes(slot: str) -> None:
    async def put(principal: SystemWriter, request: Request) -> Envelope[Any]:
        return await _put(request, principal, Place(slot))

    async def remove(principal: SystemWriter, request: Request) -> Response:
        return await _delete(request, principal, Place(slot))

    _add(SYSTEM_PATH.format(slot=slot), f"system_{slot}", put, remove, Envelope[SystemOut], f"your system's {slot}")


def _member_routes(slot: str) -> None:
    async def put(mid: MemberId, principal: MemberWriter, request: Request) -> Envelope[Any]:
        return await _put(request, principal, Place(slot, mid))

    async def remove(mid: MemberId, principal: MemberWriter, request: Request) -> Response:
        return await _delete(request, principal, Place(slot, mid))

    _add(MEMBER_PATH.format(slot=slot), f"member_{slot}", put, remove, Envelope[MemberOut], f"a member's {slot}")


def _add(path: str, name: str, put: Callable[..., Awaitable[Envelope[Any]]], remove: Callable[..., Awaitable[Response]],
         response_model: Any, what: str) -> None:
    slot = name.rsplit("_", 1)[-1]
    router.add_api_route(path, put, methods=["PUT"], name=f"put_{name}", response_model=response_model,
                         responses=errors(507), summary=f"Upload {what} (an image)",
                         description=UPLOAD_DESCRIPTION.format(slot=slot), openapi_extra=BODY)
    router.add_api_route(path, remove, methods=["DELETE"], name=f"delete_{name}", status_code=204,
                         response_class=Response,
                         summary=f"Remove {what}",
                         description=f"Clears `{slot}_url` (a stored image or a linked URL); a stored image is "
                                     "removed.")


for _slot in SLOTS:
    _system_routes(_slot)
    _member_routes(_slot)

CACHE_CONTROL = "private, max-age=31536000, immutable"


@router.get(f"{service.ROUTE_PREFIX}{{key}}", response_class=Response, responses={
    200: {"content": {content_type: {} for content_type in ACCEPTED}, "description": "The image"},
    304: {"description": "Not modified (If-None-Match)"},
    **errors(401, 403)},  # it reads a token itself, when one is sent
    summary="A stored image; public where the field it belongs to is visible to the viewer")
async def get_media(key: Annotated[str, Path(max_length=64, description="The key from an `*_url` field.")],
                    request: Request) -> Response:
    """Answers with a token or without one. A member's avatar or banner shows where the member and its avatar
    privacy are visible to the viewer (the owner's token needs `members:read` to see the private ones); the
    system's to anyone. Anything else, like an unknown key, is 404. Keys are derived from the image's bytes, so the
    answer is cached for good (`immutable`) by the viewer's browser only (`private`: whether others may see it can
    change)."""
    if not is_key(key):
        raise NotFound("No such image.")
    state = app_state(request)
    token = bearer_token(request)
    viewer = await principal_for_token(request, token) if token is not None else None
    row = await state.database.read(service.visible, key, viewer)
    etag = f'"{key}"'
    headers: dict[str, Any] = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Authorization",
                               "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    content = await state.media.get(key)
    if content is None:  # named by a row but not stored (the store lost it): nothing to show
        raise NotFound("No such image.")
    return Response(content, media_type=row.content_type, headers=headers)

"""Rows of the stored pictures: uploading and removing them, and serving them."""

from __future__ import annotations

import io
import secrets
from typing import Any

import httpx
from PIL import Image

from ..helpers import Account, data, error
from .world import Call, Check, Effect, Row, World


def png_upload(color: tuple[int, int, int] | None = None) -> dict[str, Any]:
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), color or tuple(secrets.token_bytes(3))).save(picture, "PNG")
    return {"file": ("picture.png", picture.getvalue(), "image/png")}


def media_rows(slot: str, of_member: bool) -> list[Row]:
    """PUT and DELETE of one image slot, of the system or of the owner's (private) member. Other rows' setup
    uploads images too, so "unchanged" means: a refused upload's picture is nowhere, a refused removal removed
    nothing."""
    route = f"/api/v1/systems/@me/members/{{mid}}/{slot}" if of_member else f"/api/v1/systems/@me/{slot}"
    column = f"{slot}_url"

    def path(world: World) -> str:
        return route.replace("{mid}", world.extra["members"]["id"])

    def shown(world: World, account: Account) -> Any:
        holder = f"/api/v1/systems/@me/members/{world.extra['members']['id']}" if of_member else "/api/v1/systems/@me"
        return data(world.api.get(holder, account.session))[column]

    def colour_of(world: World, url: str) -> Any:
        served = world.api.get("/media/" + url.rsplit("/", 1)[-1], world.owner.session)
        return Image.open(io.BytesIO(served.content)).convert("RGB").getpixel((0, 0))

    def put_call(world: World) -> Call:
        colour = tuple(secrets.token_bytes(3))
        return Call("PUT", path(world), files=png_upload(colour), keep={"colour": colour})

    def delete_call(world: World) -> Call:
        data(world.api.put(path(world), world.owner.session, files=png_upload()))
        return Call("DELETE", path(world))

    def upload_not_taken(world: World, call: Call) -> None:
        url = shown(world, world.owner)
        assert url is None or colour_of(world, url) != call.keep["colour"]

    def image_kept(world: World, call: Call) -> None:
        assert "/media/" in shown(world, world.owner)

    def stored(world: World, call: Call, response: httpx.Response) -> None:
        url = data(response)[column]
        assert "/media/" in url and shown(world, world.owner) == url and colour_of(world, url) == call.keep["colour"]

    def removed(world: World, call: Call, response: httpx.Response) -> None:
        assert response.status_code == 204, response.text
        assert shown(world, world.owner) is None

    def other_member_unknown(unchanged: Effect) -> Check:
        def check(world: World, call: Call, response: httpx.Response) -> None:
            error(response, 404, "NOT_FOUND")
            unchanged(world, call)

        return check

    def only_other_stored(world: World, call: Call, response: httpx.Response) -> None:
        assert "/media/" in data(response)[column] and shown(world, world.other) == data(response)[column]
        upload_not_taken(world, call)

    def only_other_removed(world: World, call: Call, response: httpx.Response) -> None:
        assert response.status_code == 204 and shown(world, world.other) is None
        image_kept(world, call)

    scope = "members:write" if of_member else "system:write"
    return [
        Row("PUT", route, scope, False, put_call, check=stored, unchanged=upload_not_taken,
            as_other=other_member_unknown(upload_not_taken) if of_member else only_other_stored),
        Row("DELETE", route, scope, False, delete_call, 204, check=removed, unchanged=image_kept,
            as_other=other_member_unknown(image_kept) if of_member else only_other_removed),
    ]


def system_avatar_call(world: World) -> Call:
    """Another system's avatar (the owner's images are what the upload rows look at)."""
    url = data(world.api.put("/api/v1/systems/@me/avatar", world.other.session, files=png_upload()))["avatar_url"]
    return Call("GET", "/media/" + url.rsplit("/", 1)[-1])


def an_image(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (8, 8)


MEDIA_ROWS = [
    *[row for slot in ("avatar", "banner") for of_member in (False, True) for row in media_rows(slot, of_member)],
    # A system's images are public; a member's only where the member and its avatar are (tests/privacy, tests/media).
    Row("GET", "/media/{key}", None, True, system_avatar_call, check=an_image),
]

"""Images for the media tests, and the paths that take them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from ..helpers import Api, data

SYSTEM_AVATAR = "/api/v1/systems/@me/avatar"


def member_path(member_id: str, slot: str = "avatar") -> str:
    return f"/api/v1/systems/@me/members/{member_id}/{slot}"


def image(fmt: str = "PNG", size: tuple[int, int] = (24, 16), color: tuple[int, int, int] = (200, 40, 90),
          **options: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **options)
    return out.getvalue()


def upload(api: Api, token: str, path: str, content: bytes, content_type: str = "image/png") -> Any:
    return api.put(path, token, content=content, headers={"Content-Type": content_type})


def key_of(url: str) -> str:
    assert "/media/" in url, url
    return url.rsplit("/", 1)[-1]


def media_path(url: str) -> str:
    return f"/media/{key_of(url)}"


def stored_files(data_dir: Path) -> set[str]:
    folder = data_dir / "media"
    return {p.name for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()


def new_member(api: Api, token: str, **values: Any) -> dict:
    return data(api.post("/api/v1/systems/@me/members", token, json={"name": "Pictured", **values}), 201)

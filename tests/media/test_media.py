"""Avatars and banners stored by the server, on both engines, with files in the data dir."""

from __future__ import annotations

import asyncio
import errno
import io
import stat
import struct
import zlib
from datetime import timedelta

import pytest
from PIL import Image

from pluralspace.kit.db import Database
from pluralspace.kit.storage import storage_for
from pluralspace.media.service import Sweeper

from ..helpers import answer, data, error
from .common import SYSTEM_AVATAR, image, key_of, media_path, member_path, new_member, stored_files, upload

PUBLIC = {"visibility": "public", "avatar": "public"}


def test_system_avatar_is_stored_and_served_to_anyone(api, server):
    owner = api.register()
    system = data(upload(api, owner.session, SYSTEM_AVATAR, image("PNG")))
    assert "/media/" in system["avatar_url"] and system["avatar_url"].startswith(server.settings.base_url)
    served = api.get(media_path(system["avatar_url"]))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (24, 16)
    assert served.headers["etag"] == f'"{key_of(system["avatar_url"])}"'
    assert "immutable" in served.headers["cache-control"] and "private" in served.headers["cache-control"]
    assert served.headers["x-content-type-options"] == "nosniff"
    again = api.get(media_path(system["avatar_url"]), headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and not again.content
    seen = data(api.get(f"/api/v1/systems/{owner.system_id}"))
    assert seen["avatar_url"] == system["avatar_url"]


def test_files_are_private_to_the_server(api, server):
    owner = api.register()
    system = data(upload(api, owner.session, "/api/v1/systems/@me/banner", image("PNG", color=(1, 2, 3))))
    key = key_of(system["banner_url"])
    [path] = [p for p in (server.settings.data_dir / "media").rglob(key)]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_metadata_is_not_kept(api):
    owner = api.register()
    member = new_member(api, owner.session)
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x010E] = "SecretPlace"  # ImageDescription
    photo = image("JPEG", exif=exif.tobytes())
    assert b"SecretCamera" in photo
    shown = data(api.put(member_path(member["id"]), owner.session, files={"file": ("me.jpg", photo, "image/jpeg")}))
    stored = api.get(media_path(shown["avatar_url"]), owner.session)
    assert stored.headers["content-type"] == "image/jpeg"
    assert b"SecretCamera" not in stored.content and b"SecretPlace" not in stored.content
    assert not Image.open(io.BytesIO(stored.content)).getexif()


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"),
                                              ("GIF", "image/gif")])
def test_every_accepted_type(api, fmt, content_type):
    owner = api.register()
    member = new_member(api, owner.session)
    shown = data(upload(api, owner.session, member_path(member["id"], "banner"), image(fmt), content_type))
    stored = api.get(media_path(shown["banner_url"]), owner.session)
    assert stored.status_code == 200 and stored.headers["content-type"] == content_type
    assert Image.open(io.BytesIO(stored.content)).format == fmt


def test_an_animated_gif_stays_animated(api):
    owner = api.register()
    frames = [Image.new("RGB", (8, 8), (i * 80, 0, 0)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=70, comment=b"SecretComment")
    shown = data(upload(api, owner.session, SYSTEM_AVATAR, out.getvalue(), "image/gif"))
    stored = api.get(media_path(shown["avatar_url"])).content
    assert Image.open(io.BytesIO(stored)).n_frames == 3 and b"SecretComment" not in stored


def test_a_hidden_members_images_answer_like_unknown_keys(api):
    owner = api.register()
    other = api.register()
    member = new_member(api, owner.session)
    avatar = data(upload(api, owner.session, member_path(member["id"]), image()))["avatar_url"]
    banner = data(upload(api, owner.session, member_path(member["id"], "banner"), image(color=(9, 9, 9))))
    unknown = "/media/" + "0" * 40 + ".png"
    for path in (media_path(avatar), media_path(banner["banner_url"])):
        assert api.get(path, owner.session).status_code == 200
        for token in (None, other.session):
            hidden, nothing = api.get(path, token), api.get(unknown, token)
            assert answer(hidden, key_of(path)) == answer(nothing, key_of(unknown))
            error(hidden, 404, "NOT_FOUND")
    # Visible member, private avatar: still hidden. Avatar public too: shown (and the banner with it).
    data(api.patch(f"/api/v1/systems/@me/members/{member['id']}", owner.session,
                   json={"privacy": {"visibility": "public"}}))
    assert api.get(media_path(avatar), other.session).status_code == 404
    data(api.patch(f"/api/v1/systems/@me/members/{member['id']}", owner.session, json={"privacy": PUBLIC}))
    assert api.get(media_path(avatar)).status_code == 200
    assert api.get(media_path(banner["banner_url"]), other.session).status_code == 200
    # The owner's token that does not read members sees what anyone sees.
    data(api.patch(f"/api/v1/systems/@me/members/{member['id']}", owner.session,
                   json={"privacy": {"avatar": "private"}}))
    systems_only = api.pat(owner, "system:read")
    assert api.get(media_path(avatar), systems_only).status_code == 404
    assert api.get(media_path(avatar), api.pat(owner, "members:read")).status_code == 200


def test_replacing_and_removing_leave_no_file_behind(api, server):
    owner = api.register()
    member = new_member(api, owner.session)
    first = data(upload(api, owner.session, member_path(member["id"]), image(color=(1, 1, 1))))["avatar_url"]
    same = data(upload(api, owner.session, member_path(member["id"]), image(color=(1, 1, 1))))["avatar_url"]
    assert same == first  # the same picture again: the same key, nothing new stored
    second = data(upload(api, owner.session, member_path(member["id"]), image(color=(2, 2, 2))))["avatar_url"]
    assert second != first
    files = stored_files(server.settings.data_dir)
    assert key_of(first) not in files and key_of(second) in files
    assert api.get(media_path(first), owner.session).status_code == 404
    assert api.delete(member_path(member["id"]), owner.session).status_code == 204
    shown = data(api.get(f"/api/v1/systems/@me/members/{member['id']}", owner.session))
    assert shown["avatar_url"] is None
    assert key_of(second) not in stored_files(server.settings.data_dir)
    assert api.get(media_path(second), owner.session).status_code == 404
    banner = data(upload(api, owner.session, member_path(member["id"], "banner"), image(color=(3, 3, 3))))
    assert api.delete(f"/api/v1/systems/@me/members/{member['id']}", owner.session).status_code == 204
    assert key_of(banner["banner_url"]) not in stored_files(server.settings.data_dir)


def test_removing_a_linked_url_clears_it(api):
    owner = api.register()
    member = new_member(api, owner.session, avatar_url="https://example.org/me.png")
    assert api.delete(member_path(member["id"]), owner.session).status_code == 204
    assert data(api.get(f"/api/v1/systems/@me/members/{member['id']}", owner.session))["avatar_url"] is None


def test_bad_uploads_change_nothing(api, server):
    owner = api.register()
    member = new_member(api, owner.session)
    kept = data(upload(api, owner.session, member_path(member["id"]), image()))
    files = stored_files(server.settings.data_dir)
    path = member_path(member["id"])
    png = image()
    # A PNG header that claims 100,000 x 100,000 pixels: refused before a pixel is decoded.
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR"
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = header + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)) + png[33:]
    refusals = [
        (upload(api, owner.session, path, b"plain words", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (upload(api, owner.session, path, png, "image/svg+xml"), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (api.put(path, owner.session, content=png), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (upload(api, owner.session, path, b"not a picture at all"), 422, "VALIDATION_FAILED"),
        (upload(api, owner.session, path, png[: len(png) // 2]), 422, "VALIDATION_FAILED"),
        (upload(api, owner.session, path, image("BMP")), 422, "VALIDATION_FAILED"),
        (upload(api, owner.session, path, image("JPEG"), "image/png"), 422, "VALIDATION_FAILED"),
        (upload(api, owner.session, path, b""), 422, "VALIDATION_FAILED"),
        (upload(api, owner.session, path, bomb), 422, "VALIDATION_FAILED"),
        (api.put(path, owner.session, files={"other": ("a.png", png, "image/png")}), 422, "VALIDATION_FAILED"),
        (api.put(path, owner.session, files={"file": ("a.txt", b"hi", "text/plain")}), 415,
         "UNSUPPORTED_MEDIA_TYPE"),
        (upload(api, owner.session, path, b"\0" * (server.settings.max_media_bytes + 20_000)), 413,
         "PAYLOAD_TOO_LARGE"),
        (upload(api, owner.session, member_path("zzzzzz"), png), 404, "NOT_FOUND"),
    ]
    for response, status, code in refusals:
        error(response, status, code)
    assert data(api.get(f"/api/v1/systems/@me/members/{member['id']}", owner.session)) == kept
    assert stored_files(server.settings.data_dir) == files


def test_the_size_limit_is_a_setting(make_server):
    small = make_server(max_media_bytes=2_000)
    api = small.api()
    owner = api.register()
    big = image("PNG", size=(200, 200), color=(5, 5, 5), compress_level=0)
    assert len(big) > 2_000
    error(upload(api, owner.session, SYSTEM_AVATAR, big), 413, "PAYLOAD_TOO_LARGE")
    assert data(upload(api, owner.session, SYSTEM_AVATAR, image()))["avatar_url"]
    api.close()


def test_another_account_cannot_touch_the_owners_members(api):
    owner = api.register()
    other = api.register()
    member = new_member(api, owner.session)
    error(upload(api, other.session, member_path(member["id"]), image()), 404, "NOT_FOUND")
    error(api.delete(member_path(member["id"]), other.session), 404, "NOT_FOUND")
    assert data(api.get(f"/api/v1/systems/@me/members/{member['id']}", owner.session))["avatar_url"] is None


class _FullDisk:
    """The file backend with its disk full: every write fails with ENOSPC."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def put(self, key: str, content: bytes, content_type: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def test_a_full_disk_answers_507_and_changes_nothing(make_server):
    running = make_server()
    api = running.api()
    owner = api.register()
    running.state.media.backend = _FullDisk(running.state.media.backend)
    error(upload(api, owner.session, SYSTEM_AVATAR, image()), 507, "STORAGE_FULL")
    assert data(api.get("/api/v1/systems/@me", owner.session))["avatar_url"] is None
    api.close()


def test_the_sweep_removes_what_nothing_names(api, server):
    owner = api.register()
    member = new_member(api, owner.session)
    url = data(upload(api, owner.session, member_path(member["id"]), image(color=(7, 7, 7))))["avatar_url"]
    data(api.patch(f"/api/v1/systems/@me/members/{member['id']}", owner.session,
                   json={"avatar_url": "https://example.org/elsewhere.png"}))
    assert api.get(media_path(url), owner.session).status_code == 404  # the field has moved on
    assert key_of(url) in stored_files(server.settings.data_dir)

    async def sweep() -> int:
        database = Database(server.settings.resolved_database_url, pool_size=1)
        try:
            return await Sweeper(database, storage_for(server.settings), grace=timedelta(0)).sweep()
        finally:
            await database.dispose()

    assert asyncio.run(sweep()) >= 1
    assert key_of(url) not in stored_files(server.settings.data_dir)

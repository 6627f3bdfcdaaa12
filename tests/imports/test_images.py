"""Pictures that imports bring: Simply Plural's avatar zip, our own export with its pictures (the round trip), and
what is never fetched."""

from __future__ import annotations

import io
import json
import time
import zipfile

from ..helpers import data
from ..media.common import image, key_of, media_path, stored_files, upload
from .common import everything, fixture, imported, warned

SYSTEM = "/api/v1/systems/@me"


def sp_with_avatars(*pictures: tuple[str, bytes]) -> bytes:
    """Simply Plural's export and its avatar zip's files (`<document id>.png`), in one zip."""
    export = json.loads(fixture("simplyplural.json"))
    export["users"][0]["avatarUuid"] = "user-avatar-uuid"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("export.json", json.dumps(export))
        for name, content in pictures:
            zipped.writestr(name, content)
    return archive.getvalue()


def by_name(items: list[dict]) -> dict[str, dict]:
    return {item["name"]: item for item in items}


def test_simply_plurals_avatars_come_from_the_zip(api, server):
    owner = api.register()
    birch = image(color=(10, 200, 10))
    source = sp_with_avatars(("avatars/m2.png", birch), ("avatars/uid1.png", image(color=(1, 1, 200))),
                             ("avatars/m1.png", image(color=(3, 3, 3))), ("avatars/gone.png", b"\x89PNG broken"))
    job = imported(api, owner.session, source, content_type="application/zip")
    assert job["counts"]["images"] == {"created": 2, "updated": 0, "unchanged": 0}
    members = by_name(everything(api, owner.session, f"{SYSTEM}/members"))
    stored = api.get(media_path(members["Birch 🌳"]["avatar_url"]), owner.session)
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/png"
    system = data(api.get(SYSTEM, owner.session))
    assert api.get(media_path(system["avatar_url"])).status_code == 200
    # Ash links a picture elsewhere: kept as a link, never fetched. m1.png is not Ash's (no avatarUuid).
    assert "https://example.org/ash.png" in [m["avatar_url"] for m in everything(api, owner.session,
                                                                                 f"{SYSTEM}/members")]
    assert warned(job, "image_linked") >= 1 and warned(job, "image_unused") == 2
    # Birch is private: its picture is the owner's alone.
    assert api.get(media_path(members["Birch 🌳"]["avatar_url"])).status_code == 404

    files = stored_files(server.settings.data_dir)
    again = imported(api, owner.session, source, content_type="application/zip")
    assert again["counts"]["images"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert stored_files(server.settings.data_dir) == files


def test_a_dry_run_stores_no_picture(api, server):
    owner = api.register()
    files = stored_files(server.settings.data_dir)
    job = imported(api, owner.session, sp_with_avatars(("m2.png", image(color=(77, 1, 1)))),
                   content_type="application/zip", dry_run=True)
    assert job["counts"]["images"]["created"] == 1
    assert stored_files(server.settings.data_dir) == files
    assert everything(api, owner.session, f"{SYSTEM}/members") == []


def test_pictures_the_json_names_but_does_not_hold_are_warned_about(api):
    owner = api.register()
    job = imported(api, owner.session, fixture("simplyplural.json"))
    assert warned(job, "image_not_in_file") == 1  # Birch's picture was on Simply Plural's servers


def test_export_with_pictures_then_import_keeps_them(api, server):
    owner = api.register()
    member = data(api.post(f"{SYSTEM}/members", owner.session, json={"name": "Framed"}), 201)
    avatar = image(color=(120, 5, 60))
    data(upload(api, owner.session, f"{SYSTEM}/members/{member['id']}/avatar", avatar))
    data(upload(api, owner.session, f"{SYSTEM}/members/{member['id']}/banner", image(color=(5, 5, 5))))
    data(upload(api, owner.session, f"{SYSTEM}/avatar", image(color=(9, 90, 9))))
    exported = api.get(f"{SYSTEM}/export", owner.session, params={"media": "true"})
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        names = archive.namelist()
        assert len([n for n in names if n.startswith("media/")]) == 3
    sent = server.settings.data_dir / "exports"
    deadline = time.monotonic() + 10
    while any(sent.iterdir()):  # the zip is removed once sent
        assert time.monotonic() < deadline
        time.sleep(0.05)

    newcomer = api.register()
    job = imported(api, newcomer.session, exported.content, content_type="application/zip")
    assert job["counts"]["images"]["created"] == 3 and warned(job, "image_not_in_file") == 0
    [moved] = everything(api, newcomer.session, f"{SYSTEM}/members")
    for slot in ("avatar_url", "banner_url"):
        assert key_of(moved[slot]) != key_of(member[slot] or data(api.get(
            f"{SYSTEM}/members/{member['id']}", owner.session))[slot])  # a picture of the new system's own
    copied = api.get(media_path(moved["avatar_url"]), newcomer.session).content
    original = api.get(media_path(data(api.get(f"{SYSTEM}/members/{member['id']}", owner.session))["avatar_url"]),
                       owner.session).content
    assert copied == original
    assert api.get(media_path(data(api.get(SYSTEM, newcomer.session))["avatar_url"])).status_code == 200


def test_an_export_without_members_read_holds_only_the_systems_pictures(api):
    owner = api.register()
    member = data(api.post(f"{SYSTEM}/members", owner.session, json={"name": "Framed"}), 201)
    data(upload(api, owner.session, f"{SYSTEM}/members/{member['id']}/avatar", image(color=(44, 4, 4))))
    data(upload(api, owner.session, f"{SYSTEM}/avatar", image(color=(4, 44, 4))))
    token = api.pat(owner, "system:read")
    exported = api.get(f"{SYSTEM}/export", token, params={"media": "true"})
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        assert len([n for n in archive.namelist() if n.startswith("media/")]) == 1

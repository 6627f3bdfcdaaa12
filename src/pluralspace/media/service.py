"""Avatars and banners stored by the server: putting one in its place, taking it away, serving it, and sweeping.

An upload is stored first, then the database points the field at it (`avatar_url` = `<base URL>/media/<key>`) and
forgets the image it replaces; the replaced image's bytes are removed once that change is committed. Whatever a
crash or an unreachable store leaves behind (bytes no row names, a row no field names any more) is removed by the
sweep, so nothing outlives the field it belonged to.

`GET /media/<key>` answers exactly as the field does: a member's images only where the member and its `avatar`
privacy are visible to the viewer (the banner follows the avatar's privacy, as on the API), the system's to anyone
who can see the system; anything else is 404 like an unknown key.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..config import Settings
from ..identity.system import System
from ..kit.db import Database
from ..kit.errors import NotFound
from ..kit.storage import Backend, MediaStorage
from ..kit.tasks import cancel
from ..kit.timeutil import utcnow
from ..members.models import Member
from ..members.service import member_out
from ..systems.access import Access, find_by_public_id
from ..systems.service import find_system, is_owner, system_out
from .images import Encoded
from .models import Media

log = logging.getLogger("pluralspace.media")

ROUTE_PREFIX = "/media/"


@dataclass(frozen=True)
class Place:
    """Where an image goes: `slot` (avatar or banner) of the caller's system, or of its member `member`."""

    slot: str
    member: str | None = None

    @property
    def column(self) -> str:
        return f"{self.slot}_url"


def media_url(base_url: str, key: str) -> str:
    return f"{base_url}{ROUTE_PREFIX}{key}"


def place_name(member: Member | None, slot: str) -> str:
    """A place's stable name, which goes into its images' keys."""
    return f"{member.uuid if member is not None else 'system'}:{slot}"


@dataclass(frozen=True)
class ImageTarget:
    """What an import needs to store the pictures it brings: the storage (called from the import's own unit of
    work, on a worker thread) and the limits an upload has."""

    backend: Backend
    base_url: str
    max_bytes: int
    max_pixels: int

    @classmethod
    def of(cls, settings: Settings, storage: MediaStorage) -> ImageTarget:
        return cls(storage.backend, settings.base_url, settings.max_media_bytes, settings.max_media_pixels)


def key_of(url: str | None) -> str | None:
    """The media key a field's URL names, when it names one of ours."""
    if not url or ROUTE_PREFIX not in url:
        return None
    return url.rsplit("/", 1)[-1]


def _holder(session: Session, principal: Principal, place: Place) -> tuple[System, Member | None]:
    system = session.get(System, principal.system_uuid)
    if system is None:  # the account was deleted while the request ran
        raise NotFound("No such system.")
    if place.member is None:
        return system, None
    return system, find_by_public_id(session, Member, system.uuid, place.member, "member")


def resolve(session: Session, principal: Principal, place: Place) -> str:
    """The place's stable name, which goes into the image's key (404 for a member that is not the caller's)."""
    _system, member = _holder(session, principal, place)
    return place_name(member, place.slot)


def _out(system: System, member: Member | None) -> BaseModel:
    return system_out(system, owner=True) if member is None else member_out(member, Access(system, owner=True))


def _forget(session: Session, system: System, member: Member | None, slot: str, keep: str | None) -> list[str]:
    """Removes the place's image rows but `keep`; returns the keys whose bytes are to go."""
    rows = session.execute(select(Media).where(
        Media.system_uuid == system.uuid, Media.member_uuid.is_(None) if member is None
        else Media.member_uuid == member.uuid, Media.slot == slot)).scalars().all()
    gone = [row.key for row in rows if row.key != keep]
    if gone:
        session.execute(delete(Media).where(Media.key.in_(gone)), execution_options={"synchronize_session": False})
    return gone


def place_image(session: Session, system: System, member: Member | None, slot: str, key: str, image: Encoded,
                url: str) -> list[str]:
    """Points the slot of the system or member at the stored image `key` (an upload's, an import's); returns the
    keys of the images it replaced."""
    holder: Any = member if member is not None else system
    gone = _forget(session, system, member, slot, keep=key)
    if session.get(Media, key) is None:
        session.add(Media(key=key, system_uuid=system.uuid, member_uuid=member.uuid if member is not None else None,
                          slot=slot, content_type=image.content_type, size=len(image.content), created_at=utcnow()))
    if getattr(holder, f"{slot}_url") != url:
        setattr(holder, f"{slot}_url", url)
        holder.updated_at = utcnow()
    session.flush()
    return gone


def attach(session: Session, principal: Principal, place: Place, key: str, image: Encoded,
           url: str) -> tuple[BaseModel, list[str]]:
    """Points the place at the stored image `key`; returns the object and the keys of the images it replaced."""
    system, member = _holder(session, principal, place)
    gone = place_image(session, system, member, place.slot, key, image, url)
    return _out(system, member), gone


def detach(session: Session, principal: Principal, place: Place) -> list[str]:
    """Clears the place (a stored image or a linked URL); returns the keys of the stored images to remove."""
    system, member = _holder(session, principal, place)
    holder: Any = member if member is not None else system
    gone = _forget(session, system, member, place.slot, keep=None)
    if getattr(holder, place.column) is not None:
        setattr(holder, place.column, None)
        holder.updated_at = utcnow()
    return gone


def member_keys(session: Session, member_uuid: uuid.UUID) -> list[str]:
    return list(session.execute(select(Media.key).where(Media.member_uuid == member_uuid)).scalars())


def system_keys(session: Session, system_uuid: uuid.UUID) -> list[str]:
    return list(session.execute(select(Media.key).where(Media.system_uuid == system_uuid)).scalars())


def unused(session: Session, keys: list[str]) -> list[str]:
    """Those of `keys` that no row names (after a failed attach, the stored bytes go again)."""
    named = set(session.execute(select(Media.key).where(Media.key.in_(keys))).scalars()) if keys else set()
    return [key for key in keys if key not in named]


# --- serving -------------------------------------------------------------------------------------------------

def visible(session: Session, key: str, viewer: Principal | None) -> Media:
    """The image row, when the field it belongs to shows it to this viewer; 404 otherwise, as for an unknown key."""
    hidden = NotFound("No such image.")
    row = session.get(Media, key)
    if row is None:
        raise hidden
    try:
        system = find_system(session, str(row.system_uuid), viewer)  # a disabled account's system is unknown
    except NotFound:
        raise hidden from None
    place = Place(row.slot)
    holder: Any = system
    if row.member_uuid is not None:
        member = session.get(Member, row.member_uuid)
        # The owner sees the member's images with a token that reads members, as on the members routes.
        owner = is_owner(system, viewer) and viewer is not None and viewer.holds("members:read")
        if member is None or not (owner or (member.privacy.get("visibility") == "public"
                                            and member.privacy.get("avatar") == "public")):
            raise hidden
        holder = member
    if key_of(getattr(holder, place.column)) != key:  # the field has moved on (PATCHed to another URL)
        raise hidden
    return row


# --- the sweep -----------------------------------------------------------------------------------------------

def _stale_rows(session: Session) -> list[str]:
    """Rows whose field no longer names them (the field was PATCHed to another URL or cleared)."""
    members = select(Media.key, Media.slot, Member.avatar_url, Member.banner_url).join(
        Member, Member.uuid == Media.member_uuid)
    systems = select(Media.key, Media.slot, System.avatar_url, System.banner_url).join(
        System, System.uuid == Media.system_uuid).where(Media.member_uuid.is_(None))
    return [key for query in (members, systems) for key, slot, avatar, banner in session.execute(query)
            if key_of(avatar if slot == "avatar" else banner) != key]


def _forget_rows(session: Session, keys: list[str]) -> None:
    for start in range(0, len(keys), 500):
        session.execute(delete(Media).where(Media.key.in_(keys[start:start + 500])),
                        execution_options={"synchronize_session": False})


def _known(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(session.execute(select(Media.key).where(Media.key.in_(keys[start:start + 500]))).scalars())
    return found


class Sweeper:
    """Removes stored images that nothing names any more: `first_after` seconds after start (a starting server has
    better things to do), then every `every` seconds. Bytes younger than `grace` are left alone (an upload stores
    them a moment before its row is written). A sweep that finds nothing only reads."""

    def __init__(self, database: Database, storage: MediaStorage, every: float = 3600.0,
                 grace: timedelta = timedelta(hours=1), first_after: float = 300.0) -> None:
        self.database, self.storage, self.every, self.grace = database, storage, every, grace
        self.first_after = first_after
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="media-sweep")

    async def stop(self) -> None:
        await cancel(self._task)

    async def sweep(self) -> int:
        stale: list[str] = await self.database.read(_stale_rows)
        if stale:
            await self.database.write(_forget_rows, stale)
        cutoff = datetime.now(UTC) - self.grace
        old = [key for key, modified in await self.storage.stored() if modified < cutoff]
        known = await self.database.read(_known, old)
        orphans = [*stale, *(key for key in old if key not in known)]
        await self.storage.delete(orphans)
        return len(orphans)

    async def _run(self) -> None:
        await asyncio.sleep(self.first_after)
        while True:
            try:
                removed = await self.sweep()
                if removed:
                    log.info("removed %d stored images that nothing names", removed)
            except Exception:
                log.exception("could not sweep the media storage; will retry")
            await asyncio.sleep(self.every)

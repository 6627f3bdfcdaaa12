"""Units of work for the PluralKit routers: resolve PluralKit's refs, then call the native services.

Each function runs inside `database.read/write` like every native service. They return native outputs (shaped for
v1 or v2 by the routers) or, for groups and settings, which exist only in v2, PluralKit's shapes directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..auth.includes import NO_INCLUDES, expands
from ..auth.principal import Principal
from ..groups import service as groups
from ..groups.models import Group, GroupMember
from ..groups.schemas import GroupCreate, GroupOut, GroupPatch
from ..kit.errors import Forbidden, NotFound
from ..kit.pagination import MAX_LIMIT, PageRequest
from ..members import service as members
from ..members.models import Member
from ..members.schemas import MemberCreate, MemberOut, MemberPatch
from ..systems import service as systems
from ..systems.access import read_access, write_access
from ..systems.schemas import SystemOut, SystemPatch
from . import dispatch
from .errors import PkCode, PkError
from .models import PkAccount, PkMessage
from .refs import locate_or, member_keys, own_rows, system_sid
from .translate import GROUP, MEMBER, SYSTEM, Shape, group_v2, native_body, timestamp, validated

ME = systems.ME
DISCORD_EPOCH_MS = 1420070400000
T = TypeVar("T")


def every_page(fetch: Callable[[PageRequest], tuple[list[T], str | None]]) -> list[T]:
    """A whole native list, page by page: PluralKit's lists are not paginated."""
    items, cursor = fetch(PageRequest(MAX_LIMIT, None))
    while cursor is not None:
        more, cursor = fetch(PageRequest(MAX_LIMIT, cursor))
        items += more
    return items


# --- systems -----------------------------------------------------------------------------------------------------

def get_system(session: Session, ref: str, viewer: Principal | None) -> SystemOut:
    return systems.get_system(session, system_sid(session, ref), viewer)


def linked_accounts(session: Session, principal: Principal) -> list[int]:
    """The Discord accounts linked to the caller's system, as PluralKit's export lists them (bare numbers)."""
    rows = session.execute(select(PkAccount.discord_id).where(PkAccount.system_uuid == principal.system_uuid)
                           .order_by(PkAccount.discord_id)).scalars()
    return [int(discord_id) for discord_id in rows]


def system_by_account(session: Session, discord_id: str, viewer: Principal | None) -> SystemOut:
    account = session.get(PkAccount, discord_id) if discord_id.isdigit() else None
    if account is None:
        raise NotFound("System not found.")
    return systems.get_system(session, str(account.system_uuid), viewer)


def update_system(session: Session, ref: str, principal: Principal, values: dict[str, Any],
                  shape: Shape = SYSTEM) -> SystemOut:
    write_access(session, system_sid(session, ref), principal)  # only the caller's own system (403 otherwise)
    return systems.update_system(session, principal, validated(SystemPatch, values, shape))


def get_system_v2(session: Session, ref: str, viewer: Principal | None) -> tuple[SystemOut, str | None]:
    """The system, and for its owner the dispatch URL (`webhook_url`) as they read it."""
    out = get_system(session, ref, viewer)
    return out, dispatch.shown_url(session, viewer) if out.privacy is not None and viewer is not None else None


def update_system_v2(session: Session, ref: str, principal: Principal, values: dict[str, Any],
                     change: dispatch.Change | None) -> tuple[SystemOut, str | None]:
    """The profile change (if any) and the dispatch URL's (tested before this unit of work), together."""
    if values:
        out = update_system(session, ref, principal, values)
    else:
        sid = system_sid(session, ref)
        write_access(session, sid, principal)
        out = systems.get_system(session, sid, principal)
    if change is not None:
        dispatch.apply(session, principal, change)
    return out, dispatch.shown_url(session, principal)


# Settings: only the time zone is pluralspace's; the rest are PluralKit bot settings reported at the values that
# describe pluralspace (no pings, no autoproxy, new members and groups private, no member or group limit).
SETTINGS = Shape(keys={"timezone": "timezone"}, fixed={
    "pings_enabled": False, "latch_timeout": None, "member_default_private": True, "group_default_private": True,
    "show_private_info": True, "member_limit": None, "group_limit": None, "case_sensitive_proxy_tags": True,
    "proxy_error_message_enabled": True, "hid_display_split": False, "hid_display_caps": False,
    "hid_list_padding": "off", "proxy_switch": "off", "name_format": None, "description_templates": []})


def get_settings(session: Session, ref: str, viewer: Principal | None) -> dict[str, Any]:
    """The owner's only, as PluralKit's settings endpoint was: anyone else gets 403 (code 0), an unknown system
    404 (20001)."""
    access = read_access(session, system_sid(session, ref), viewer)
    if not access.owner:
        raise Forbidden("Only the system's owner can read its settings.")
    return {"timezone": access.system.timezone, **SETTINGS.fixed}


def update_settings(session: Session, ref: str, principal: Principal, body: Any) -> dict[str, Any]:
    # The answer comes from the updated row: the principal's system is a snapshot taken before the change.
    updated = update_system(session, ref, principal, native_body(body, SETTINGS, patch=True), SETTINGS)
    return {"timezone": updated.timezone, **SETTINGS.fixed}


# --- members -----------------------------------------------------------------------------------------------------

def list_members(session: Session, ref: str, viewer: Principal | None) -> list[MemberOut]:
    sid = system_sid(session, ref)
    members_only = members.ListFilter(custom_front=False)
    return every_page(lambda page: members.list_members(session, sid, viewer, page, members_only, NO_INCLUDES))


def _member(session: Session, ref: str, viewer: Principal | None) -> Member:
    member = locate_or(session, Member, ref, viewer, PkCode.MEMBER_NOT_FOUND)
    if member.is_custom_front:
        raise PkError(PkCode.MEMBER_NOT_FOUND)  # custom fronts do not exist for PluralKit
    return member


def get_member(session: Session, ref: str, viewer: Principal | None,
               include: frozenset[str] = NO_INCLUDES) -> MemberOut:
    member = _member(session, ref, viewer)
    return members.get_member(session, str(member.system_uuid), viewer, str(member.uuid), include)


def create_member(session: Session, principal: Principal, values: dict[str, Any]) -> MemberOut:
    return members.create_member(session, ME, principal, validated(MemberCreate, values, MEMBER))


def update_member(session: Session, ref: str, principal: Principal, values: dict[str, Any]) -> MemberOut:
    member = _member(session, ref, principal)
    return members.update_member(session, str(member.system_uuid), principal, str(member.uuid),
                                 validated(MemberPatch, values, MEMBER))


def delete_member(session: Session, ref: str, principal: Principal) -> None:
    member = _member(session, ref, principal)
    members.delete_member(session, str(member.system_uuid), principal, str(member.uuid))


def member_proxy_tags(session: Session, ref: str, principal: Principal) -> list[dict[str, Any]]:
    """The stored proxy tags (v1 PATCH edits the first one through `prefix`/`suffix`)."""
    return list(_member(session, ref, principal).proxy_tags)


# --- groups ------------------------------------------------------------------------------------------------------

def _groups_v2(session: Session, system_uuid: uuid.UUID, system_hid: str, outs: list[GroupOut],
               with_members: bool) -> list[dict[str, Any]]:
    shown = [group_v2(out, system_hid) for out in outs]
    if with_members:
        keys = member_keys(session, system_uuid)
        for group, out in zip(shown, outs, strict=True):
            # PluralKit lists members by uuid here; a list hidden from this viewer is [].
            group["members"] = [str(keys[hid][0]) for hid in out.member_ids or [] if not keys[hid][1]]
    return shown


def list_groups(session: Session, ref: str, viewer: Principal | None, with_members: bool) -> list[dict[str, Any]]:
    system = get_system(session, ref, viewer)
    outs = every_page(lambda page: groups.list_groups(session, system.uuid, viewer, page))
    return _groups_v2(session, uuid.UUID(system.uuid), system.id, outs, with_members)


def _group(session: Session, ref: str, viewer: Principal | None) -> Group:
    return locate_or(session, Group, ref, viewer, PkCode.GROUP_NOT_FOUND)


def _group_v2(session: Session, group: Group, out: GroupOut) -> dict[str, Any]:
    system = systems.find_system(session, str(group.system_uuid), None)
    return group_v2(out, system.hid)


def get_group(session: Session, ref: str, viewer: Principal | None) -> dict[str, Any]:
    group = _group(session, ref, viewer)
    return _group_v2(session, group, groups.get_group(session, str(group.system_uuid), viewer, str(group.uuid)))


def create_group(session: Session, principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    out = groups.create_group(session, ME, principal, validated(GroupCreate, values, GROUP))
    return group_v2(out, principal.system_hid)


def update_group(session: Session, ref: str, principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    group = _group(session, ref, principal)
    out = groups.update_group(session, str(group.system_uuid), principal, str(group.uuid),
                              validated(GroupPatch, values, GROUP))
    return group_v2(out, principal.system_hid)


def delete_group(session: Session, ref: str, principal: Principal) -> None:
    group = _group(session, ref, principal)
    groups.delete_group(session, str(group.system_uuid), principal, str(group.uuid))


def group_members(session: Session, ref: str, viewer: Principal | None) -> list[MemberOut]:
    group = _group(session, ref, viewer)
    sid, gid = str(group.system_uuid), str(group.uuid)
    outs = every_page(lambda page: groups.list_group_members(session, sid, viewer, gid, page))
    return [out for out in outs if not out.is_custom_front]


def member_groups(session: Session, ref: str, viewer: Principal | None) -> list[dict[str, Any]]:
    member = get_member(session, ref, viewer, frozenset({"groups"}))
    system = get_system(session, member.system_id, viewer)
    outs = every_page(lambda page: groups.list_groups(session, system.uuid, viewer, page))
    wanted = set(member.group_ids or [])
    return _groups_v2(session, uuid.UUID(system.uuid), system.id, [g for g in outs if g.id in wanted], False)


NATIVE_MODES = {"add": "add", "remove": "remove", "overwrite": "replace"}


def _check_list(refs: Any, mode: str) -> None:
    if mode != "overwrite" and refs == []:
        raise PkError(PkCode.BAD_REQUEST)  # PluralKit refuses an empty add or remove


def change_group_members(session: Session, ref: str, principal: Principal, refs: Any, mode: str) -> None:
    group = _group(session, ref, principal)
    access = write_access(session, str(group.system_uuid), principal)
    _check_list(refs, mode)
    rows = own_rows(session, Member, principal, refs, PkCode.MEMBER_REF_NOT_FOUND, PkCode.MEMBER_REF_NOT_YOURS)
    idents = {str(row.uuid) for row in rows}
    if mode == "overwrite":  # custom fronts in the group are invisible to PluralKit clients: they stay
        idents |= {str(key) for key in session.execute(
            select(Member.uuid).join(GroupMember, GroupMember.member_uuid == Member.uuid)
            .where(GroupMember.group_uuid == group.uuid, Member.is_custom_front.is_(True))).scalars()}
    groups.change_group_members(session, str(access.system_uuid), principal, str(group.uuid), sorted(idents),
                                NATIVE_MODES[mode])


def change_member_groups(session: Session, ref: str, principal: Principal, refs: Any, mode: str) -> None:
    member = _member(session, ref, principal)
    access = write_access(session, str(member.system_uuid), principal)
    _check_list(refs, mode)
    wanted = {row.uuid for row in own_rows(session, Group, principal, refs, PkCode.GROUP_REF_NOT_FOUND,
                                           PkCode.GROUP_REF_NOT_YOURS)}
    current = set(session.execute(select(GroupMember.group_uuid).where(GroupMember.member_uuid == member.uuid))
                  .scalars())
    changes = {"add": (wanted - current, set()), "remove": (set(), wanted & current),
               "overwrite": (wanted - current, current - wanted)}[mode]
    for native_mode, group_uuids in zip(("add", "remove"), changes, strict=True):
        for group_uuid in sorted(group_uuids):
            groups.change_group_members(session, str(access.system_uuid), principal, str(group_uuid),
                                        [str(member.uuid)], native_mode)


# --- messages ----------------------------------------------------------------------------------------------------

def get_message(session: Session, ident: str, viewer: Principal | None) -> tuple[PkMessage, SystemOut,
                                                                                    MemberOut | None]:
    """A proxied-message record by its id or its trigger message's id, with its system and member as this viewer
    may see them (a member hidden from the viewer, or one that the viewer's token lacks `members:read` for, reads
    null)."""
    record = session.execute(select(PkMessage).where(or_(PkMessage.id == ident, PkMessage.original == ident))
                             .limit(1)).scalar_one_or_none() if ident.isdigit() else None
    if record is None:
        raise PkError(PkCode.MESSAGE_NOT_FOUND)
    system = systems.get_system(session, str(record.system_uuid), viewer)
    member = None
    if record.member_uuid is not None and expands(viewer, "members:read"):
        try:
            member = members.get_member(session, system.uuid, viewer, str(record.member_uuid), NO_INCLUDES)
        except NotFound:
            member = None
    return record, system, member


def message_timestamp(record: PkMessage) -> str:
    """PluralKit derives a message's time from its snowflake; an imported record's own time wins."""
    if record.timestamp is not None:
        return timestamp(record.timestamp)
    return timestamp(datetime.fromtimestamp(((int(record.id) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC))

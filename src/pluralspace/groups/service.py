"""Groups: nested collections of members, shown per viewer (docs/API.md §5)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..events import service as events
from ..kit.errors import Forbidden, ValidationFailed
from ..kit.pagination import PageRequest, keyset_page
from ..kit.patch import apply_patch
from ..kit.rows import columns, plain
from ..kit.timeutil import utcnow
from ..kit.validators import color_out
from ..members.models import Member
from ..members.schemas import MemberOut
from ..members.service import member_columns, member_out
from ..systems.access import (
    Access,
    find_by_public_id,
    find_in_body,
    find_visible,
    read_access,
    resolve_public_ids,
    visible_or_unknown,
    write_access,
)
from ..systems.service import unique_short_id
from .models import GROUP_PRIVACY, Group, GroupMember
from .schemas import GroupCreate, GroupOut, GroupPatch

T = TypeVar("T")

GroupRow = Group | Any
"""A group as read: the entity, or a plain row of `columns(Group)` (lists; kit/rows.py)."""

MAX_DEPTH = 100
"""Ancestors a group may have; bounds the walk that looks for cycles."""


@dataclass
class Related:
    """Member and parent short ids for a page of groups, loaded in one query each (never per group)."""

    member_ids: dict[uuid.UUID, list[str]] = field(default_factory=dict)
    parent_ids: dict[uuid.UUID, str] = field(default_factory=dict)


def load_related(session: Session, access: Access, groups: Sequence[GroupRow]) -> Related:
    related = Related()
    if not groups:
        return related
    query = (select(GroupMember.group_uuid, Member.hid, Member.privacy)
             .join(Member, Member.uuid == GroupMember.member_uuid)
             .where(GroupMember.group_uuid.in_([g.uuid for g in groups]))
             .order_by(Member.created_at, Member.uuid))
    for group_uuid, hid, privacy in session.execute(query):
        if access.sees(privacy, "visibility"):
            related.member_ids.setdefault(group_uuid, []).append(hid)
    parents = {g.parent_uuid for g in groups if g.parent_uuid}
    if parents:
        # A private parent's id would tell the public that the group exists.
        for parent_uuid, hid, privacy in session.execute(
                select(Group.uuid, Group.hid, Group.privacy).where(Group.uuid.in_(parents))):
            if access.sees(privacy, "visibility"):
                related.parent_ids[parent_uuid] = hid
    return related


def group_out(group: GroupRow, access: Access, related: Related) -> GroupOut:
    def visible(key: str, value: T) -> T | None:
        return value if access.sees(group.privacy, key) else None

    return GroupOut(
        id=group.hid, uuid=str(group.uuid), name=visible("name", group.name), display_name=group.display_name,
        description=visible("description", group.description), icon=visible("icon", group.icon),
        color=color_out(group.color),
        parent_id=related.parent_ids.get(group.parent_uuid) if group.parent_uuid else None,
        member_ids=visible("list", related.member_ids.get(group.uuid, [])),
        privacy=group.privacy if access.owner else None, created_at=group.created_at,
    )


def _one_out(session: Session, access: Access, group: Group) -> GroupOut:
    return group_out(group, access, load_related(session, access, [group]))


def _shown(session: Session, group: Group) -> events.Render:
    """The group as GET /groups/{gid} shows it to each viewer: what its events carry."""
    return lambda access: _one_out(session, access, visible_or_unknown(access, group, "group"))


def _visible_group(session: Session, access: Access, gid: str) -> Group:
    return find_visible(session, access, Group, gid, "group")


def list_groups(session: Session, sid: str, viewer: Principal | None,
                paging: PageRequest) -> tuple[list[GroupOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area("group_list")
    query = select(*columns(Group)).where(Group.system_uuid == access.system_uuid)
    query = access.only_visible(query, Group)
    rows, cursor = keyset_page(query, [Group.created_at, Group.uuid], paging, descending=False,
                               session=session, row_key=lambda r: (r.created_at, r.uuid))
    groups = plain(rows)
    related = load_related(session, access, groups)
    return [group_out(g, access, related) for g in groups], cursor


def get_group(session: Session, sid: str, viewer: Principal | None, gid: str) -> GroupOut:
    access = read_access(session, sid, viewer)
    return _one_out(session, access, _visible_group(session, access, gid))


def _parent_uuid(session: Session, access: Access, group: Group, ident: str | None) -> uuid.UUID | None:
    """The new parent's uuid, after making sure `group` is not among its ancestors (nor itself)."""
    if ident is None:
        return None
    parent = find_in_body(session, Group, access.system_uuid, ident, "parent_id", "group")
    # One query for the system's whole tree, so the walk costs no query per level.
    parents: dict[uuid.UUID, uuid.UUID | None] = {key: above for key, above in session.execute(
        select(Group.uuid, Group.parent_uuid).where(Group.system_uuid == access.system_uuid))}
    ancestor = parent.uuid
    for _ in range(MAX_DEPTH):
        if ancestor == group.uuid:
            raise ValidationFailed.field("parent_id", "would make a cycle: a group cannot be nested in itself "
                                                      "or in one of its subgroups")
        above = parents.get(ancestor)
        if above is None:
            return parent.uuid
        ancestor = above
    raise ValidationFailed.field("parent_id", f"groups nest at most {MAX_DEPTH} levels deep")




def _apply(session: Session, access: Access, group: Group, changes: dict[str, Any]) -> None:
    if "parent_id" in changes:
        group.parent_uuid = _parent_uuid(session, access, group, changes.pop("parent_id"))
    apply_patch(group, changes)


def _resolve_members(session: Session, access: Access, idents: list[str]) -> set[uuid.UUID]:
    return {m.uuid for m in resolve_public_ids(session, Member, access.system_uuid, idents, "member_ids")}


def _link(session: Session, group: Group, member_uuids: set[uuid.UUID]) -> None:
    present = set(session.execute(select(GroupMember.member_uuid).where(
        GroupMember.group_uuid == group.uuid, GroupMember.member_uuid.in_(member_uuids))).scalars()) \
        if member_uuids else set()
    session.add_all(GroupMember(group_uuid=group.uuid, member_uuid=m) for m in member_uuids - present)


def create_group(session: Session, sid: str, principal: Principal, spec: GroupCreate) -> GroupOut:
    access = write_access(session, sid, principal)
    changes = spec.sent()
    # Resolved before anything is added, so a refused id leaves no half-made group behind.
    member_uuids = _resolve_members(session, access, changes.pop("member_ids", None) or [])
    now = utcnow()
    group = Group(uuid=uuid.uuid4(), hid=unique_short_id(session, Group.hid), system_uuid=access.system_uuid,
                  name=spec.name, privacy=GROUP_PRIVACY.defaults(), created_at=now, updated_at=now)
    _apply(session, access, group, changes)
    session.add(group)
    session.flush()  # the group row first: its memberships refer to it
    _link(session, group, member_uuids)
    events.record(session, access.system, "group.created", _shown(session, group))
    return _one_out(session, access, group)


def update_group(session: Session, sid: str, principal: Principal, gid: str, patch: GroupPatch) -> GroupOut:
    # Serialized: two concurrent re-parentings (A under B, B under A) must not both pass the cycle check.
    access = write_access(session, sid, principal, serialize="parent_id" in patch.model_fields_set)
    group = find_by_public_id(session, Group, access.system_uuid, gid, "group")
    _apply(session, access, group, patch.sent())
    group.updated_at = utcnow()
    events.record(session, access.system, "group.updated", _shown(session, group))
    return _one_out(session, access, group)


def delete_group(session: Session, sid: str, principal: Principal, gid: str) -> None:
    access = write_access(session, sid, principal)
    group = find_by_public_id(session, Group, access.system_uuid, gid, "group")
    events.record(session, access.system, "group.deleted", _shown(session, group))
    session.delete(group)  # memberships cascade and subgroups move to the top level in the database


def list_group_members(session: Session, sid: str, viewer: Principal | None, gid: str,
                       paging: PageRequest) -> tuple[list[MemberOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area("group_list")
    group = _visible_group(session, access, gid)
    if not access.sees(group.privacy, "list"):
        raise Forbidden("This group keeps its member list private.")
    query = (select(*member_columns()).join(GroupMember, GroupMember.member_uuid == Member.uuid)
             .where(GroupMember.group_uuid == group.uuid))
    query = access.only_visible(query, Member)
    rows, cursor = keyset_page(query, [Member.created_at, Member.uuid], paging, descending=False,
                               session=session, row_key=lambda r: (r.created_at, r.uuid))
    return [member_out(row, access) for row in plain(rows)], cursor


def change_group_members(session: Session, sid: str, principal: Principal, gid: str, idents: list[str],
                         mode: str) -> GroupOut:
    """`add` links the members, `replace` makes them the whole list, `remove` unlinks them."""
    # Serialized so that concurrent adds of one member never race into the primary key.
    access = write_access(session, sid, principal, serialize=True)
    group = find_by_public_id(session, Group, access.system_uuid, gid, "group")
    member_uuids = _resolve_members(session, access, idents)
    if mode == "remove" and member_uuids:
        session.execute(delete(GroupMember).where(GroupMember.group_uuid == group.uuid,
                                                  GroupMember.member_uuid.in_(member_uuids)))
    if mode == "replace":
        session.execute(delete(GroupMember).where(GroupMember.group_uuid == group.uuid,
                                                  GroupMember.member_uuid.not_in(member_uuids)))
    if mode in ("add", "replace"):
        _link(session, group, member_uuids)
    group.updated_at = utcnow()
    events.record(session, access.system, "group.updated", _shown(session, group))
    return _one_out(session, access, group)

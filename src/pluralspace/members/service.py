"""Members: profiles with custom field values, groups and relationships, shown per viewer (docs/API.md §5)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..events import service as events
from ..fields import values as field_values
from ..groups.models import Group, GroupMember
from ..kit.pagination import PageRequest, keyset_page
from ..kit.patch import apply_patch
from ..kit.rows import Column, columns, plain
from ..kit.timeutil import utcnow
from ..kit.validators import color_out
from ..relationships import service as relationships
from ..relationships.models import Relationship
from ..relationships.schemas import RelationshipOut
from ..systems.access import Access, find_by_public_id, find_visible, read_access, visible_or_unknown, write_access
from ..systems.service import unique_short_id
from .models import MEMBER_PRIVACY, Member
from .schemas import MemberCreate, MemberOut, MemberPatch

# The stored pictures of a member (media.service.member_keys, handed in through the app's state: media is built on
# members, so members does not import it).
PicturesOf = Callable[[Session, uuid.UUID], list[str]]

INCLUDES = {"fields": "fields:read", "groups": "groups:read", "relationships": "relationships:read"}
"""`?include=` on member reads: each expansion and the read scope it needs."""

MemberRow = Member | Any
"""A member as read: the entity (writes, one-object reads), or a plain row of `member_columns()` (lists)."""


def member_columns() -> list[Column]:
    """What a list reads of each member (kit/rows.py): what `member_out` shows, `archived` as it reads it."""
    return [*columns(Member, "uuid", "hid", "name", "display_name", "pronouns", "description", "color", "avatar_url",
                     "banner_url", "birthday", "roles", "proxy_tags", "keep_proxy", "is_custom_front", "privacy",
                     "created_at", "updated_at"), Member.archived.label("archived")]


@dataclass(frozen=True)
class ListFilter:
    archived: bool | None = None
    q: str | None = None
    custom_front: bool | None = None


@dataclass
class Extras:
    """What ?include= asked for, loaded for a whole page at once (one query per kind, never per member)."""

    fields: dict[uuid.UUID, dict[str, Any]] | None = None
    groups: dict[uuid.UUID, list[str]] | None = None
    relationships: dict[uuid.UUID, list[RelationshipOut]] | None = None


def load_extras(session: Session, access: Access, members: Sequence[MemberRow], include: frozenset[str]) -> Extras:
    ids = [m.uuid for m in members]
    extras = Extras()
    if "fields" in include:
        extras.fields = field_values.values_for(session, ids, public_only=not access.owner) \
            if access.area_public("fields") else {}
    if "groups" in include:
        extras.groups = _group_ids(session, access, ids)
    if "relationships" in include:
        extras.relationships = _relationships(session, access, ids) if access.area_public("relationships") else {}
    return extras


def _group_ids(session: Session, access: Access, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    result: dict[uuid.UUID, list[str]] = defaultdict(list)
    if not ids or not access.area_public("group_list"):
        return result
    query = (select(GroupMember.member_uuid, Group.hid, Group.privacy).join(Group, Group.uuid == GroupMember.group_uuid)
             .where(GroupMember.member_uuid.in_(ids)).order_by(Group.created_at, Group.uuid))
    for member_uuid, hid, privacy in session.execute(query):
        # A group's membership shows only where its member list would (visible group, `list` public).
        if access.sees(privacy, "visibility") and access.sees(privacy, "list"):
            result[member_uuid].append(hid)
    return result


def _relationships(session: Session, access: Access, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[RelationshipOut]]:
    result: dict[uuid.UUID, list[RelationshipOut]] = defaultdict(list)
    if not ids:
        return result
    query = (relationships.edges(access)
             .where(or_(Relationship.source_member_uuid.in_(ids), Relationship.target_member_uuid.in_(ids)))
             .order_by(Relationship.created_at, Relationship.id))
    wanted = set(ids)
    for row in session.execute(query):
        relationship = row[0]
        for member_uuid in {relationship.source_member_uuid, relationship.target_member_uuid} & wanted:
            result[member_uuid].append(relationships.relationship_out(row))
    return result


def visible_name(access: Access, name: str, privacy: Mapping[str, str]) -> str | None:
    """A member's name as this viewer sees it (here and in Wrapped): null where the member keeps it private."""
    return name if access.sees(privacy, "name") else None


def member_out(member: MemberRow, access: Access, extras: Extras | None = None) -> MemberOut:
    extras = extras or Extras()
    seen = access.seen(member.privacy)
    metadata = "metadata" in seen
    return MemberOut(
        id=member.hid, uuid=str(member.uuid), system_id=access.system.hid,
        name=visible_name(access, member.name, member.privacy), display_name=member.display_name,
        pronouns=member.pronouns if "pronouns" in seen else None,
        description=member.description if "description" in seen else None,
        color=color_out(member.color), avatar_url=member.avatar_url if "avatar" in seen else None,
        banner_url=member.banner_url if "avatar" in seen else None,
        birthday=member.birthday if "birthday" in seen else None,
        roles=member.roles, proxy_tags=member.proxy_tags if metadata else None,
        keep_proxy=member.keep_proxy if metadata else None, is_custom_front=member.is_custom_front,
        archived=member.archived,
        fields=None if extras.fields is None else extras.fields.get(member.uuid, {}),
        group_ids=None if extras.groups is None else extras.groups.get(member.uuid, []),
        relationships=None if extras.relationships is None else extras.relationships.get(member.uuid, []),
        privacy=member.privacy if access.owner else None,
        created_at=member.created_at if metadata else None, updated_at=member.updated_at if metadata else None,
    )


def shown_member(member: Member) -> events.Render:
    """The member as GET /members/{mid} shows it to each viewer: what its events carry."""
    return lambda access: member_out(visible_or_unknown(access, member, "member"), access)


def visible_member(session: Session, access: Access, mid: str) -> Member:
    return find_visible(session, access, Member, mid, "member")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_members(session: Session, sid: str, viewer: Principal | None, paging: PageRequest, filters: ListFilter,
                 include: frozenset[str]) -> tuple[list[MemberOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area("member_list")
    query = select(*member_columns()).where(Member.system_uuid == access.system_uuid)
    if filters.archived is not None:
        query = query.where(Member.archived if filters.archived else ~Member.archived)
    if filters.custom_front is not None:
        query = query.where(Member.is_custom_front.is_(filters.custom_front))
    if filters.q:
        pattern = f"%{_escape_like(filters.q.lower())}%"
        query = query.where(or_(Member.name.ilike(pattern, escape="\\"),
                                Member.display_name.ilike(pattern, escape="\\")))
    query = access.only_visible(query, Member)
    rows, cursor = keyset_page(query, [Member.created_at, Member.uuid], paging, descending=False,
                               session=session, row_key=lambda r: (r.created_at, r.uuid))
    members = plain(rows)
    extras = load_extras(session, access, members, include)
    return [member_out(m, access, extras) for m in members], cursor


def get_member(session: Session, sid: str, viewer: Principal | None, mid: str,
               include: frozenset[str]) -> MemberOut:
    access = read_access(session, sid, viewer)
    member = visible_member(session, access, mid)
    return member_out(member, access, load_extras(session, access, [member], include))


def _apply(member: Member, changes: dict[str, Any]) -> None:
    """`changes` as sent; field values are stored by the caller (their own table)."""
    changes = {key: value for key, value in changes.items() if key != "fields"}
    if "proxy_tags" in changes:
        changes["proxy_tags"] = [tag.model_dump() for tag in changes["proxy_tags"] or []]
    if "roles" in changes:
        changes["roles"] = changes["roles"] or []
    apply_patch(member, changes)


def create_member(session: Session, sid: str, principal: Principal, spec: MemberCreate) -> MemberOut:
    access = write_access(session, sid, principal)
    now = utcnow()
    member = Member(hid=unique_short_id(session, Member.hid), system_uuid=access.system_uuid, name=spec.name,
                    privacy=MEMBER_PRIVACY.defaults(), roles=[], proxy_tags=[], keep_proxy=False,
                    is_custom_front=False, created_at=now, updated_at=now)
    _apply(member, spec.sent())
    session.add(member)
    session.flush()
    if spec.fields:
        field_values.set_values(session, access.system_uuid, member.uuid, spec.fields)
    include = frozenset({"fields"}) if spec.fields else frozenset()
    events.record(session, access.system, "member.created", shown_member(member))
    return member_out(member, access, load_extras(session, access, [member], include))


def update_member(session: Session, sid: str, principal: Principal, mid: str, patch: MemberPatch) -> MemberOut:
    access = write_access(session, sid, principal)
    member = find_by_public_id(session, Member, access.system_uuid, mid, "member")
    changes = patch.sent()
    include = frozenset({"fields"}) if "fields" in changes else frozenset()
    if patch.fields:
        field_values.set_values(session, access.system_uuid, member.uuid, patch.fields)
    _apply(member, changes)
    member.updated_at = utcnow()
    events.record(session, access.system, "member.updated", shown_member(member))
    return member_out(member, access, load_extras(session, access, [member], include))


def delete_member(session: Session, sid: str, principal: Principal, mid: str,
                  pictures_of: PicturesOf = lambda _session, _member: []) -> list[str]:
    """Returns the keys of the member's stored pictures (as `pictures_of` finds them), whose bytes the caller
    removes once this is committed."""
    access = write_access(session, sid, principal)
    member = find_by_public_id(session, Member, access.system_uuid, mid, "member")
    pictures = pictures_of(session, member.uuid)
    events.record(session, access.system, "member.deleted", shown_member(member))
    session.delete(member)  # field values, group memberships, relationships and picture rows cascade in the database
    return pictures

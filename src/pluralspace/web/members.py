"""The Members pages: a searchable grid, a member's page, and forms to create, edit, archive and delete one.

The form has one input per field of the member (custom field values with the input their type needs, privacy per
setting in plain words); what it sends becomes the API's `MemberCreate`/`MemberPatch`, checked and stored by the
members service as a request to the API would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from ..auth.principal import Principal
from ..fields import service as fields
from ..fields.schemas import FieldOut
from ..fronts import service as fronts
from ..fronts.schemas import FrontOut
from ..groups import service as groups
from ..groups.schemas import GroupOut
from ..kit.errors import ApiError
from ..kit.pagination import MAX_LIMIT, PageRequest
from ..kit.privacy import PRIVATE, PUBLIC
from ..members import service as members
from ..members.models import MEMBER_PRIVACY
from ..members.schemas import MemberCreate, MemberOut, MemberPatch
from ..relationships import service as relationships
from ..relationships.schemas import RelationshipTypeOut
from ..state import app_state
from .pages import Problems, Visit, form_visit, page_visit, problems_of, see_other

router = APIRouter(include_in_schema=False)

GRID_PAGE = 60
RECENT_FRONTS = 10
EVERYTHING = frozenset({"fields", "groups", "relationships"})
NONE: frozenset[str] = frozenset()
ALL = PageRequest(MAX_LIMIT, None)

# Which members the grid shows: (label, filter).
SHOWN = {
    "members": ("Members", members.ListFilter(archived=False, custom_front=False)),
    "custom": ("Custom fronts", members.ListFilter(archived=False, custom_front=True)),
    "archived": ("Archived", members.ListFilter(archived=True)),
    "all": ("Everyone", members.ListFilter()),
}

# Each privacy setting of a member, in the words of the form: who sees what when it is public.
PRIVACY_WORDS = {
    "visibility": "That this member exists at all",
    "name": "Their name (others see the display name otherwise)",
    "description": "Their description",
    "avatar": "Their avatar",
    "birthday": "Their birthday",
    "pronouns": "Their pronouns",
    "metadata": "When they were created and how often they fronted",
}
assert set(PRIVACY_WORDS) == set(MEMBER_PRIVACY.keys), "every privacy setting has its words"
CHOICE_WORDS = {PRIVATE: "Only you", PUBLIC: "Anyone who may see your system"}

TEXTS = ("name", "display_name", "pronouns", "description", "color", "avatar_url", "banner_url", "birthday")
FLAGS = ("keep_proxy", "is_custom_front")


# --- reading ---------------------------------------------------------------------------------------------------

@dataclass
class Grid:
    members: list[MemberOut]
    cursor: str | None


def grid(session: Session, sid: str, principal: Principal, shown: str, search: str, cursor: str | None) -> Grid:
    found, after = members.list_members(session, sid, principal, PageRequest(GRID_PAGE, cursor),
                                        members.ListFilter(**{**vars(SHOWN[shown][1]), "q": search or None}), NONE)
    return Grid(found, after)


@dataclass
class Profile:
    member: MemberOut
    fields: list[FieldOut]
    groups: list[GroupOut]
    relationships: list[tuple[str, MemberOut, str | None]]  # (how they relate, the other member, note)
    fronts: list[FrontOut]


def profile(session: Session, sid: str, principal: Principal, mid: str) -> Profile:
    member = members.get_member(session, sid, principal, mid, EVERYTHING)
    defined, _ = fields.list_fields(session, sid, principal, ALL)
    all_groups, _ = groups.list_groups(session, sid, principal, ALL)
    types: dict[str, RelationshipTypeOut] = {kind.id: kind for kind in
                                             relationships.list_types(session, sid, principal, ALL)[0]}
    related = []
    for edge in member.relationships or []:
        kind = types.get(edge.type_id)
        outgoing = edge.source_member_id == member.id
        other = members.get_member(session, sid, principal,
                                   edge.target_member_id if outgoing else edge.source_member_id, NONE)
        words = (kind.name if outgoing else (kind.inverse_name or kind.name)) if kind else "related to"
        related.append((words, other, edge.note))
    recent, _ = fronts.list_fronts(session, sid, principal, PageRequest(RECENT_FRONTS, None),
                                   fronts.FrontFilter(member=member.id), NONE)
    return Profile(member, defined, [group for group in all_groups if group.id in (member.group_ids or [])],
                   related, recent)


def editing(session: Session, sid: str, principal: Principal, mid: str | None) -> tuple[MemberOut | None,
                                                                                           list[FieldOut]]:
    """The member to edit (None for a new one) and the system's custom fields."""
    member = members.get_member(session, sid, principal, mid, frozenset({"fields"})) if mid else None
    defined, _ = fields.list_fields(session, sid, principal, ALL)
    return member, defined


# --- the form's fields into the API's request bodies ----------------------------------------------------------

def _field_value(visit: Visit, field: FieldOut) -> Any:
    """A custom field's input as the value its type stores; None (blank) removes the value. What cannot be read
    as the type goes to the service as typed, which says what it must be."""
    name = f"field-{field.id}"
    if field.type == "multiselect":
        assert visit.form is not None
        chosen = [str(option) for option in visit.form.getlist(name)]
        return chosen or None
    text = visit.field(name)
    if not text:
        return None
    if field.type == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in text else number
    if field.type == "boolean":
        return {"yes": True, "no": False}.get(text, text)
    return text


def _body(visit: Visit, defined: list[FieldOut], *, new: bool) -> dict[str, Any]:
    assert visit.form is not None
    body: dict[str, Any] = {name: visit.field(name) or None for name in TEXTS}
    if new and body["name"] is None:
        body["name"] = ""  # the service's validation says it cannot be empty, next to the field
    body["roles"] = [role.strip() for role in visit.field("roles").split(",") if role.strip()]
    tags = []
    for line in visit.field("proxy_tags").splitlines():
        if line.strip():
            prefix, _, suffix = line.strip().partition("text")
            tags.append({"prefix": prefix or None, "suffix": suffix or None})
    body["proxy_tags"] = tags
    body.update({flag: visit.form.get(flag) == "on" for flag in FLAGS})
    if not new:
        body["archived"] = visit.form.get("archived") == "on"
    body["fields"] = {field.id: _field_value(visit, field) for field in defined}
    if new:
        body["fields"] = {key: value for key, value in body["fields"].items() if value is not None}
    body["privacy"] = {key: visit.field(f"privacy-{key}") or PRIVATE for key in MEMBER_PRIVACY.keys}
    return body


def _names(defined: list[FieldOut]) -> dict[str, str]:
    """A body's field paths that the form names otherwise."""
    return {**{f"fields.{field.id}": f"field-{field.id}" for field in defined},
            **{f"privacy.{key}": f"privacy-{key}" for key in MEMBER_PRIVACY.keys}}


def _form_values(member: MemberOut | None, visit: Visit | None) -> dict[str, Any]:
    """What the form's inputs hold: what was sent (a refused form keeps it) or else the member as stored."""
    if visit is not None and visit.form is not None:
        form = visit.form
        values: dict[str, Any] = {key: str(value) for key, value in form.items()}
        values.update({key: [str(v) for v in form.getlist(key)] for key in form if key.startswith("field-")
                       and len(form.getlist(key)) > 1})
        for flag in (*FLAGS, "archived"):
            values[flag] = form.get(flag) == "on"
        return values
    if member is None:
        return {f"privacy-{key}": PRIVATE for key in MEMBER_PRIVACY.keys}
    values = {name: getattr(member, name) or "" for name in TEXTS}
    values["color"] = member.color or ""
    values["roles"] = ", ".join(member.roles)
    values["proxy_tags"] = "\n".join(f"{tag.prefix or ''}text{tag.suffix or ''}" for tag in member.proxy_tags or [])
    values.update({flag: bool(getattr(member, flag)) for flag in (*FLAGS, "archived")})
    for field_id, value in (member.fields or {}).items():
        values[f"field-{field_id}"] = {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) \
            else value
    if member.privacy is not None:
        values.update({f"privacy-{key}": getattr(member.privacy, key) for key in MEMBER_PRIVACY.keys})
    return values


# --- pages -----------------------------------------------------------------------------------------------------

@router.get("/members")
async def members_page(request: Request) -> Response:
    visit = await page_visit(request)
    query = request.query_params
    shown = query.get("show", "members") if query.get("show") in SHOWN else "members"
    search = query.get("q", "")[:100]
    cursor = query.get("cursor") or None
    try:
        found = await visit.read(grid, shown, search, cursor)
    except ApiError as refused:  # a cursor that is not one of ours
        return visit.page("members.html", refused.status, grid=Grid([], None), shown=shown, choices=SHOWN,
                          search=search, problems=problems_of(refused))
    return visit.page("members.html", grid=found, shown=shown, choices=SHOWN, search=search, problems=None)


async def _form_page(visit: Visit, mid: str | None, status: int = 200, problems: Problems | None = None) -> Response:
    member, defined = await visit.read(editing, mid)
    return visit.page("member_form.html", status, member=member, defined=defined, problems=problems,
                      values=_form_values(member, visit if problems else None), privacy_words=PRIVACY_WORDS,
                      choice_words=CHOICE_WORDS)


@router.get("/members/new")
async def new_member_page(request: Request) -> Response:
    return await _form_page(await page_visit(request), None)


@router.post("/members/new")
async def create_member(request: Request) -> Response:
    visit = await form_visit(request)
    _member, defined = await visit.read(editing, None)
    try:
        created = await visit.write(members.create_member, MemberCreate.model_validate(_body(visit, defined,
                                                                                             new=True)))
    except (ValidationError, ApiError) as refused:
        return await _form_page(visit, None, getattr(refused, "status", 422), problems_of(refused, _names(defined)))
    return see_other(f"/members/{created.id}")


@router.get("/members/{mid}")
async def member_page(mid: str, request: Request) -> Response:
    visit = await page_visit(request)
    return visit.page("member.html", profile=await visit.read(profile, mid[:64]), privacy_words=PRIVACY_WORDS,
                      choice_words=CHOICE_WORDS)


@router.get("/members/{mid}/edit")
async def edit_member_page(mid: str, request: Request) -> Response:
    return await _form_page(await page_visit(request), mid[:64])


@router.post("/members/{mid}/edit")
async def update_member(mid: str, request: Request) -> Response:
    visit = await form_visit(request)
    member, defined = await visit.read(editing, mid[:64])
    assert member is not None
    try:
        await visit.write(members.update_member, member.id, MemberPatch.model_validate(_body(visit, defined,
                                                                                             new=False)))
    except (ValidationError, ApiError) as refused:
        return await _form_page(visit, member.id, getattr(refused, "status", 422),
                                problems_of(refused, _names(defined)))
    return see_other(f"/members/{member.id}")


@router.post("/members/{mid}/archive")
async def archive_member(mid: str, request: Request) -> Response:
    """Archives the member, or brings them back (`archived=off`)."""
    visit = await form_visit(request)
    member = await visit.write(members.update_member, mid[:64],
                               MemberPatch(archived=visit.field("archived") != "off"))
    return see_other(f"/members/{member.id}")


@router.get("/members/{mid}/delete")
async def delete_member_page(mid: str, request: Request) -> Response:
    visit = await page_visit(request)
    member, _ = await visit.read(editing, mid[:64])
    return visit.page("member_delete.html", member=member)


@router.post("/members/{mid}/delete")
async def delete_member(mid: str, request: Request) -> Response:
    visit = await form_visit(request)
    state = app_state(request)
    # As the API's DELETE: the member's stored pictures go once the deletion is committed.
    await state.media.delete(await visit.write(members.delete_member, mid[:64], state.member_pictures))
    return see_other("/members")

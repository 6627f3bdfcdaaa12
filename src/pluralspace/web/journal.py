"""The Journal pages: the list (newest first, or full-text search with snippets), an entry, and the form to write
or edit one in markdown with a preview rendered here, tags, pins, authors and privacy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from ..auth.principal import Principal
from ..journal import search
from ..journal import service as journal
from ..journal.schemas import EntryCreate, EntryOut, EntryPatch, normalize_tag
from ..kit.errors import ApiError, ValidationFailed
from ..kit.pagination import MAX_LIMIT, PageRequest
from ..kit.privacy import PRIVATE, PUBLIC
from ..members import service as members
from ..members.schemas import MemberOut
from .pages import Problems, Visit, form_visit, page_visit, problems_of, see_other, uuid_of
from .session import template_filter

router = APIRouter(include_in_schema=False)

LIST_PAGE = 30
NONE: frozenset[str] = frozenset()
ENTRY_PRIVACY = {PRIVATE: "Only you", PUBLIC: "Anyone who may read your journal"}
# CommonMark without raw HTML: what is written shows as written, never as markup of the page.
_markdown = MarkdownIt("commonmark", {"html": False})


@template_filter("markdown")
def markdown(text: str) -> Markup:
    return Markup(_markdown.render(text))


@dataclass
class Listing:
    entries: list[EntryOut]
    cursor: str | None
    authors: dict[str, MemberOut]


def _members(session: Session, sid: str, principal: Principal) -> dict[str, MemberOut]:
    found, _ = members.list_members(session, sid, principal, PageRequest(MAX_LIMIT, None), members.ListFilter(), NONE)
    return {member.id: member for member in found}


def _authors(session: Session, sid: str, principal: Principal, entries: list[EntryOut]) -> dict[str, MemberOut]:
    """The members who wrote these entries (a few), not the whole system's."""
    named = {author for entry in entries for author in entry.author_ids}
    return {mid: members.get_member(session, sid, principal, mid, NONE) for mid in sorted(named)}


def listing(session: Session, sid: str, principal: Principal, filters: journal.ListFilter,
            cursor: str | None) -> Listing:
    entries, after = journal.list_entries(session, sid, principal, PageRequest(LIST_PAGE, cursor), filters)
    return Listing(entries, after, _authors(session, sid, principal, entries))


def one_entry(session: Session, sid: str, principal: Principal, entry_id: Any) -> tuple[EntryOut,
                                                                                         dict[str, MemberOut]]:
    """The entry and its authors."""
    entry = journal.get_entry(session, sid, principal, entry_id)
    return entry, _authors(session, sid, principal, [entry])


def editing(session: Session, sid: str, principal: Principal, entry_id: Any) -> tuple[EntryOut | None,
                                                                                       dict[str, MemberOut]]:
    """The entry to edit (None: a new one) and the members who may be its authors."""
    entry = journal.get_entry(session, sid, principal, entry_id) if entry_id else None
    return entry, _members(session, sid, principal)


def _filters(search_text: str, tag: str) -> journal.ListFilter:
    """The list's filters, read as the API reads its query (the same parser, the same tag rule)."""
    try:
        normalized = normalize_tag(tag) if tag else None
    except ValueError as exc:
        raise ValidationFailed.field("tag", str(exc)) from None
    return journal.ListFilter(tag=normalized, q=search.parse(search_text) if search_text else None)


@router.get("/journal")
async def journal_page(request: Request) -> Response:
    visit = await page_visit(request)
    query = request.query_params
    search_text, tag = query.get("q", "")[:search.QUERY_MAX_LENGTH], query.get("tag", "")[:200]
    try:
        found = await visit.read(listing, _filters(search_text, tag), query.get("cursor") or None)
        problems = None
    except ApiError as refused:
        found, problems = Listing([], None, {}), problems_of(refused)
    return visit.page("journal.html", 422 if problems else 200, listing=found, search=search_text, tag=tag,
                      problems=problems)


def _body(visit: Visit) -> dict[str, Any]:
    assert visit.form is not None
    return {"title": visit.field("title") or None, "body": str(visit.form.get("body", "")),
            "tags": [tag for tag in visit.field("tags").split(",") if tag.strip()],
            "author_ids": [str(author) for author in visit.form.getlist("author_ids")],
            "pinned": visit.form.get("pinned") == "on", "privacy": visit.field("privacy") or PRIVATE}


def _values(entry: EntryOut | None, visit: Visit | None) -> dict[str, Any]:
    if visit is not None and visit.form is not None:
        return _body(visit) | {"tags": visit.field("tags")}
    if entry is None:
        return {"privacy": PRIVATE, "author_ids": [], "tags": "", "body": "", "title": ""}
    return {"title": entry.title or "", "body": entry.body, "tags": ", ".join(entry.tags),
            "author_ids": entry.author_ids, "pinned": entry.pinned, "privacy": entry.privacy}


async def _form_page(visit: Visit, entry_id: Any, status: int = 200, problems: Problems | None = None,
                     preview: bool = False) -> Response:
    entry, authors = await visit.read(editing, entry_id)
    sent = visit if (problems or preview) else None
    values = _values(entry, sent)
    return visit.page("journal_form.html", status, entry=entry, authors=authors, values=values, problems=problems,
                      preview=values["body"] if preview else None, privacy_words=ENTRY_PRIVACY)


async def _save(visit: Visit, entry_id: Any) -> Response:
    if visit.field("action") == "preview":
        return await _form_page(visit, entry_id, preview=True)
    try:
        if entry_id is None:
            saved = await visit.write(journal.create_entry, EntryCreate.model_validate(_body(visit)))
        else:
            saved = await visit.write(journal.update_entry, entry_id, EntryPatch.model_validate(_body(visit)))
    except (ValidationError, ApiError) as refused:
        return await _form_page(visit, entry_id, getattr(refused, "status", 422), problems_of(refused))
    return see_other(f"/journal/{saved.id}")


@router.get("/journal/new")
async def new_entry_page(request: Request) -> Response:
    return await _form_page(await page_visit(request), None)


@router.post("/journal/new")
async def create_entry(request: Request) -> Response:
    return await _save(await form_visit(request), None)


@router.get("/journal/{entry_id}")
async def entry_page(entry_id: str, request: Request) -> Response:
    visit = await page_visit(request)
    entry, authors = await visit.read(one_entry, uuid_of(entry_id, "journal entry"))
    return visit.page("journal_entry.html", entry=entry, authors=authors, privacy_words=ENTRY_PRIVACY)


@router.get("/journal/{entry_id}/edit")
async def edit_entry_page(entry_id: str, request: Request) -> Response:
    return await _form_page(await page_visit(request), uuid_of(entry_id, "journal entry"))


@router.post("/journal/{entry_id}/edit")
async def update_entry(entry_id: str, request: Request) -> Response:
    return await _save(await form_visit(request), uuid_of(entry_id, "journal entry"))


@router.post("/journal/{entry_id}/pin")
async def pin_entry(entry_id: str, request: Request) -> Response:
    """Pins the entry, or unpins it (`pinned=off`)."""
    visit = await form_visit(request)
    target = uuid_of(entry_id, "journal entry")
    await visit.write(journal.update_entry, target, EntryPatch(pinned=visit.field("pinned") != "off"))
    return see_other(f"/journal/{target}")


@router.get("/journal/{entry_id}/delete")
async def delete_entry_page(entry_id: str, request: Request) -> Response:
    visit = await page_visit(request)
    entry, _ = await visit.read(one_entry, uuid_of(entry_id, "journal entry"))
    return visit.page("journal_delete.html", entry=entry)


@router.post("/journal/{entry_id}/delete")
async def delete_entry(entry_id: str, request: Request) -> Response:
    visit = await form_visit(request)
    await visit.write(journal.delete_entry, uuid_of(entry_id, "journal entry"))
    return see_other("/journal")

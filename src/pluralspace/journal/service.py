"""Journal entries: CRUD, filters, full-text search, shown per viewer (docs/API.md §5).

Privacy: the owner sees everything. For anyone else the system's `journal` setting must be public (403
otherwise); then only entries whose own `privacy` is public exist for them (left out of lists, 404 when asked
for directly), and members whose visibility is private are left out of `author_ids`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..events import service as events
from ..kit.errors import NotFound
from ..kit.pagination import PageRequest, keyset_page
from ..kit.patch import apply_patch
from ..kit.privacy import public
from ..kit.rows import columns, plain
from ..kit.timeutil import utcnow
from ..members.models import Member
from ..systems.access import (
    Access,
    find_by_uuid,
    find_visible,
    read_access,
    resolve_public_ids,
    write_access,
)
from . import search
from .models import EntryRow, JournalAuthor, JournalEntry, JournalTag
from .schemas import EntryCreate, EntryOut, EntryPatch


@dataclass(frozen=True)
class ListFilter:
    author: str | None = None
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    pinned: bool | None = None
    q: search.SearchQuery | None = None


def _authors(session: Session, access: Access, entry_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Short ids of the authors of a page of entries, in one query."""
    result: dict[uuid.UUID, list[str]] = defaultdict(list)
    if not entry_ids:
        return result
    query = (select(JournalAuthor.entry_id, Member.hid, Member.privacy)
             .join(Member, Member.uuid == JournalAuthor.member_uuid)
             .where(JournalAuthor.entry_id.in_(entry_ids))
             .order_by(JournalAuthor.entry_id, JournalAuthor.position, Member.hid))
    for entry_id, hid, privacy in session.execute(query):
        if access.sees(privacy, "visibility"):
            result[entry_id].append(hid)
    return result


def entry_out(entry: EntryRow, author_ids: list[str], snippet: str | None = None) -> EntryOut:
    return EntryOut(id=str(entry.id), title=entry.title, body=entry.body, author_ids=author_ids,
                    tags=list(entry.tags or []), pinned=entry.pinned, privacy=entry.privacy,
                    created_at=entry.created_at, updated_at=entry.updated_at, snippet=snippet)


def _page_out(session: Session, access: Access, entries: Sequence[EntryRow],
              query: search.SearchQuery | None = None) -> list[EntryOut]:
    authors = _authors(session, access, [e.id for e in entries])
    return [entry_out(e, authors.get(e.id, []), search.snippet(e, query) if query else None) for e in entries]


def _conditions(session: Session, access: Access, filters: ListFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [JournalEntry.system_uuid == access.system_uuid]
    if not access.owner:
        conditions.append(public(JournalEntry.privacy))
    if filters.author is not None:
        member = find_visible(session, access, Member, filters.author, "member")
        conditions.append(JournalEntry.id.in_(select(JournalAuthor.entry_id)
                                              .where(JournalAuthor.member_uuid == member.uuid)))
    if filters.tag is not None:
        conditions.append(JournalEntry.id.in_(select(JournalTag.entry_id).where(JournalTag.tag == filters.tag)))
    if filters.since is not None:
        conditions.append(JournalEntry.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(JournalEntry.created_at < filters.until)
    if filters.pinned is not None:
        conditions.append(JournalEntry.pinned.is_(filters.pinned))
    return conditions


def list_entries(session: Session, sid: str, viewer: Principal | None, paging: PageRequest,
                 filters: ListFilter) -> tuple[list[EntryOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area("journal")
    conditions = _conditions(session, access, filters)
    if filters.q is not None:
        return _search(session, access, paging, filters.q, conditions)
    rows, cursor = keyset_page(select(*columns(JournalEntry)).where(*conditions),
                               [JournalEntry.created_at, JournalEntry.id], paging, descending=True, session=session,
                               row_key=lambda r: (r.created_at, r.id))
    return _page_out(session, access, plain(rows)), cursor


def _search(session: Session, access: Access, paging: PageRequest, query: search.SearchQuery,
            conditions: list[ColumnElement[bool]]) -> tuple[list[EntryOut], str | None]:
    offset = search.SearchCursor.decode(paging.cursor, query)
    room = search.MAX_RESULTS - offset
    entries = search.ranked(session, access.system_uuid, query, conditions, min(paging.limit + 1, room), offset)
    cursor = None
    if len(entries) > paging.limit:
        entries = entries[: paging.limit]
        if offset + paging.limit < search.MAX_RESULTS:
            cursor = search.SearchCursor(offset + paging.limit, query.fingerprint()).encode()
    return _page_out(session, access, entries, query), cursor


def _visible_entry(session: Session, access: Access, entry_id: uuid.UUID) -> JournalEntry:
    return _visible(access, find_by_uuid(session, JournalEntry, access.system_uuid, entry_id, "journal entry"))


def _visible(access: Access, entry: JournalEntry) -> JournalEntry:
    if not access.shows(entry.privacy):
        raise NotFound("No such journal entry.")
    return entry


def _shown(session: Session, entry: JournalEntry) -> events.Render:
    """The entry as GET /journal/{id} shows it to each viewer: what its events carry."""
    def render(access: Access) -> EntryOut:
        access.require_area("journal")
        return _page_out(session, access, [_visible(access, entry)])[0]

    return render


def get_entry(session: Session, sid: str, viewer: Principal | None, entry_id: uuid.UUID) -> EntryOut:
    access = read_access(session, sid, viewer)
    access.require_area("journal")
    return _page_out(session, access, [_visible_entry(session, access, entry_id)])[0]


def _set_authors(session: Session, access: Access, entry: JournalEntry, idents: list[str] | None) -> None:
    """Replaces the authors; an id that is not a member of this system is 422 naming author_ids.N."""
    members = resolve_public_ids(session, Member, access.system_uuid, idents or [], "author_ids")
    session.execute(delete(JournalAuthor).where(JournalAuthor.entry_id == entry.id))
    session.add_all(JournalAuthor(entry_id=entry.id, member_uuid=m.uuid, position=i) for i, m in enumerate(members))


def _set_tags(session: Session, entry: JournalEntry, tags: list[str] | None, *, new: bool = False) -> None:
    """`tags` on the entry (what responses show) and the rows of journal_tags (what ?tag= finds), kept equal."""
    entry.tags = list(tags or [])
    if not new:
        session.execute(delete(JournalTag).where(JournalTag.entry_id == entry.id))
    session.add_all(JournalTag(entry_id=entry.id, tag=tag) for tag in entry.tags)


def create_entry(session: Session, sid: str, principal: Principal, spec: EntryCreate) -> EntryOut:
    access = write_access(session, sid, principal)
    now = utcnow()
    entry = JournalEntry(id=uuid.uuid4(), system_uuid=access.system_uuid, title=spec.title, body=spec.body,
                         pinned=spec.pinned, privacy=spec.privacy, created_at=spec.created_at or now, updated_at=now)
    members = resolve_public_ids(session, Member, access.system_uuid, spec.author_ids or [], "author_ids")
    session.add(entry)
    _set_tags(session, entry, spec.tags, new=True)
    session.flush()  # the entry first: the author, tag and term rows refer to it
    session.add_all(JournalAuthor(entry_id=entry.id, member_uuid=m.uuid, position=i) for i, m in enumerate(members))
    search.index_terms(session, entry, new=True)
    session.flush()
    events.record(session, access.system, "journal.created", _shown(session, entry))
    return _page_out(session, access, [entry])[0]


def update_entry(session: Session, sid: str, principal: Principal, entry_id: uuid.UUID,
                 patch: EntryPatch) -> EntryOut:
    access = write_access(session, sid, principal)
    entry = find_by_uuid(session, JournalEntry, access.system_uuid, entry_id, "journal entry")
    changes = patch.sent()
    if "author_ids" in changes:
        _set_authors(session, access, entry, changes.pop("author_ids"))
    if "tags" in changes:
        _set_tags(session, entry, changes.pop("tags"))
    apply_patch(entry, changes)
    entry.updated_at = utcnow()
    session.flush()
    if "title" in changes or "body" in changes:
        search.index_terms(session, entry)
    events.record(session, access.system, "journal.updated", _shown(session, entry))
    return _page_out(session, access, [entry])[0]


def delete_entry(session: Session, sid: str, principal: Principal, entry_id: uuid.UUID) -> None:
    access = write_access(session, sid, principal)
    entry = find_by_uuid(session, JournalEntry, access.system_uuid, entry_id, "journal entry")
    events.record(session, access.system, "journal.deleted", _shown(session, entry))
    session.delete(entry)  # authors and tags cascade in the database; SQLite's trigger unindexes the text

"""`/api/v1/systems/{sid}/journal`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime

from ..auth.dependencies import Requires, Viewer
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.errors import ValidationFailed
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from ..systems.params import SystemId
from . import search, service
from .schemas import TAG_PATTERN, EntryCreate, EntryOut, EntryPatch, normalize_tag

router = APIRouter(prefix="/api/v1/systems/{sid}/journal", tags=["journal"])
Reader = Annotated[Principal | None, Viewer("journal:read")]
Writer = Annotated[Principal, Requires("journal:write")]
Paging = Annotated[PageRequest, Depends(page_params)]

LIST_DESCRIPTION = f"""
Without `?q=`: newest first, paged by a keyset cursor (stable while entries are added).

With `?q=` (full-text search of title and body): best match first, then newest. The query language is that of
web search engines: words (all must occur), `word*` (any word beginning so), `"a phrase"`, `or` between
alternatives, `-word` to exclude; other characters only separate words, and at most {search.MAX_WORDS} words are
allowed. Words match case-insensitively and by their English stem (`dream` finds `dreams`, `run` finds `running`).
The ranking counts each word's occurrences in the entry (the title twice) and nothing outside the searched system's
entries. Each result carries `snippet`: a passage around the first match, HTML-escaped, matches wrapped in
`<mark>`. Search results page by an offset carried in
the cursor, which belongs to its query and filters: the first {search.MAX_RESULTS:,} matches can be paged through,
and a result list may shift if entries change between pages.

Other viewers need the system's `journal` privacy public (403 otherwise) and see only public entries.
"""


async def list_filter(
    author: Annotated[str | None, Query(min_length=1, max_length=64,
                                        description="Short id or uuid: only entries this member wrote.")] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=200, description="Only entries with this tag.",
                                     json_schema_extra={"pattern": TAG_PATTERN})] = None,
    since: Annotated[AwareDatetime | None, Query(description="Created at or after (RFC 3339 with offset).")]
    = None,
    until: Annotated[AwareDatetime | None, Query(description="Created before (RFC 3339 with offset).")] = None,
    pinned: Annotated[bool | None, Query(description="Only pinned (true) or only unpinned (false).")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=search.QUERY_MAX_LENGTH,
                                   description="Full-text search; see the operation's description.")] = None,
) -> service.ListFilter:
    if since is not None and until is not None and until <= since:
        raise ValidationFailed.field("until", "must be after since")
    if tag is not None:
        try:
            tag = normalize_tag(tag)
        except ValueError as exc:
            raise ValidationFailed.field("tag", str(exc)) from None
    return service.ListFilter(author=author, tag=tag, since=since, until=until, pinned=pinned,
                              q=search.parse(q) if q is not None else None)


@router.get("", response_model=Page[EntryOut],
            summary="Journal entries, newest first, or ranked by ?q= (full-text search)",
            description=LIST_DESCRIPTION)
async def list_entries(sid: SystemId, viewer: Reader, request: Request, paging: Paging,
                       filters: Annotated[service.ListFilter, Depends(list_filter)]) -> Page[Any]:
    entries, cursor = await app_state(request).database.read(service.list_entries, sid, viewer, paging, filters)
    return page(entries, paging.limit, cursor)


@router.post("", status_code=201, response_model=Envelope[EntryOut],
             summary="Write a journal entry (private unless privacy is public)")
async def create_entry(sid: SystemId, body: EntryCreate, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_entry, sid, principal, body))


@router.get("/{entry_id}", response_model=Envelope[EntryOut],
            summary="A journal entry")
async def get_entry(sid: SystemId, entry_id: uuid.UUID, viewer: Reader, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_entry, sid, viewer, entry_id))


@router.patch("/{entry_id}", response_model=Envelope[EntryOut],
              summary="Change an entry: only the keys sent; null clears title, authors and tags")
async def update_entry(sid: SystemId, entry_id: uuid.UUID, body: EntryPatch, principal: Writer,
                       request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_entry, sid, principal, entry_id, body))


@router.delete("/{entry_id}", status_code=204, response_class=Response,
               summary="Delete an entry (its authors, tags and search index entry go with it)")
async def delete_entry(sid: SystemId, entry_id: uuid.UUID, principal: Writer, request: Request) -> Response:
    await app_state(request).database.write(service.delete_entry, sid, principal, entry_id)
    return Response(status_code=204)

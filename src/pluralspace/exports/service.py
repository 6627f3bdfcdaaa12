"""Export: everything of the caller's system that the caller's token may read, as one JSON file, streamed.

Every section is read through the same service that serves it on the API, as the owner, a page at a time (one unit
of work per page, so a long history neither sits in memory nor holds a connection for the whole download). Two
formats:

* `pluralspace`: this server's own file. The objects are exactly the API's (owner view), members with their field
  values and group ids, polls with their votes; `omitted` names the sections the token could not read.
* `pluralkit`: PluralKit's `pk;export` version 2, which PluralKit and its importers read: the system, `config`,
  members, groups with member ids, and every switch, newest first.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from ..audit import security_log
from ..audit.security_log import Client
from ..auth.includes import held_includes
from ..auth.principal import Principal
from ..fields import service as fields
from ..fronts import service as fronts
from ..groups import service as groups
from ..journal import service as journal
from ..kit.db import Database
from ..kit.pagination import MAX_LIMIT, PageRequest
from ..kit.timeutil import format_timestamp, utcnow
from ..members import service as members
from ..pk import service as pk_service
from ..pk.translate import group_v2, member_v2, system_v2, timestamp
from ..polls import service as polls
from ..relationships import service as relationships
from ..systems import service as systems
from ..thoughts import service as thoughts

ME = systems.ME
Pager = Callable[[Session, Principal, PageRequest], tuple[list[Any], str | None]]

# What each exported member carries, as far as the token's scopes allow (relationships have their own section).
MEMBER_INCLUDES = {name: members.INCLUDES[name] for name in ("fields", "groups")}

# (key in the file, the scope that reads it, one page of it as the owner)
SECTIONS: tuple[tuple[str, str, Pager], ...] = (
    ("fields", "fields:read", lambda s, p, page: fields.list_fields(s, ME, p, page)),
    ("members", "members:read", lambda s, p, page: members.list_members(
        s, ME, p, page, members.ListFilter(), held_includes(p, MEMBER_INCLUDES))),
    ("groups", "groups:read", lambda s, p, page: groups.list_groups(s, ME, p, page)),
    ("relationship_types", "relationships:read", lambda s, p, page: relationships.list_types(s, ME, p, page)),
    ("relationships", "relationships:read", lambda s, p, page: relationships.list_relationships(
        s, ME, p, page, None)),
    ("fronts", "fronts:read", lambda s, p, page: fronts.list_fronts(s, ME, p, page, fronts.FrontFilter(), False)),
    ("journal", "journal:read", lambda s, p, page: journal.list_entries(s, ME, p, page, journal.ListFilter())),
    ("polls", "polls:read", lambda s, p, page: polls.list_polls(s, ME, p, page, polls.PollFilter())),
    ("thoughts", "thoughts:read", lambda s, p, page: thoughts.list_thoughts(s, ME, p, page, None)),
)
SECTIONS_BY_KEY = {key: pager for key, _scope, pager in SECTIONS}
PLURALKIT_NEEDS = ("members:read", "groups:read", "fronts:read")


def record_export(session: Session, principal: Principal, export_format: str, client: Client, actor: str) -> None:
    """An export is in the owner's security log and the audit log: which format, by which credential."""
    security_log.record(session, principal.account_id, "data_exported", client, actor=actor, format=export_format,
                        credential=principal.kind)


def file_name(system_id: str, export_format: str, now: datetime) -> str:
    return f"{export_format}-export-{system_id}-{now:%Y%m%d}.json"


async def pages(database: Database, principal: Principal, pager: Pager) -> AsyncIterator[list[Any]]:
    cursor: str | None = None
    while True:
        items, cursor = await database.read(pager, principal, PageRequest(limit=MAX_LIMIT, cursor=cursor))
        yield items
        if cursor is None:
            return


def _json(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json().encode()
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


async def _array(items: AsyncIterator[Any]) -> AsyncIterator[bytes]:
    yield b"["
    first = True
    async for item in items:
        yield (b"" if first else b",") + _json(item)
        first = False
    yield b"]"


async def _flat(database: Database, principal: Principal, pager: Pager) -> AsyncIterator[Any]:
    async for page in pages(database, principal, pager):
        for item in page:
            yield item


# --- pluralspace ------------------------------------------------------------------------------------------------

async def pluralspace_file(database: Database, principal: Principal) -> AsyncIterator[bytes]:
    system = await database.read(systems.get_system, ME, principal)
    omitted = sorted({key for key, scope, _ in SECTIONS if not principal.holds(scope)})
    head = {"format": "pluralspace", "version": 1, "exported_at": format_timestamp(utcnow()), "omitted": omitted}
    yield _json(head)[:-1] + b',"system":' + _json(system)
    for key, scope, pager in SECTIONS:
        if not principal.holds(scope):
            continue
        yield f',"{key}":'.encode()
        items = _polls_with_votes(database, principal) if key == "polls" else _flat(database, principal, pager)
        async for chunk in _array(items):
            yield chunk
    yield b"}"


async def _polls_with_votes(database: Database, principal: Principal) -> AsyncIterator[dict[str, Any]]:
    async for page in pages(database, principal, SECTIONS_BY_KEY["polls"]):
        for poll in page:
            votes: list[dict[str, Any]] = []
            async for vote_page in pages(database, principal, _votes_of(poll.id)):
                votes += [vote.model_dump(mode="json") for vote in vote_page]
            yield {**poll.model_dump(mode="json"), "votes": votes}


def _votes_of(poll_id: str) -> Pager:
    return lambda s, p, page: polls.list_votes(s, ME, p, uuid.UUID(poll_id), page)



# --- pluralkit --------------------------------------------------------------------------------------------------

async def pluralkit_file(database: Database, principal: Principal) -> AsyncIterator[bytes]:
    system = await database.read(systems.get_system, ME, principal)
    config = await database.read(pk_service.get_settings, ME, principal)
    shown = system_v2(system)
    accounts = await database.read(pk_service.linked_accounts, principal)
    head = {"version": 2, **shown, "config": config, "accounts": accounts}
    yield _json(head)[:-1] + b',"members":'
    async for chunk in _array(_pk_members(database, principal)):
        yield chunk
    yield b',"groups":'
    async for chunk in _array(_pk_groups(database, principal, system.id)):
        yield chunk
    yield b',"switches":'
    async for chunk in _array(_pk_switches(database, principal)):
        yield chunk
    yield b"}"


async def _pk_members(database: Database, principal: Principal) -> AsyncIterator[dict[str, Any]]:
    async for member in _flat(database, principal, SECTIONS_BY_KEY["members"]):
        shown = member_v2(member)
        del shown["system"]
        yield shown


async def _pk_groups(database: Database, principal: Principal, system_id: str) -> AsyncIterator[dict[str, Any]]:
    async for group in _flat(database, principal, SECTIONS_BY_KEY["groups"]):
        shown = group_v2(group, system_id)
        del shown["system"]
        yield {**shown, "members": list(group.member_ids or [])}


async def _pk_switches(database: Database, principal: Principal) -> AsyncIterator[dict[str, Any]]:
    before = None
    while True:
        page, cursor = await database.read(fronts.list_switches, ME, principal, before, MAX_LIMIT)
        for switch in page:
            yield {"timestamp": timestamp(switch.timestamp), "members": switch.member_ids}
        if cursor is None:
            return
        before = page[-1].timestamp

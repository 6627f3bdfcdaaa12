"""Polls and votes.

Results are never stored: `results` and `vote_count` are counted from the votes table whenever polls are read (one
query for a whole page of polls), so they always agree with the votes. "One vote per member per poll" is the votes
table's primary key; every change of votes, and of what votes depend on (closing, options, allow_*), first takes
the system's row lock (`write_access(..., serialize=True)`: a row lock on PostgreSQL, SQLite serializes writes
anyway), so a re-vote replaces the member's vote in one unit of work and a vote cannot slip in after a close.

Privacy: viewers other than the owner need the system's `polls` area public (403 otherwise). For them the votes
of members whose visibility is private are left out of the votes list and of `results` and `vote_count` alike, and
`created_by` reads null when its member is private.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, Select, and_, delete, or_, select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..events import service as events
from ..kit.errors import Conflict, NotFound, ValidationFailed
from ..kit.pagination import PageRequest, keyset_page
from ..kit.patch import apply_patch
from ..kit.rows import columns, plain
from ..kit.timeutil import format_timestamp, utcnow
from ..kit.validators import color_out
from ..members.models import Member
from ..systems.access import (
    Access,
    find_by_public_id,
    find_by_uuid,
    find_in_body,
    read_access,
    visible_or_unknown,
    write_access,
)
from .models import Poll, Vote
from .schemas import PollCreate, PollOptionIn, PollOptionOut, PollOut, PollPatch, VoteIn, VoteOut

T = TypeVar("T", bound=tuple[Any, ...])

PollRow = Poll | Any
"""A poll as read: the entity, or a plain row of `columns(Poll)` (lists; kit/rows.py)."""

AREA = "polls"
ABSTAIN, VETO, CHOICE = "abstain", "veto", "choice"


# --- rules -----------------------------------------------------------------------------------------------------

def is_closed(poll: PollRow, now: datetime | None = None) -> bool:
    return poll.closed or (poll.closes_at is not None and poll.closes_at <= (now or utcnow()))



def _options(sent: list[PollOptionIn], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored form of the options sent: new ones get an id; an id sent must be one of the poll's options."""
    known = {option["id"] for option in current}
    labels: dict[str, int] = {}
    ids: set[str] = set()
    stored = []
    for index, option in enumerate(sent):
        if option.id is not None:
            if option.id not in known:
                raise ValidationFailed.field(f"options.{index}.id", "is not an option of this poll (leave the id "
                                                                    "out for a new option)")
            if option.id in ids:
                raise ValidationFailed.field(f"options.{index}.id", "is listed twice")
            ids.add(option.id)
        label_key = option.label.strip().casefold()
        if label_key in labels:
            raise ValidationFailed.field(f"options.{index}.label",
                                         f"duplicates the label of option {labels[label_key]}")
        labels[label_key] = index
        stored.append({"id": option.id or str(uuid.uuid4()), "label": option.label, "color": option.color})
    return stored


def _votes_exist(session: Session, poll_id: uuid.UUID, *conditions: ColumnElement[bool]) -> bool:
    query = select(Vote.member_uuid).where(Vote.poll_id == poll_id, *conditions).limit(1)
    return session.execute(query).first() is not None


def _multiple_choices(session: Session, poll_id: uuid.UUID) -> bool:
    picks = session.execute(select(Vote.option_ids).where(Vote.poll_id == poll_id, Vote.kind == CHOICE)).scalars()
    return any(len(option_ids or []) > 1 for option_ids in picks)


def _check_vote(poll: Poll, spec: VoteIn) -> list[str]:
    """The option ids of a valid vote; 422 naming the key for anything the poll's settings do not allow."""
    option_ids = spec.option_ids or []
    if spec.kind != CHOICE:
        if spec.kind == ABSTAIN and not poll.allow_abstain:
            raise ValidationFailed.field("kind", "this poll does not allow abstaining")
        if spec.kind == VETO and not poll.allow_veto:
            raise ValidationFailed.field("kind", "this poll does not allow vetoes")
        if option_ids:
            raise ValidationFailed.field("option_ids", f"an {spec.kind} vote picks no options"
                                         if spec.kind == ABSTAIN else "a veto picks no options")
        return []
    if not option_ids:
        raise ValidationFailed.field("option_ids", "a choice vote needs at least one option id")
    known = {option["id"] for option in poll.options}
    seen: set[str] = set()
    for index, option_id in enumerate(option_ids):
        if option_id not in known:
            raise ValidationFailed.field(f"option_ids.{index}", f"{option_id!r} is not an option of this poll")
        if option_id in seen:
            raise ValidationFailed.field(f"option_ids.{index}", f"{option_id!r} is listed twice")
        seen.add(option_id)
    if len(option_ids) > 1 and not poll.allow_multiple:
        raise ValidationFailed.field("option_ids", "this poll allows one option per vote")
    return list(option_ids)


def _require_open(poll: Poll) -> None:
    if is_closed(poll):
        when = f" at {format_timestamp(poll.closes_at)}" if not poll.closed and poll.closes_at else ""
        raise Conflict("poll_closed", f"This poll closed{when}; its votes cannot change.")


# --- output ----------------------------------------------------------------------------------------------------

def _visible_votes(access: Access, query: Select[T]) -> Select[T]:
    """`query` (of Vote, Member columns may be selected) limited to the votes this viewer may see: for anyone but
    the owner, those of members whose visibility is public. The votes list and the totals both go through here, so
    the totals count exactly the votes listed."""
    query = query.join(Member, Member.uuid == Vote.member_uuid)
    return access.only_visible(query, Member)


def _results(session: Session, access: Access, polls: Sequence[PollRow]) -> dict[uuid.UUID, tuple[dict[str, int], int]]:
    """{poll id: (results, vote_count)} for all the polls in one query, counting the votes the viewer may see."""
    tallies: dict[uuid.UUID, Counter[str]] = {poll.id: Counter() for poll in polls}
    counts: Counter[uuid.UUID] = Counter()
    if polls:
        rows = session.execute(_visible_votes(access, select(Vote.poll_id, Vote.kind, Vote.option_ids))
                               .where(Vote.poll_id.in_([poll.id for poll in polls])))
        for poll_id, kind, option_ids in rows:
            counts[poll_id] += 1
            if kind == CHOICE:
                tallies[poll_id].update(option_ids or [])
            else:
                tallies[poll_id][kind] += 1
    out = {}
    for poll in polls:
        tally = tallies[poll.id]
        results = {option["id"]: tally[option["id"]] for option in poll.options}
        results[ABSTAIN], results[VETO] = tally[ABSTAIN], tally[VETO]
        out[poll.id] = (results, counts[poll.id])
    return out


def _creators(session: Session, access: Access, polls: Sequence[PollRow]) -> dict[uuid.UUID, str]:
    """{member uuid: short id} of the members who made the polls, as far as the viewer may see them."""
    wanted = {poll.created_by for poll in polls if poll.created_by is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Member.uuid, Member.hid, Member.privacy).where(Member.uuid.in_(wanted)))
    return {member_uuid: hid for member_uuid, hid, privacy in rows if access.sees(privacy, "visibility")}


def polls_out(session: Session, access: Access, polls: Sequence[PollRow]) -> list[PollOut]:
    """A page of polls with results and creators: two queries whatever the page's size."""
    results = _results(session, access, polls)
    creators = _creators(session, access, polls)
    now = utcnow()
    out = []
    for poll in polls:
        tally, count = results[poll.id]
        out.append(PollOut(
            id=str(poll.id), title=poll.title, description=poll.description,
            options=[PollOptionOut(id=o["id"], label=o["label"], color=color_out(o.get("color")))
                     for o in poll.options],
            allow_multiple=poll.allow_multiple, allow_abstain=poll.allow_abstain, allow_veto=poll.allow_veto,
            closes_at=poll.closes_at, closed=is_closed(poll, now),
            created_by=creators.get(poll.created_by) if poll.created_by else None,
            results=tally, vote_count=count, created_at=poll.created_at))
    return out


def vote_out(vote: Vote, member_hid: str) -> VoteOut:
    return VoteOut(member_id=member_hid, option_ids=list(vote.option_ids or []), kind=vote.kind,
                   comment=vote.comment, created_at=vote.created_at)


# --- polls -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PollFilter:
    closed: bool | None = None


def list_polls(session: Session, sid: str, viewer: Principal | None, paging: PageRequest,
               filters: PollFilter) -> tuple[list[PollOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area(AREA)
    query = select(*columns(Poll)).where(Poll.system_uuid == access.system_uuid)
    if filters.closed is not None:
        ended = or_(Poll.closed.is_(True), and_(Poll.closes_at.is_not(None), Poll.closes_at <= utcnow()))
        query = query.where(ended if filters.closed else ~ended)
    rows, cursor = keyset_page(query, [Poll.created_at, Poll.id], paging, descending=True, session=session,
                               row_key=lambda row: (row.created_at, row.id))
    return polls_out(session, access, plain(rows)), cursor


def _poll(session: Session, access: Access, poll_id: uuid.UUID) -> Poll:
    return find_by_uuid(session, Poll, access.system_uuid, poll_id, "poll")


def _shown(session: Session, poll: Poll) -> events.Render:
    """The poll as GET /polls/{id} shows it to each viewer: what its events carry."""
    def render(access: Access) -> PollOut:
        access.require_area(AREA)
        return polls_out(session, access, [poll])[0]

    return render


def _shown_vote(session: Session, poll: Poll, member: Member, vote: Vote | None) -> events.Render:
    """A vote cast or withdrawn, with the poll's totals, as each viewer may see them (a hidden member's vote is
    not seen at all)."""
    def render(access: Access) -> dict[str, object]:
        access.require_area(AREA)
        visible_or_unknown(access, member, "member")
        return {"poll_id": str(poll.id), "member_id": member.hid,
                "vote": None if vote is None else vote_out(vote, member.hid).model_dump(mode="json"),
                "poll": polls_out(session, access, [poll])[0].model_dump(mode="json")}

    return render


def get_poll(session: Session, sid: str, viewer: Principal | None, poll_id: uuid.UUID) -> PollOut:
    access = read_access(session, sid, viewer)
    access.require_area(AREA)
    return polls_out(session, access, [_poll(session, access, poll_id)])[0]


def create_poll(session: Session, sid: str, principal: Principal, spec: PollCreate) -> PollOut:
    access = write_access(session, sid, principal)
    for index, option in enumerate(spec.options):
        if option.id is not None:
            raise ValidationFailed.field(f"options.{index}.id", "is assigned by the server; leave it out")
    creator = (find_in_body(session, Member, access.system_uuid, spec.created_by, "created_by", "member")
               if spec.created_by else None)
    now = utcnow()
    poll = Poll(id=uuid.uuid4(), system_uuid=access.system_uuid, title=spec.title, description=spec.description,
                options=_options(spec.options, []), allow_multiple=spec.allow_multiple,
                allow_abstain=spec.allow_abstain, allow_veto=spec.allow_veto, closes_at=spec.closes_at,
                closed=False, created_by=creator.uuid if creator else None, created_at=now, updated_at=now)
    session.add(poll)
    session.flush()
    events.record(session, access.system, "poll.created", _shown(session, poll))
    return polls_out(session, access, [poll])[0]


def update_poll(session: Session, sid: str, principal: Principal, poll_id: uuid.UUID, patch: PollPatch) -> PollOut:
    access = write_access(session, sid, principal, serialize=True)
    poll = _poll(session, access, poll_id)
    changes = patch.sent()
    if "options" in changes:
        options = _options(changes.pop("options"), poll.options)
        if options != poll.options and _votes_exist(session, poll.id):
            raise Conflict("poll_has_votes", "The options cannot change once the poll has votes "
                                             "(delete the votes, or make a new poll).")
        poll.options = options
    if changes.get("allow_multiple") is False and poll.allow_multiple and _multiple_choices(session, poll.id):
        raise Conflict("poll_has_votes", "Some votes pick several options; allow_multiple must stay on.")
    for flag, kind in (("allow_abstain", ABSTAIN), ("allow_veto", VETO)):
        if changes.get(flag) is False and getattr(poll, flag) and _votes_exist(session, poll.id, Vote.kind == kind):
            raise Conflict("poll_has_votes", f"Some votes are {kind} votes; {flag} must stay on.")
    apply_patch(poll, changes)
    poll.updated_at = utcnow()
    session.flush()
    events.record(session, access.system, "poll.updated", _shown(session, poll))
    return polls_out(session, access, [poll])[0]


def close_poll(session: Session, sid: str, principal: Principal, poll_id: uuid.UUID) -> PollOut:
    access = write_access(session, sid, principal, serialize=True)
    poll = _poll(session, access, poll_id)
    if not poll.closed:
        poll.closed = True
        poll.updated_at = utcnow()
        session.flush()
        events.record(session, access.system, "poll.updated", _shown(session, poll))
    return polls_out(session, access, [poll])[0]


def delete_poll(session: Session, sid: str, principal: Principal, poll_id: uuid.UUID) -> None:
    access = write_access(session, sid, principal, serialize=True)
    poll = _poll(session, access, poll_id)
    events.record(session, access.system, "poll.deleted", _shown(session, poll))
    session.delete(poll)  # its votes cascade in the database


# --- votes -----------------------------------------------------------------------------------------------------

def list_votes(session: Session, sid: str, viewer: Principal | None, poll_id: uuid.UUID,
               paging: PageRequest) -> tuple[list[VoteOut], str | None]:
    """Votes oldest first (a re-vote counts from its own time); private members' votes only for the owner."""
    access = read_access(session, sid, viewer)
    access.require_area(AREA)
    poll = _poll(session, access, poll_id)
    query = _visible_votes(access, select(Vote, Member.hid)).where(Vote.poll_id == poll.id)
    rows, cursor = keyset_page(query, [Vote.created_at, Vote.member_uuid], paging, descending=False,
                               session=session, row_key=lambda row: (row[0].created_at, row[0].member_uuid))
    return [vote_out(vote, hid) for vote, hid in rows], cursor


def cast_vote(session: Session, sid: str, principal: Principal, poll_id: uuid.UUID,
              spec: VoteIn) -> tuple[VoteOut, bool]:
    """(the vote, whether it is new): a member's earlier vote in the poll is replaced."""
    access = write_access(session, sid, principal, serialize=True)
    poll = _poll(session, access, poll_id)
    _require_open(poll)
    member = find_in_body(session, Member, access.system_uuid, spec.member_id, "member_id", "member")
    option_ids = _check_vote(poll, spec)
    now = utcnow()
    vote = session.get(Vote, (poll.id, member.uuid))
    created = vote is None
    if vote is None:
        vote = Vote(poll_id=poll.id, member_uuid=member.uuid)
        session.add(vote)
    vote.option_ids, vote.kind, vote.comment, vote.created_at = option_ids, spec.kind, spec.comment, now
    session.flush()
    events.record(session, access.system, "poll.voted", _shown_vote(session, poll, member, vote))
    return vote_out(vote, member.hid), created


def delete_vote(session: Session, sid: str, principal: Principal, poll_id: uuid.UUID, member_id: str) -> None:
    access = write_access(session, sid, principal, serialize=True)
    poll = _poll(session, access, poll_id)
    member = find_by_public_id(session, Member, access.system_uuid, member_id, "member")
    _require_open(poll)
    # A DELETE answers with a cursor result, which has the row count.
    removed = cast(CursorResult[Any],
                   session.execute(delete(Vote).where(Vote.poll_id == poll.id, Vote.member_uuid == member.uuid)))
    if removed.rowcount == 0:
        raise NotFound("This member has not voted in this poll.")
    events.record(session, access.system, "poll.vote_deleted", _shown_vote(session, poll, member, None))

"""Thought of the day.

Each `PUT /thought` adds a thought dated with the system's local date at that moment (from the system's timezone,
so a thought set at 23:30 in Tokyo belongs to that Tokyo day even though it is still the afternoon in UTC);
`GET /thought` is the latest thought of the system's current local day. The clock is a parameter (`now`,
default the real time) so the day boundary can be tested deterministically.

Privacy: viewers other than the owner need the system's `thoughts` area public (403 otherwise); for them a
thought written by a member whose visibility is private does not exist (left out of lists; `GET /thought` shows
the latest thought of the day they may see).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ..auth.principal import Principal
from ..events import service as events
from ..identity.system import System
from ..kit.pagination import PageRequest, keyset_page
from ..kit.privacy import visible
from ..kit.timeutil import utcnow
from ..members.models import Member
from ..systems.access import Access, find_by_uuid, find_in_body, read_access, visible_or_unknown, write_access
from .models import Thought
from .schemas import ThoughtOut, ThoughtSet

AREA = "thoughts"


def zone_of(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def local_date(moment: datetime, timezone: str | None) -> str:
    """The calendar date (YYYY-MM-DD) that `moment` falls on in `timezone` (an IANA name; unknown = UTC)."""
    return moment.astimezone(zone_of(timezone)).date().isoformat()


def system_today(system: System, now: datetime | None = None) -> str:
    return local_date(now or utcnow(), system.timezone)


def thought_out(thought: Thought, member_hid: str | None) -> ThoughtOut:
    return ThoughtOut(id=str(thought.id), text=thought.text, member_id=member_hid, date=thought.date,
                      created_at=thought.created_at)


def _visible(access: Access) -> Select[tuple[Thought, str]]:
    """This system's thoughts with their member's short id, as far as the viewer may see them: for anyone but the
    owner, a thought written by a member whose visibility is private is left out (thoughts by no member stay)."""
    query = (select(Thought, Member.hid).outerjoin(Member, Member.uuid == Thought.member_uuid)
             .where(Thought.system_uuid == access.system_uuid))
    if not access.owner:
        query = query.where(or_(Thought.member_uuid.is_(None), visible(Member.privacy)))
    return query


def _shown(thought: Thought, member: Member | None) -> events.Render:
    """The thought as the thoughts list shows it to each viewer (a hidden member's thought is not shown)."""
    def render(access: Access) -> ThoughtOut:
        access.require_area(AREA)
        if member is not None:
            visible_or_unknown(access, member, "thought")
        return thought_out(thought, member.hid if member else None)

    return render


def today_thought(session: Session, sid: str, viewer: Principal | None,
                  now: datetime | None = None) -> ThoughtOut | None:
    access = read_access(session, sid, viewer)
    access.require_area(AREA)
    today = system_today(access.system, now)
    row = session.execute(_visible(access).where(Thought.date == today)
                          .order_by(Thought.created_at.desc(), Thought.id.desc()).limit(1)).first()
    return thought_out(*row) if row else None


def set_thought(session: Session, sid: str, principal: Principal, spec: ThoughtSet,
                now: datetime | None = None) -> ThoughtOut:
    access = write_access(session, sid, principal)
    member = None
    if spec.member_id is not None:
        member = find_in_body(session, Member, access.system_uuid, spec.member_id, "member_id", "member")
    now = now or utcnow()
    thought = Thought(id=uuid.uuid4(), system_uuid=access.system_uuid, member_uuid=member.uuid if member else None,
                      text=spec.text, date=system_today(access.system, now), created_at=now)
    session.add(thought)
    session.flush()
    events.record(session, access.system, "thought.set", _shown(thought, member))
    return thought_out(thought, member.hid if member else None)


def list_thoughts(session: Session, sid: str, viewer: Principal | None, paging: PageRequest,
                  day: str | None) -> tuple[list[ThoughtOut], str | None]:
    access = read_access(session, sid, viewer)
    access.require_area(AREA)
    query = _visible(access)
    if day is not None:
        query = query.where(Thought.date == day)
    rows, cursor = keyset_page(query, [Thought.created_at, Thought.id], paging, descending=True, session=session,
                               row_key=lambda row: (row[0].created_at, row[0].id))
    return [thought_out(*row) for row in rows], cursor


def delete_thought(session: Session, sid: str, principal: Principal, thought_id: uuid.UUID) -> None:
    access = write_access(session, sid, principal)
    thought = find_by_uuid(session, Thought, access.system_uuid, thought_id, "thought")
    member = session.get(Member, thought.member_uuid) if thought.member_uuid else None
    events.record(session, access.system, "thought.deleted", _shown(thought, member))
    session.delete(thought)

"""The History pages: the fronts of one day in the system's time zone (who fronted with whom), filtered by member;
editing, deleting and back-dating a front."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from ..auth.principal import Principal
from ..fronts import service as fronts
from ..fronts.schemas import FrontCreate, FrontOut, FrontPatch
from ..kit.errors import ApiError
from ..kit.pagination import MAX_LIMIT, PageRequest
from ..kit.timeutil import utcnow
from ..members import service as members
from ..members.schemas import MemberOut
from .pages import LOCAL_INPUT, Problems, Visit, form_visit, page_visit, parse_local, problems_of, see_other, uuid_of

router = APIRouter(include_in_schema=False)

MOST_FRONTS_A_DAY = 1_000  # pages of the API's list, read until the day is complete or this many are shown
NONE: frozenset[str] = frozenset()
WITH_MEMBER = frozenset({"member"})


@dataclass
class Shown:
    front: FrontOut
    with_: list[MemberOut]  # who fronted alongside at some time during this front


@dataclass
class Day:
    day: date
    fronts: list[Shown]
    members: list[MemberOut]
    complete: bool


def _day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    return datetime.combine(day, time(), zone), datetime.combine(day + timedelta(days=1), time(), zone)


def day_view(session: Session, sid: str, principal: Principal, day: date, zone: tzinfo, member: str | None) -> Day:
    since, until = _day_bounds(day, zone)
    everyone, _ = members.list_members(session, sid, principal, PageRequest(MAX_LIMIT, None), members.ListFilter(),
                                       NONE)
    shown: list[FrontOut] = []
    cursor = None
    while len(shown) < MOST_FRONTS_A_DAY:
        found, cursor = fronts.list_fronts(session, sid, principal, PageRequest(MAX_LIMIT, cursor),
                                           fronts.FrontFilter(member=member, since=since, until=until), WITH_MEMBER)
        shown += found
        if cursor is None:
            break
    shown.reverse()  # oldest first, as a day is read
    if member is None:
        everybody = shown
    else:  # co-fronters of this member's fronts: everyone's fronts of the day
        everybody, _ = fronts.list_fronts(session, sid, principal, PageRequest(MAX_LIMIT, None),
                                          fronts.FrontFilter(since=since, until=until), WITH_MEMBER)
    now = utcnow()
    return Day(day, [Shown(front, [other.member for other in everybody if other.id != front.id
                                   and other.member is not None and other.member_id != front.member_id
                                   and other.started_at < (front.ended_at or now)
                                   and front.started_at < (other.ended_at or now)])
                     for front in shown], everyone, cursor is None)


@router.get("/history")
async def history_page(request: Request) -> Response:
    visit = await page_visit(request)
    return await _page(visit)


async def _page(visit: Visit, status: int = 200, problems: Problems | None = None) -> Response:
    query = visit.request.query_params
    today = utcnow().astimezone(visit.zone).date()
    try:
        day = date.fromisoformat(query.get("day", "")) if query.get("day") else today
    except ValueError:
        day = today
    member = query.get("member", "")[:64] or None
    view = await visit.read(day_view, day, visit.zone, member)
    values: dict[str, Any] = {"started_at": "", "ended_at": "", "comment": "", "member_id": member or ""}
    if problems and visit.form is not None:
        values.update({key: visit.field(key) for key in values})
    return visit.page("history.html", status, view=view, member=member, problems=problems, values=values,
                      previous=day - timedelta(days=1), next=day + timedelta(days=1) if day < today else None)


def _times(visit: Visit) -> dict[str, Any]:
    """The form's start and end in the system's zone; a blank end means still fronting."""
    ended = visit.field("ended_at")
    return {"started_at": parse_local(visit.field("started_at"), visit.zone),
            "ended_at": parse_local(ended, visit.zone) if ended else None, "comment": visit.field("comment") or None}


def _day_of(moment: datetime, visit: Visit) -> str:
    return f"/history?day={moment.astimezone(visit.zone).date().isoformat()}"


@router.post("/history/fronts/new")
async def backdate_front(request: Request) -> Response:
    """A front that happened earlier (or is still going), added to the history."""
    visit = await form_visit(request)
    try:
        created = await visit.write(fronts.create_front, FrontCreate.model_validate(
            {"member_id": visit.field("member_id"), **_times(visit)}))
    except (ValidationError, ApiError) as refused:
        return await _page(visit, getattr(refused, "status", 422), problems_of(refused))
    return see_other(_day_of(created.started_at, visit))


def one_front(session: Session, sid: str, principal: Principal, front_id: uuid.UUID) -> FrontOut:
    return fronts.get_front(session, sid, principal, front_id, WITH_MEMBER)


async def _edit_page(visit: Visit, front_id: uuid.UUID, status: int = 200,
                     problems: Problems | None = None) -> Response:
    front = await visit.read(one_front, front_id)
    if problems and visit.form is not None:
        values = {key: visit.field(key) for key in ("started_at", "ended_at", "comment")}
    else:
        values = {"started_at": front.started_at.astimezone(visit.zone).strftime(LOCAL_INPUT),
                  "ended_at": front.ended_at.astimezone(visit.zone).strftime(LOCAL_INPUT) if front.ended_at else "",
                  "comment": front.comment or ""}
    return visit.page("front_edit.html", status, front=front, values=values, problems=problems)


@router.get("/history/fronts/{front_id}/edit")
async def edit_front_page(front_id: str, request: Request) -> Response:
    return await _edit_page(await page_visit(request), uuid_of(front_id, "front"))


@router.post("/history/fronts/{front_id}/edit")
async def edit_front(front_id: str, request: Request) -> Response:
    visit = await form_visit(request)
    target = uuid_of(front_id, "front")
    try:
        saved = await visit.write(fronts.update_front, target, FrontPatch.model_validate(_times(visit)))
    except (ValidationError, ApiError) as refused:
        return await _edit_page(visit, target, getattr(refused, "status", 422), problems_of(refused))
    return see_other(_day_of(saved.started_at, visit))


@router.get("/history/fronts/{front_id}/delete")
async def delete_front_page(front_id: str, request: Request) -> Response:
    visit = await page_visit(request)
    return visit.page("front_delete.html", front=await visit.read(one_front, uuid_of(front_id, "front")))


@router.post("/history/fronts/{front_id}/delete")
async def delete_front(front_id: str, request: Request) -> Response:
    visit = await form_visit(request)
    target = uuid_of(front_id, "front")
    front = await visit.read(one_front, target)
    await visit.write(fronts.delete_front, target)
    return see_other(_day_of(front.started_at, visit))

"""The Front page (`/`, the home page after signing in): who is fronting now, one tap to switch or add a
co-fronter, end a front, set its comment; the recent switches and the thought of the day."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from ..auth.principal import Principal
from ..fronts import service as fronts
from ..fronts.schemas import FrontCreate, FrontEnd, FrontersReplace, FrontOut, FrontPatch, SwitchOut
from ..kit.errors import ApiError
from ..kit.pagination import PageRequest
from ..members import service as members
from ..members.schemas import MemberOut
from ..thoughts import service as thoughts
from ..thoughts.schemas import ThoughtOut
from .pages import Problems, Visit, form_visit, page_visit, problems_of, see_other, uuid_of

router = APIRouter(include_in_schema=False)

RECENT_SWITCHES = 10
CHOICES = 48  # members offered to tap; more are found by the search
NO_INCLUDES: frozenset[str] = frozenset()
CHOSEN = {"member_ids": "member", "member_id": "member"}  # the member tapped, whichever body names it


@dataclass
class FrontView:
    fronters: list[FrontOut]
    choices: list[MemberOut]  # members to switch to: not archived, matching the search
    more_choices: bool
    switches: list[tuple[SwitchOut, list[MemberOut]]]
    thought: ThoughtOut | None
    thought_by: MemberOut | None


def front_view(session: Session, sid: str, principal: Principal, search: str | None) -> FrontView:
    """Everything the page shows, read in one unit of work."""
    fronters = fronts.current_fronters(session, sid, principal)
    choices, cursor = members.list_members(session, sid, principal, PageRequest(CHOICES, None),
                                           members.ListFilter(archived=False, q=search or None), NO_INCLUDES)
    switches, _ = fronts.list_switches(session, sid, principal, None, RECENT_SWITCHES)
    thought = thoughts.today_thought(session, sid, principal)
    known = {member.id: member for member in choices}
    known.update({front.member.id: front.member for front in fronters if front.member is not None})

    def member(mid: str) -> MemberOut:
        if mid not in known:
            known[mid] = members.get_member(session, sid, principal, mid, NO_INCLUDES)
        return known[mid]

    return FrontView(fronters, choices, cursor is not None,
                     [(switch, [member(mid) for mid in switch.member_ids]) for switch in switches], thought,
                     member(thought.member_id) if thought and thought.member_id else None)


async def _page(visit: Visit, status: int = 200, problems: Problems | None = None) -> Response:
    search = visit.request.query_params.get("q", "")[:100]
    view = await visit.read(front_view, search)
    return visit.page("front.html", status, view=view, search=search, problems=problems)


@router.get("/")
async def front_page(request: Request) -> Response:
    return await _page(await page_visit(request))


async def _change(visit: Visit, fn: object, *args: object, names: dict[str, str] | None = None) -> Response:
    """Runs a change of the fronts, then back to the page; a refusal shows the page again with why."""
    try:
        await visit.write(fn, *args)  # type: ignore[arg-type]
    except ApiError as refused:
        return await _page(visit, refused.status, problems_of(refused, names))
    return see_other("/")


@router.post("/front/switch")
async def switch(request: Request) -> Response:
    """Only this member fronts from now on."""
    visit = await form_visit(request)
    try:
        spec = FrontersReplace(member_ids=[visit.field("member_id")])
    except ValidationError as invalid:
        return await _page(visit, 422, problems_of(invalid, CHOSEN))
    return await _change(visit, fronts.replace_fronters, spec, names=CHOSEN)


@router.post("/front/add")
async def add_cofronter(request: Request) -> Response:
    """This member fronts too, beside whoever fronts already."""
    visit = await form_visit(request)
    try:
        spec = FrontCreate(member_id=visit.field("member_id"))
    except ValidationError as invalid:
        return await _page(visit, 422, problems_of(invalid, CHOSEN))
    return await _change(visit, fronts.create_front, spec, names=CHOSEN)


@router.post("/front/{front_id}/end")
async def end(front_id: str, request: Request) -> Response:
    visit = await form_visit(request)
    target = uuid_of(front_id, "front")
    return await _change(visit, fronts.end_front, target, FrontEnd())


@router.post("/front/{front_id}/comment")
async def comment(front_id: str, request: Request) -> Response:
    visit = await form_visit(request)
    target = uuid_of(front_id, "front")
    names = {"comment": f"comment-{front_id}"}
    try:
        patch = FrontPatch(comment=visit.field("comment") or None)
    except ValidationError as invalid:
        return await _page(visit, 422, problems_of(invalid, names))
    return await _change(visit, fronts.update_front, target, patch, names=names)

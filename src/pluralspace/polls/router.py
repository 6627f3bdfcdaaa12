"""`/api/v1/systems/{sid}/polls` and their votes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ..auth.dependencies import Requires, Viewer
from ..auth.principal import Principal
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.openapi import errors
from ..kit.pagination import PageRequest, page_params
from ..state import app_state
from ..systems.params import SystemId
from . import service
from .schemas import PollCreate, PollOut, PollPatch, VoteIn, VoteOut

router = APIRouter(prefix="/api/v1/systems/{sid}/polls", tags=["polls"])
Reader = Annotated[Principal | None, Viewer("polls:read")]
Writer = Annotated[Principal, Requires("polls:write")]
Paging = Annotated[PageRequest, Depends(page_params)]
PollId = Annotated[uuid.UUID, Path(description="The poll's id (a UUID).")]
MemberId = Annotated[str, Path(max_length=64, description="Short id or uuid of the member.")]


async def poll_filter(
    closed: Annotated[bool | None, Query(description="Only closed (true) or only open (false) polls.")] = None,
) -> service.PollFilter:
    return service.PollFilter(closed=closed)


@router.get("", response_model=Page[PollOut],
            summary="Polls, newest first, with results (needs polls public for other viewers)")
async def list_polls(sid: SystemId, viewer: Reader, request: Request, paging: Paging,
                     filters: Annotated[service.PollFilter, Depends(poll_filter)]) -> Page[Any]:
    polls, cursor = await app_state(request).database.read(service.list_polls, sid, viewer, paging, filters)
    return page(polls, paging.limit, cursor)


@router.post("", status_code=201, response_model=Envelope[PollOut],
             summary="Make a poll (2..50 options; option ids are assigned by the server)")
async def create_poll(sid: SystemId, body: PollCreate, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.create_poll, sid, principal, body))


@router.get("/{poll_id}", response_model=Envelope[PollOut],
            summary="A poll with its results")
async def get_poll(sid: SystemId, poll_id: PollId, viewer: Reader, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(service.get_poll, sid, viewer, poll_id))


@router.patch("/{poll_id}", response_model=Envelope[PollOut], responses=errors(409),
              summary="Change a poll: only the keys sent; 409 poll_has_votes when votes depend on what changes",
              description="`options` replaces the list: keep an option by sending its `id`, leave the id out for "
                          "a new one. Once the poll has votes its options cannot change, and `allow_multiple`, "
                          "`allow_abstain` and `allow_veto` cannot be turned off while votes use them "
                          "(409 `poll_has_votes`). A closed poll can still be edited; a later `closes_at` reopens "
                          "a poll that closed by time, not one closed with `POST .../close`.")
async def update_poll(sid: SystemId, poll_id: PollId, body: PollPatch, principal: Writer,
                      request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.update_poll, sid, principal, poll_id, body))


@router.delete("/{poll_id}", status_code=204, response_class=Response,
               summary="Delete a poll with its votes")
async def delete_poll(sid: SystemId, poll_id: PollId, principal: Writer, request: Request) -> Response:
    await app_state(request).database.write(service.delete_poll, sid, principal, poll_id)
    return Response(status_code=204)


@router.post("/{poll_id}/close", response_model=Envelope[PollOut],
             summary="Close a poll now (idempotent: closing a closed poll answers 200 with it)")
async def close_poll(sid: SystemId, poll_id: PollId, principal: Writer, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.write(service.close_poll, sid, principal, poll_id))


@router.get("/{poll_id}/votes", response_model=Page[VoteOut],
            summary="A poll's votes, oldest first",
            description="Other viewers do not see the votes of members whose visibility is private (they are "
                        "still counted in the poll's results).")
async def list_votes(sid: SystemId, poll_id: PollId, viewer: Reader, request: Request, paging: Paging) -> Page[Any]:
    votes, cursor = await app_state(request).database.read(service.list_votes, sid, viewer, poll_id, paging)
    return page(votes, paging.limit, cursor)


@router.post("/{poll_id}/votes", status_code=201, response_model=Envelope[VoteOut],
             responses={200: {"model": Envelope[VoteOut], "description": "The member's earlier vote was replaced"},
                        **errors(409)},
             summary="Vote for a member: 201 for a first vote, 200 when it replaces the member's earlier vote",
             description="One vote per member per poll; voting again replaces the vote (with a new `created_at`). "
                         "`kind: choice` needs 1 option id, or several when `allow_multiple`; `abstain` and "
                         "`veto` carry no options and need `allow_abstain` / `allow_veto`. The member must belong "
                         "to the poll's system (422 on `member_id`). A closed poll is 409 `poll_closed`.")
async def cast_vote(sid: SystemId, poll_id: PollId, body: VoteIn, principal: Writer, request: Request,
                    response: Response) -> Envelope[Any]:
    vote, created = await app_state(request).database.write(service.cast_vote, sid, principal, poll_id, body)
    response.status_code = 201 if created else 200
    return ok(vote)


@router.delete("/{poll_id}/votes/{member_id}", status_code=204, response_class=Response,
               responses=errors(409),
               summary="Remove a member's vote (409 poll_closed on a closed poll)")
async def delete_vote(sid: SystemId, poll_id: PollId, member_id: MemberId, principal: Writer,
                      request: Request) -> Response:
    await app_state(request).database.write(service.delete_vote, sid, principal, poll_id, member_id)
    return Response(status_code=204)

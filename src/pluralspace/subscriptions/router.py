"""`/api/v1/systems/{sid}/events` (Server-Sent Events) and `/api/v1/me/webhooks`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sse_starlette.event import ServerSentEvent
from sse_starlette.sse import EventSourceResponse

from ..auth.dependencies import Requires, Viewer, bearer_token
from ..auth.principal import Principal, find_principal
from ..events import service
from ..events.fanout import Published
from ..events.schemas import DeliveryOut, WebhookCreate, WebhookCreated, WebhookOut, WebhookPatch
from ..kit.crypto import token_hash
from ..kit.envelope import Envelope, Page, ok, page
from ..kit.errors import AccountDisabled, ApiError, InsufficientScope, ValidationFailed
from ..kit.openapi import errors
from ..kit.pagination import PageRequest, page_params
from ..kit.validators import comma_list
from ..state import app_state
from ..systems.access import read_access
from ..systems.params import SystemId
from . import delivery, webhooks

router = APIRouter(tags=["events"])
Manager = Annotated[Principal, Requires("webhooks")]
CATCH_UP_PAGE = 500
CAUGHT_UP = "caught up"


def _last_event_id(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 18:
        raise ValidationFailed.field("Last-Event-ID", "must be the id of an event this stream sent")
    return int(raw.strip())


def _audience(principal: Principal | None, owner: bool, wanted: frozenset[str] | None) -> service.Audience:
    """The owner sees the types their token's scopes read; anyone else the public renderings of the types their
    token (if any) reads. `?types=` asks for some types only; asking for a type the token cannot read is 403, as is
    a token that reads none at all."""
    if principal is None:
        return service.Audience(owner=owner, types=wanted or frozenset(service.EVENT_TYPES))
    needed = {service.EVENT_SCOPES[t] for t in wanted} if wanted is not None else set(service.EVENT_SCOPES.values())
    readable = service.readable_types(principal.scopes)
    missing = sorted(needed - principal.scopes) if wanted is not None else ([] if readable else sorted(needed))
    if missing:
        raise InsufficientScope(required=missing, granted=list(principal.granted))
    return service.Audience(owner=owner, types=readable & wanted if wanted is not None else readable)


def _sse(event_id: int, event_type: str, data: str) -> ServerSentEvent:
    return ServerSentEvent(data=data, id=str(event_id), event=event_type)


@router.get("/api/v1/systems/{sid}/events", response_class=EventSourceResponse,
            summary="Live events (Server-Sent Events); other viewers get only what privacy shows them")
async def stream_events(
    sid: SystemId, viewer: Annotated[Principal | None, Viewer()], request: Request,
    types: Annotated[str | None, Query(max_length=1000, description="Comma-separated types or `area.*`.",
                                       json_schema_extra={"pattern": comma_list(service.TYPE_NAMES,
                                                                                skips_empty=False)})] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", description="Resume after this event.")]
    = None,
) -> EventSourceResponse:
    state = app_state(request)
    after = _last_event_id(last_event_id)
    wanted = service.parse_types(types)
    access = await state.database.read(read_access, sid, viewer)
    audience = _audience(viewer, access.owner, wanted)
    system_uuid, system_hid = access.system_uuid, access.system.hid
    hub = state.events
    token = bearer_token(request)
    credential = token_hash(state.settings.secret_key, token) if token is not None else None
    every = state.settings.events_heartbeat_seconds

    async def credential_holds() -> bool:
        """A stream outlives no token: one revoked, expired or of a disabled account ends it."""
        try:
            return (credential is None
                    or await find_principal(state.database, credential, state.clock.now()) is not None)
        except AccountDisabled:
            return False
        except ApiError:
            return True  # the database is away for a moment: the token is asked again next time

    subscription = hub.subscribe(system_uuid, audience.types)  # before the catch-up, so nothing falls between the two

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            sent: set[int] = set()
            cursor = after
            while cursor is not None:
                rows = await state.database.read(service.events_after, system_uuid, cursor, CATCH_UP_PAGE)
                for row in rows:
                    sent.add(row.id)
                    shown = audience.shown(row, system_hid)
                    if shown is not None:
                        yield _sse(row.id, row.type, json.dumps(shown, separators=(",", ":")))
                cursor = rows[-1].id if len(rows) == CATCH_UP_PAGE else None
            if after is not None:
                yield ServerSentEvent(comment=CAUGHT_UP)  # what follows is live
            checked = time.monotonic()
            while True:
                published: Published | None = None
                with contextlib.suppress(TimeoutError):
                    published = await asyncio.wait_for(subscription.queue.get(), every)
                if time.monotonic() - checked >= every:
                    if not await credential_holds():
                        return
                    checked = time.monotonic()
                if published is None or published.event.id in sent:
                    continue
                data = published.encoded(audience, system_hid)
                if data is not None:
                    yield _sse(published.event.id, published.event.type, data)
                if subscription.overflowed and subscription.queue.empty():
                    return  # fell too far behind: the client reconnects with Last-Event-ID and catches up
        finally:
            hub.unsubscribe(subscription)

    return EventSourceResponse(events(), ping=state.settings.events_heartbeat_seconds,
                               headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# --- webhooks ------------------------------------------------------------------------------------------------

hooks = APIRouter(prefix="/api/v1/me/webhooks", tags=["webhooks"])


async def _checked_url(request: Request, url: str) -> None:
    try:
        await delivery.resolve(url, app_state(request).settings.webhook_allow_private)
    except delivery.Refused as refused:
        raise ValidationFailed.field("url", str(refused)) from None


@hooks.get("", response_model=Page[WebhookOut], summary="Your webhooks")
async def list_webhooks(principal: Manager, request: Request,
                        paging: Annotated[PageRequest, Depends(page_params)]) -> Page[Any]:
    items, cursor = await app_state(request).database.read(webhooks.list_webhooks, principal, paging)
    return page(items, paging.limit, cursor)


@hooks.post("", status_code=201, response_model=Envelope[WebhookCreated], responses=errors(409),
            summary="Add a webhook (its signing secret is shown once)")
async def create_webhook(body: WebhookCreate, principal: Manager, request: Request) -> Envelope[Any]:
    await _checked_url(request, body.url)
    return ok(await app_state(request).database.write(webhooks.create_webhook, principal, body))


@hooks.get("/{webhook_id}", response_model=Envelope[WebhookOut],
           summary="A webhook")
async def get_webhook(webhook_id: uuid.UUID, principal: Manager, request: Request) -> Envelope[Any]:
    return ok(await app_state(request).database.read(webhooks.get_webhook, principal, webhook_id))


@hooks.patch("/{webhook_id}", response_model=Envelope[WebhookOut],
             summary="Change a webhook; active=true re-enables one the server disabled")
async def update_webhook(webhook_id: uuid.UUID, body: WebhookPatch, principal: Manager,
                         request: Request) -> Envelope[Any]:
    if body.url is not None:
        await _checked_url(request, body.url)
    state = app_state(request)
    result = await state.database.write(webhooks.update_webhook, principal, webhook_id, body)
    state.jobs.wake()
    return ok(result)


@hooks.delete("/{webhook_id}", status_code=204, response_class=Response,
              summary="Delete a webhook and its delivery log")
async def delete_webhook(webhook_id: uuid.UUID, principal: Manager, request: Request) -> Response:
    await app_state(request).database.write(webhooks.delete_webhook, principal, webhook_id)
    return Response(status_code=204)


@hooks.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut],
           summary="A webhook's deliveries, newest first, with status and latency")
async def list_deliveries(webhook_id: uuid.UUID, principal: Manager, request: Request,
                          paging: Annotated[PageRequest, Depends(page_params)]) -> Page[Any]:
    items, cursor = await app_state(request).database.read(webhooks.list_deliveries, principal, webhook_id, paging)
    return page(items, paging.limit, cursor)


@hooks.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202,
            response_model=Envelope[DeliveryOut],
            summary="Send a delivery's event again (a new delivery, queued)")
async def redeliver(webhook_id: uuid.UUID, delivery_id: uuid.UUID, principal: Manager,
                    request: Request) -> Envelope[Any]:
    state = app_state(request)
    result = await state.database.write(webhooks.redeliver, principal, webhook_id, delivery_id)
    state.jobs.wake()
    return ok(result)



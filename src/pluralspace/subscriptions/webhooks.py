"""Webhooks: what the owner manages, and the bookkeeping of deliveries (the sending is in delivery.py).

Deliveries are made by the job queue (jobs/), one job per webhook at a time (its lane, `webhook:<id>`): the job
sends the webhook's pending deliveries oldest event first, so a receiver gets a system's events in order; when a
delivery fails, the job ends and a new one is queued for the time of the next try (exponential backoff), which holds
back the deliveries behind it. A delivery is retried for `retry_window` (a day by default); a webhook whose
deliveries failed that long without a success is disabled, with the reason shown to its owner.

Deliveries are created off the request path: `dispatch` turns events not yet dispatched into pending deliveries for
the active webhooks that asked for their type. A write only ever inserts its event.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..auth import scopes as scope_set
from ..auth.principal import Principal
from ..events.models import Delivery, Event, Webhook
from ..events.schemas import DeliveryOut, WebhookCreate, WebhookCreated, WebhookOut, WebhookPatch
from ..events.service import EVENT_SCOPES, event_out
from ..identity.account import Account
from ..identity.credential import SESSION, Credential
from ..identity.system import System
from ..jobs import service as jobs
from ..jobs.models import PENDING, Job
from ..kit.errors import Conflict, InsufficientScope, NotFound
from ..kit.pagination import PageRequest, keyset_page
from ..kit.timeutil import format_timestamp, utcnow

KIND = "webhook"
STANDARD = "standard"
MAX_WEBHOOKS = 20
SECRET_PREFIX = "whsec_"
MAX_BACKOFF = timedelta(minutes=15)
DISPATCH_BATCH = 200
PING = "webhook.ping"  # a stored event that is no event type: a new webhook's test delivery


def lane(webhook_id: uuid.UUID) -> str:
    return f"{KIND}:{webhook_id}"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def webhook_out(webhook: Webhook) -> WebhookOut:
    return WebhookOut(id=str(webhook.id), url=webhook.url, event_types=list(webhook.event_types),
                      active=webhook.active, disabled_reason=webhook.disabled_reason,
                      failing_since=webhook.failing_since, created_at=webhook.created_at,
                      updated_at=webhook.updated_at)


def delivery_out(delivery: Delivery, event_type: str) -> DeliveryOut:
    return DeliveryOut(id=str(delivery.id), event_id=str(delivery.event_id), event_type=event_type,
                       status=delivery.status, attempts=delivery.attempts, response_status=delivery.response_status,
                       error=delivery.error, latency_ms=delivery.latency_ms, created_at=delivery.created_at,
                       last_attempt_at=delivery.last_attempt_at, next_attempt_at=delivery.next_attempt_at)


def _require_readable(principal: Principal, types: list[str]) -> None:
    """A webhook may only ask for the event types its creator's credential can read."""
    missing = sorted({EVENT_SCOPES[t] for t in types} - principal.scopes)
    if missing:
        raise InsufficientScope(required=missing, granted=list(principal.granted))


def standard_body(_session: Session, _webhook: Webhook, event: Event, system_hid: str) -> dict[str, Any] | None:
    """A Standard Webhooks delivery's body: the event as the owner's stream shows it."""
    return event_out(event, system_hid, event.owner_data)


Body = Callable[[Session, Webhook, Event, str], dict[str, Any] | None]
"""How a webhook format writes an event as a delivery's body; None when the format has nothing to send for it."""


def _own(session: Session, principal: Principal, webhook_id: uuid.UUID) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or webhook.system_uuid != principal.system_uuid or webhook.format != STANDARD:
        raise NotFound("No such webhook.")
    return webhook


def list_webhooks(session: Session, principal: Principal, paging: PageRequest) -> tuple[list[WebhookOut], str | None]:
    query = select(Webhook).where(Webhook.system_uuid == principal.system_uuid, Webhook.format == STANDARD)
    rows, cursor = keyset_page(query, [Webhook.created_at, Webhook.id], paging, descending=False, session=session,
                               row_key=lambda row: (row[0].created_at, row[0].id))
    return [webhook_out(row[0]) for row in rows], cursor


def get_webhook(session: Session, principal: Principal, webhook_id: uuid.UUID) -> WebhookOut:
    return webhook_out(_own(session, principal, webhook_id))


def create_webhook(session: Session, principal: Principal, spec: WebhookCreate) -> WebhookCreated:
    _require_readable(principal, spec.event_types)
    count = session.execute(select(func.count()).select_from(Webhook)
                            .where(Webhook.system_uuid == principal.system_uuid)).scalar_one()
    if count >= MAX_WEBHOOKS:
        raise Conflict("webhook_limit", f"A system has at most {MAX_WEBHOOKS} webhooks; delete one first.")
    now = utcnow()
    webhook = Webhook(id=uuid.uuid4(), system_uuid=principal.system_uuid, format=STANDARD, url=spec.url,
                      event_types=spec.event_types, secret=new_secret(), active=spec.active,
                      credential_family_id=principal.family_id, credential_kind=principal.kind,
                      created_at=now, updated_at=now)
    session.add(webhook)
    session.flush()
    return WebhookCreated(**webhook_out(webhook).model_dump(), secret=webhook.secret)


def update_webhook(session: Session, principal: Principal, webhook_id: uuid.UUID,
                   patch: WebhookPatch) -> WebhookOut:
    webhook = _own(session, principal, webhook_id)
    changes = {key: value for key, value in patch.sent().items() if value is not None}
    if "event_types" in changes:
        _require_readable(principal, changes["event_types"])
    for key, value in changes.items():
        setattr(webhook, key, value)
    if changes.get("active"):
        # Turned on again by its owner: the failure streak that disabled it starts over, and what waits is sent.
        webhook.disabled_reason, webhook.failing_since = None, None
        ensure_job(session, webhook)
    webhook.updated_at = utcnow()
    return webhook_out(webhook)


def delete_webhook(session: Session, principal: Principal, webhook_id: uuid.UUID) -> None:
    session.delete(_own(session, principal, webhook_id))  # its deliveries cascade in the database


def dispatch_webhook(session: Session, system_uuid: uuid.UUID, webhook_format: str) -> Webhook | None:
    """The system's webhook of another format than ours (at most one each: PluralKit's dispatch URL)."""
    return session.execute(select(Webhook).where(Webhook.system_uuid == system_uuid,
                                                 Webhook.format == webhook_format)).scalar_one_or_none()


def set_dispatch_webhook(session: Session, principal: Principal, webhook_format: str, url: str | None,
                         secret: str | None, event_types: list[str]) -> None:
    """Replaces the system's webhook of `webhook_format` (with its delivery log) by one to `url`, or by none. A
    new one gets a PING first: a delivery like the others, so it is retried until the receiver accepts it (it
    may learn its secret from this very response) and the events after it wait their turn."""
    old = dispatch_webhook(session, principal.system_uuid, webhook_format)
    if old is not None:
        session.delete(old)
        session.flush()
    if url is None or secret is None:
        return
    now = utcnow()
    webhook = Webhook(id=uuid.uuid4(), system_uuid=principal.system_uuid, format=webhook_format, url=url,
                      event_types=event_types, secret=secret, active=True, credential_family_id=principal.family_id,
                      credential_kind=principal.kind, created_at=now, updated_at=now)
    # The PING's event: no stream shows it (it is no event type), and no other webhook receives it (dispatched).
    ping = Event(system_uuid=principal.system_uuid, type=PING, occurred_at=now, owner_data={}, public_data=None,
                 dispatched=True)
    session.add_all([webhook, ping])
    session.flush()
    session.add(Delivery(id=uuid.uuid4(), webhook_id=webhook.id, event_id=ping.id, status="pending", attempts=0,
                         created_at=now))
    session.flush()
    ensure_job(session, webhook)


def list_deliveries(session: Session, principal: Principal, webhook_id: uuid.UUID,
                    paging: PageRequest) -> tuple[list[DeliveryOut], str | None]:
    """The delivery log, newest first."""
    webhook = _own(session, principal, webhook_id)
    query = (select(Delivery, Event.type).join(Event, Event.id == Delivery.event_id)
             .where(Delivery.webhook_id == webhook.id))
    rows, cursor = keyset_page(query, [Delivery.created_at, Delivery.id], paging, descending=True, session=session,
                               row_key=lambda row: (row[0].created_at, row[0].id))
    return [delivery_out(delivery, event_type) for delivery, event_type in rows], cursor


def redeliver(session: Session, principal: Principal, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryOut:
    """A new delivery of the same event (same `webhook-id` header, so a receiver can tell it already has it)."""
    webhook = _own(session, principal, webhook_id)
    found = session.execute(select(Delivery, Event.type).join(Event, Event.id == Delivery.event_id)
                            .where(Delivery.id == delivery_id, Delivery.webhook_id == webhook.id)).first()
    if found is None:
        raise NotFound("No such delivery.")
    again = Delivery(id=uuid.uuid4(), webhook_id=webhook.id, event_id=found[0].event_id, status="pending",
                     attempts=0, created_at=utcnow())
    session.add(again)
    session.flush()
    if webhook.active:
        ensure_job(session, webhook)
    return delivery_out(again, found[1])


# --- dispatching ---------------------------------------------------------------------------------------------

def _take_turn(session: Session, webhook_id: uuid.UUID) -> None:
    """Serializes, per webhook, a job deciding it is done with queueing another delivery for it (a row lock on
    PostgreSQL; SQLite has one writer at a time): otherwise a delivery added between the two would see the ending job
    as still running and be left without one."""
    session.execute(select(Webhook.id).where(Webhook.id == webhook_id).with_for_update())


def ensure_job(session: Session, webhook: Webhook, not_before: datetime | None = None) -> None:
    """A pending delivery job for this webhook, unless one is pending already (its lane allows one)."""
    _take_turn(session, webhook.id)
    if session.execute(select(Job.id).where(Job.lane == lane(webhook.id), Job.status.in_(PENDING))).first():
        return
    try:
        with session.begin_nested():
            jobs.enqueue(session, KIND, webhook.system_uuid, lane(webhook.id), {"webhook_id": str(webhook.id)},
                         not_before=not_before)
    except IntegrityError:
        pass  # another process queued it meanwhile


def undispatched(session: Session) -> bool:
    return session.execute(select(Event.id).where(Event.dispatched == false()).limit(1)).first() is not None


def dispatch(session: Session) -> int:
    """Events not yet dispatched become pending deliveries of the webhooks that asked for them; returns how many
    events were handled. Several processes may run it at once: each locks the events it takes (SKIP LOCKED)."""
    batch = list(session.execute(select(Event).where(Event.dispatched == false()).order_by(Event.id)
                                 .limit(DISPATCH_BATCH).with_for_update(skip_locked=True)).scalars())
    if not batch:
        return 0
    hooks: dict[uuid.UUID, list[Webhook]] = {}
    for webhook in session.execute(select(Webhook).where(Webhook.system_uuid.in_({e.system_uuid for e in batch}),
                                                         Webhook.active.is_(True))).scalars():
        hooks.setdefault(webhook.system_uuid, []).append(webhook)
    now = utcnow()
    touched: dict[uuid.UUID, Webhook] = {}
    for event in batch:
        for webhook in hooks.get(event.system_uuid, ()):
            if event.type in webhook.event_types:
                session.add(Delivery(id=uuid.uuid4(), webhook_id=webhook.id, event_id=event.id, status="pending",
                                     attempts=0, created_at=now))
                touched[webhook.id] = webhook
        event.dispatched = True
    session.flush()
    for webhook in touched.values():
        ensure_job(session, webhook)
    return len(batch)


def sweep(session: Session) -> None:
    """A job for every active webhook with pending deliveries and none queued: a safety net for a job that ended
    as new deliveries arrived, or a worker that died."""
    waiting = select(Delivery.webhook_id).where(Delivery.status == "pending").distinct()
    for webhook in session.execute(select(Webhook).where(Webhook.id.in_(waiting), Webhook.active.is_(True))
                                   ).scalars():
        ensure_job(session, webhook)


# --- delivering ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attempt:
    """One delivery to try now: what to send where."""

    delivery_id: uuid.UUID
    webhook_id: uuid.UUID
    message_id: str
    url: str
    secret: str
    format: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    latency_ms: int

    @property
    def succeeded(self) -> bool:
        return self.error is None


def permitted(session: Session, webhook: Webhook, event_type: str, now: datetime) -> bool:
    """Whether the webhook's creator could still read this type: a login session's webhook lives with the account
    (sessions hold every scope); a token's with a live credential of its family (OAuth refreshes make new rows)
    that holds the type's scope."""
    disabled = session.execute(select(Account.disabled_at).join(System, System.account_id == Account.id)
                               .where(System.uuid == webhook.system_uuid)).scalar_one_or_none()
    if disabled is not None:
        return False
    if webhook.credential_kind == SESSION or webhook.format != STANDARD:
        return True  # another format (PluralKit's dispatch) goes to the owner's URL with what the owner reads
    live = (Credential.revoked_at.is_(None)
            & (Credential.expires_at.is_(None) | (Credential.expires_at > now)
               | (Credential.refresh_expires_at.is_not(None) & (Credential.refresh_expires_at > now))))
    held = session.execute(select(Credential.scopes).where(Credential.family_id == webhook.credential_family_id,
                                                           live)).scalars()
    return any(EVENT_SCOPES[event_type] in scope_set.expand(scope_set.parse(text)) for text in held)


def next_attempt(session: Session, webhook_id: uuid.UUID, now: datetime,
                 bodies: Mapping[str, Body]) -> Attempt | datetime | None:
    """The webhook's oldest pending delivery, to try now; or when it is due; or None when nothing is pending (or
    the webhook is gone or off). A delivery its creator may no longer read, or that its format has nothing to send
    for, ends as failed, and the next one is looked at. `bodies`: how each webhook format writes an event."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or not webhook.active:
        return None
    while True:
        found = session.execute(select(Delivery, Event).join(Event, Event.id == Delivery.event_id)
                                .where(Delivery.webhook_id == webhook.id, Delivery.status == "pending")
                                .order_by(Delivery.event_id, Delivery.created_at).limit(1)).first()
        if found is None:
            return None
        delivery: Delivery = found[0]
        event: Event = found[1]
        due = delivery.next_attempt_at
        if due is not None and due > now:
            return due
        if not permitted(session, webhook, event.type, now):
            delivery.error = (f"Not sent: the credential that made this webhook can no longer read {event.type} "
                              "events.")
        else:
            system_hid = session.execute(select(System.hid).where(System.uuid == webhook.system_uuid)).scalar_one()
            body = bodies[webhook.format](session, webhook, event, system_hid)
            if body is not None:
                return Attempt(delivery_id=delivery.id, webhook_id=webhook.id, message_id=f"evt_{event.id}",
                               url=webhook.url, secret=webhook.secret, format=webhook.format, body=body)
            delivery.error = f"Not sent: this webhook's format has nothing to send for this {event.type} event."
        delivery.status, delivery.next_attempt_at = "failed", None
        session.flush()


def backoff(attempts: int, first: float) -> timedelta:
    """Before try `attempts + 1`: `first` seconds, doubling each time, at most MAX_BACKOFF."""
    return min(timedelta(seconds=first * 2 ** min(attempts - 1, 30)), MAX_BACKOFF)


def note_outcome(session: Session, attempt: Attempt, outcome: Outcome, now: datetime, first_retry: float,
                 window: float) -> None:
    delivery = session.get(Delivery, attempt.delivery_id)
    webhook = session.get(Webhook, attempt.webhook_id)
    if delivery is None or webhook is None:
        return  # deleted meanwhile
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.response_status = now, outcome.status_code
    delivery.error, delivery.latency_ms = outcome.error, outcome.latency_ms
    if outcome.succeeded:
        delivery.status, delivery.next_attempt_at = "succeeded", None
        webhook.failing_since = None
        return
    retry_for = timedelta(seconds=window)
    if now - delivery.created_at >= retry_for:
        delivery.status, delivery.next_attempt_at = "failed", None
        delivery.error = f"{outcome.error} (gave up after {delivery.attempts} attempts)"
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts, first_retry)
    webhook.failing_since = webhook.failing_since or now
    if now - webhook.failing_since >= retry_for:
        webhook.active = False
        webhook.disabled_reason = (f"Disabled at {format_timestamp(now)}: every delivery since "
                                   f"{format_timestamp(webhook.failing_since)} failed (the last: {outcome.error}). "
                                   "Fix the receiver, then set active to true.")
        webhook.updated_at = now


def next_step(session: Session, job_id: uuid.UUID, webhook_id: uuid.UUID, done: tuple[Attempt, Outcome] | None,
              now: datetime, first_retry: float, window: float,
              bodies: Mapping[str, Body]) -> Attempt | datetime | None:
    """Notes the outcome of the attempt just made (if any), then finds the next (see `next_attempt`); when there is
    none, the job ends in the same transaction, in turn with anything queueing a delivery (`_take_turn`)."""
    _take_turn(session, webhook_id)
    if done is not None:
        note_outcome(session, *done, now, first_retry, window)
        session.flush()
    step = next_attempt(session, webhook_id, now, bodies)
    if step is None:
        jobs.finish(session, job_id, {})
    return step


def wait_until(session: Session, job_id: uuid.UUID, webhook_id: uuid.UUID, due: datetime) -> None:
    """Ends this job and queues the webhook's next one for `due` (its lane frees as this one ends)."""
    jobs.finish(session, job_id, {"next_attempt_at": format_timestamp(due)})
    session.flush()
    webhook = session.get(Webhook, webhook_id)
    if webhook is not None:
        ensure_job(session, webhook, not_before=due)

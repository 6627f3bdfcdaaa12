"""PluralKit's dispatch webhooks (`webhook_url` on `/pk/v2/systems/@me`) as a webhook of format `pluralkit`.

Nothing here delivers: the URL is a row of the webhooks table, its events become deliveries like any webhook's,
sent in order by the same jobs with the same retries, SSRF checks, delivery log and disabling (subscriptions/).
This module only translates: which stored events PluralKit has a dispatch event for, its payload
(`type`, `signing_token`, `system_id`, `id`, `data`; keys without a value left out, as PluralKit does), its ids
(uuids, derived switch ids), and PluralKit's test when a URL is set.

PluralKit tests a new URL with a PING carrying the new signing token, which must be answered 2xx, and one carrying
a wrong token, which must be answered 401; it shows the token to the owner before, so that the receiver can know
it. Through an API the token comes back in the very response that sets the URL, so the order is turned around:
the PING with a wrong token is sent before the URL is taken (anything but 401 refuses it: the receiver must check
the token), and the PING with the signing token is the new webhook's first delivery, retried (with the events
behind it waiting) until the receiver, told the token, answers 2xx.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..auth.dependencies import check_scopes
from ..auth.principal import Principal
from ..events.models import Event, Webhook
from ..fronts.models import Front
from ..groups.schemas import GroupOut
from ..kit.validators import WebUrl
from ..members.models import Member
from ..members.schemas import MemberOut
from ..state import app_state
from ..subscriptions import delivery, webhooks
from ..systems.access import write_access
from ..systems.schemas import SystemOut
from .errors import PkCode, PkError
from .http import run
from .refs import system_sid
from .switches import switch_id
from .translate import group_v2, member_v2, system_v2, timestamp

FORMAT = "pluralkit"
SCOPE = "webhooks"  # setting or clearing the URL, and reading it back, as for the native webhooks
PING = "PING"
DISPATCH_TYPES = {
    webhooks.PING: PING,
    "system.updated": "UPDATE_SYSTEM",
    "member.created": "CREATE_MEMBER", "member.updated": "UPDATE_MEMBER", "member.deleted": "DELETE_MEMBER",
    "group.created": "CREATE_GROUP", "group.updated": "UPDATE_GROUP", "group.deleted": "DELETE_GROUP",
    "fronters.changed": "CREATE_SWITCH",
}
"""The stored events PluralKit has a dispatch event for (see docs/PLURALKIT.md for those it does not get)."""
_DISCORD_WEBHOOK = re.compile(r"https?://(?:[\w-]+\.)?discord(?:app)?\.com/api(?:/v[^/]*)?/webhooks/", re.IGNORECASE)
_URL = TypeAdapter(WebUrl)


def message(kind: str, token: str, system_uuid: uuid.UUID, entity: str | None = None,
            data: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "signing_token": token, "system_id": str(system_uuid)}
    if entity is not None:
        body["id"] = entity
    if data is not None:
        body["data"] = data
    return body


# --- events as dispatch payloads ----------------------------------------------------------------------------------

def payload(session: Session, webhook: Webhook, event: Event, system_hid: str) -> dict[str, Any] | None:
    """The event as PluralKit dispatches it, with everything the owner reads (PluralKit sends the owner's view)."""
    kind = DISPATCH_TYPES.get(event.type)
    if kind is None:
        return None
    area, _, what = event.type.partition(".")
    data = event.owner_data
    entity: str | None = None
    shown: dict[str, Any] | None
    if event.type == webhooks.PING:
        shown = None
    elif area == "system":
        shown = system_v2(SystemOut.model_validate(data), webhook_url=webhook.url)
    elif area == "fronters":
        entity, shown = _switch(session, webhook.system_uuid, event)
    else:
        shown = (member_v2(MemberOut.model_validate(data)) if area == "member"
                 else group_v2(GroupOut.model_validate(data), system_hid))
        entity = shown["uuid"]
        # PluralKit: a creation carries only the name, a deletion nothing, an update the object.
        shown = {"name": shown["name"]} if what == "created" else None if what == "deleted" else shown
    return message(kind, webhook.secret, webhook.system_uuid, entity, shown)


def _switch(session: Session, system_uuid: uuid.UUID, event: Event) -> tuple[str, dict[str, Any]]:
    """`fronters.changed` as the switch it made: its time is the latest front start or end up to the event (the
    change point `GET /pk/v2/systems/@me/switches` lists, so the ids agree), its members the uuids of who fronted
    then, custom fronts left out."""
    moments = [_latest(session, system_uuid, column, event) for column in (Front.started_at, Front.ended_at)]
    at = max((moment for moment in moments if moment is not None), default=event.occurred_at)
    fronting = [front["member_id"] for front in sorted(event.owner_data, key=lambda f: (f["started_at"],
                                                                                        f["member_id"]))]
    keys = {hid: key for hid, key in session.execute(select(Member.hid, Member.uuid).where(
        Member.system_uuid == system_uuid, Member.hid.in_(fronting), Member.is_custom_front.is_(False)))}
    ident = switch_id(system_uuid, at)
    return ident, {"id": ident, "timestamp": timestamp(at), "members": [str(keys[hid]) for hid in fronting
                                                                       if hid in keys]}


def _latest(session: Session, system_uuid: uuid.UUID, column: Any, event: Event) -> datetime | None:
    found: datetime | None = session.execute(select(column).where(Front.system_uuid == system_uuid,
                                                                  column <= event.occurred_at)
                                             .order_by(column.desc()).limit(1)).scalar_one_or_none()
    return found


# --- the URL ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """A new dispatch URL with its new signing token, or (both None) none any more."""

    url: str | None
    token: str | None


def shown_url(session: Session, principal: Principal) -> str | None:
    """The system's dispatch URL as this caller reads it: only with the webhooks scope, and none once the server
    disabled it for failing (PluralKit removes such a URL)."""
    webhook = webhooks.dispatch_webhook(session, principal.system_uuid, FORMAT)
    if webhook is None or not webhook.active or SCOPE not in principal.scopes:
        return None
    return webhook.url


def _current(session: Session, ref: str, principal: Principal) -> str | None:
    write_access(session, system_sid(session, ref), principal)  # only the caller's own system (403 otherwise)
    return shown_url(session, principal)


async def requested(request: Request, ref: str, principal: Principal, body: dict[str, Any]) -> Change | None:
    """What a PATCH body asks of the dispatch URL: None when it does not name one or names the one the caller
    reads (a GET -> PATCH round trip keeps the URL and its token). A new URL must answer a PING with a wrong
    token with 401 before anything is stored (see the module docstring)."""
    if "webhook_url" not in body:
        return None
    raw = body["webhook_url"]
    if raw is not None and not isinstance(raw, str):
        raise PkError.invalid({"webhook_url": "must be a URL or null"})
    raw = raw or None  # "" clears, as everywhere on PluralKit
    if raw == await run(request, _current, ref, principal, not_found=PkCode.SYSTEM_NOT_FOUND):
        return None
    check_scopes(principal, (SCOPE,))
    if raw is None:
        return Change(None, None)
    try:
        url = _URL.validate_python(raw)
    except ValidationError as exc:
        raise PkError.invalid({"webhook_url": exc.errors()[0]["msg"].removeprefix("Value error, ")}) from None
    if _DISCORD_WEBHOOK.match(url):
        raise PkError.invalid({"webhook_url": "a Discord webhook URL cannot receive dispatch events"})
    settings = app_state(request).settings
    forged = await delivery.post_once(settings.webhook_allow_private, settings.webhook_timeout, url,
                                      message(PING, new_token(), principal.system_uuid))
    if forged.status_code != 401:
        answer = forged.error if forged.status_code is None else f"HTTP {forged.status_code}"
        raise PkError.invalid({"webhook_url": f"answered a PING with a wrong signing token with {answer}, not 401: "
                                              "it must refuse requests whose signing_token is not its own"})
    return Change(url, new_token())


def new_token() -> str:
    return secrets.token_urlsafe(48)


def apply(session: Session, principal: Principal, change: Change) -> None:
    types = sorted(set(DISPATCH_TYPES) - {webhooks.PING})  # the PING is queued for this webhook alone
    webhooks.set_dispatch_webhook(session, principal, FORMAT, change.url, change.token, types)

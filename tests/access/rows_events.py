"""Rows of the event stream and the webhooks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ..helpers import Account, data, error
from .world import Call, Check, Row, World, unique

EVENTS = "/api/v1/systems/{sid}/events"
WEBHOOKS = "/api/v1/me/webhooks"
# A global address written as one: the URL check needs no DNS, and these webhooks never send (inactive, or their
# creating token revoked).
NOWHERE = "https://1.1.1.1/pluralspace-matrix"


def events_call(sid: Callable[[World], str]) -> Callable[[World], Call]:
    return lambda world: Call("GET", f"/api/v1/systems/{sid(world)}/events?types=front.*", stream=True)


def is_event_stream(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")


def new_webhook(world: World, token: str | None = None, **extra: Any) -> dict:
    return data(world.api.post(WEBHOOKS, token or world.owner.session, json={
        "url": NOWHERE, "event_types": ["system.updated"], "active": False, **extra}), 201)


def webhook_call(method: str, suffix: str = "") -> Callable[[World], Call]:
    def build(world: World) -> Call:
        hook = new_webhook(world)
        body = {"url": f"{NOWHERE}/{unique('moved')}"} if method == "PATCH" else None
        return Call(method, f"{WEBHOOKS}/{hook['id']}{suffix}", body, keep={"hook": hook})

    return build


def owner_webhooks(world: World) -> list[dict]:
    return data(world.owner_get(f"{WEBHOOKS}?limit=200"))


def webhook_unchanged(world: World, call: Call) -> None:
    assert call.keep["hook"]["id"] in {h["id"]: h for h in owner_webhooks(world)}
    shown = data(world.owner_get(f"{WEBHOOKS}/{call.keep['hook']['id']}"))
    assert shown["url"] == call.keep["hook"]["url"]


def webhook_not_found_for_other(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 404, "NOT_FOUND")
    webhook_unchanged(world, call)


def create_webhook_call(world: World) -> Call:
    return Call("POST", WEBHOOKS, {"url": f"{NOWHERE}/{unique('created')}", "event_types": ["system.updated"],
                                   "active": False})


def webhook_created_for(account_of: Callable[[World], Account]) -> Check:
    def check(world: World, call: Call, response: httpx.Response) -> None:
        created = data(response, 201)
        assert created["secret"].startswith("whsec_") and created["url"] == call.json["url"]
        mine = data(world.api.get(f"{WEBHOOKS}?limit=200", account_of(world).session))
        assert created["id"] in {h["id"] for h in mine}

    return check


def owner_has_no_webhook_at(world: World, call: Call) -> None:
    assert call.json["url"] not in {h["url"] for h in owner_webhooks(world)}


def lists_owner_webhook(world: World, call: Call, response: httpx.Response) -> None:
    assert call.keep["hook"]["id"] in {h["id"] for h in data(response)}


def lists_no_owner_webhook(world: World, call: Call, response: httpx.Response) -> None:
    assert call.keep["hook"]["id"] not in {h["id"] for h in data(response)}


def list_webhooks_call(world: World) -> Call:
    return Call("GET", f"{WEBHOOKS}?limit=200", keep={"hook": new_webhook(world)})


def delivered_webhook_call(world: World) -> Call:
    """A delivery to redeliver, made without sending anything: the webhook's creating token is revoked before its
    event, so the delivery ends as refused by the server itself."""
    made = data(world.api.post("/api/v1/me/tokens", world.owner.session,
                               json={"name": unique("hooks"), "scopes": ["webhooks", "system:read"]}), 201)
    hook = new_webhook(world, made["token"], active=True)
    assert world.api.delete(f"/api/v1/me/tokens/{made['id']}", world.owner.session).status_code == 204
    data(world.api.patch("/api/v1/systems/@me", world.owner.session, json={"tag": unique("t")[:20]}))
    deadline = time.monotonic() + 20
    while not (logged := data(world.owner_get(f"{WEBHOOKS}/{hook['id']}/deliveries"))):
        assert time.monotonic() < deadline, "no delivery was logged"
        time.sleep(0.05)
    return Call("POST", f"{WEBHOOKS}/{hook['id']}/deliveries/{logged[0]['id']}/redeliver", keep={"hook": hook})


def redelivery_queued(world: World, call: Call, response: httpx.Response) -> None:
    queued = data(response, 202)
    assert queued["status"] in ("pending", "failed") and queued["event_type"] == "system.updated"


def webhook_got(world: World, call: Call, response: httpx.Response) -> None:
    shown = data(response)
    assert shown["id"] == call.keep["hook"]["id"] and "secret" not in shown


def webhook_patched(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["url"] == call.json["url"]


def webhook_deleted(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 204
    error(world.owner_get(f"{WEBHOOKS}/{call.keep['hook']['id']}"), 404, "NOT_FOUND")


def deliveries_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response) == []  # an inactive webhook: nothing was sent


EVENT_ROWS = [
    Row("GET", EVENTS, "fronts:read", False, events_call(lambda w: "@me"), check=is_event_stream,
        as_other=is_event_stream, declared=(), variant="@me"),
    Row("GET", EVENTS, "fronts:read", True, events_call(lambda w: w.owner.system_id), check=is_event_stream,
        as_other=is_event_stream, declared=(), variant="short id"),
    Row("GET", WEBHOOKS, "webhooks", False, list_webhooks_call, check=lists_owner_webhook,
        as_other=lists_no_owner_webhook),
    Row("POST", WEBHOOKS, "webhooks", False, create_webhook_call, 201, check=webhook_created_for(lambda w: w.owner),
        as_other=webhook_created_for(lambda w: w.other), unchanged=owner_has_no_webhook_at,
        also=("system:read",), declared=("webhooks",)),  # a webhook's types are ones its creator reads
    Row("GET", WEBHOOKS + "/{webhook_id}", "webhooks", False, webhook_call("GET"), check=webhook_got,
        as_other=webhook_not_found_for_other),
    Row("PATCH", WEBHOOKS + "/{webhook_id}", "webhooks", False, webhook_call("PATCH"), check=webhook_patched,
        as_other=webhook_not_found_for_other, unchanged=webhook_unchanged),
    Row("DELETE", WEBHOOKS + "/{webhook_id}", "webhooks", False, webhook_call("DELETE"), 204, check=webhook_deleted,
        as_other=webhook_not_found_for_other, unchanged=webhook_unchanged),
    Row("GET", WEBHOOKS + "/{webhook_id}/deliveries", "webhooks", False, webhook_call("GET", "/deliveries"),
        check=deliveries_listed, as_other=webhook_not_found_for_other),
    Row("POST", WEBHOOKS + "/{webhook_id}/deliveries/{delivery_id}/redeliver", "webhooks", False,
        delivered_webhook_call, 202, check=redelivery_queued, as_other=webhook_not_found_for_other,
        unchanged=webhook_unchanged),
]

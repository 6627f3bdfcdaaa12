"""Webhooks: managing them, signed deliveries to a real receiver on loopback, retries, order, disabling, scopes,
and the SSRF guard."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pluralspace.subscriptions import delivery

from ..conftest import RunningServer
from ..helpers import Account, Api, data, error
from .receiver import Receiver

# Retries from 0.2 s; a 3 s limit on an answer (a loaded test machine can be slow to answer at all).
FAST = {"webhook_allow_private": True, "webhook_retry_seconds": 0.2, "webhook_timeout": 3.0}


@pytest.fixture
def isolated(own_database: str, tmp_path: Path) -> dict[str, Any]:
    """Settings for a database of the test's own: every server on a database claims its delivery jobs, and the other
    tests' servers run with other webhook settings (no private addresses, slow retries)."""
    return {"database_url": own_database, "data_dir": tmp_path}


@pytest.fixture
def hooked(isolated: dict[str, Any], make_server: Any) -> Iterator[tuple[RunningServer, Api]]:
    server = make_server(**FAST, **isolated)
    api = server.api()
    yield server, api
    api.close()


def add_webhook(api: Api, account: Account, url: str, types: list[str], token: str | None = None) -> dict[str, Any]:
    return data(api.post("/api/v1/me/webhooks", token or account.session, json={"url": url, "event_types": types}),
                201)


def deliveries(api: Api, account: Account, webhook_id: str) -> list[dict[str, Any]]:
    return data(api.get(f"/api/v1/me/webhooks/{webhook_id}/deliveries", account.session))


def eventually(check: Any, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def test_deliveries_are_signed_and_carry_the_event(hooked: tuple[RunningServer, Api]) -> None:
    _server, api = hooked
    receiver = Receiver()
    try:
        owner = api.register()
        hook = add_webhook(api, owner, receiver.url, ["member.*"])
        assert hook["secret"].startswith("whsec_") and hook["active"] and hook["event_types"] == [
            "member.created", "member.deleted", "member.updated"]
        assert "secret" not in data(api.get(f"/api/v1/me/webhooks/{hook['id']}", owner.session))
        member = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Ada"}), 201)
        data(api.patch("/api/v1/systems/@me", owner.session, json={"name": "not asked for"}))
        (got,) = receiver.wait_for(1)
        assert got.signed_with(hook["secret"])
        assert not got.signed_with("whsec_" + "A" * 32)
        body = got.json
        assert body["type"] == "member.created" and body["data"] == member and body["system_id"] == owner.system_id
        assert got.headers["webhook-id"] == f"evt_{body['id']}"
        log = eventually(lambda: [d for d in deliveries(api, owner, hook["id"]) if d["status"] == "succeeded"])
        assert log[0]["attempts"] == 1 and log[0]["response_status"] == 200 and log[0]["latency_ms"] >= 0
        assert log[0]["event_type"] == "member.created"
        time.sleep(0.5)
        assert len(receiver.received) == 1  # system.updated was not asked for
    finally:
        receiver.close()


def test_failures_are_retried_and_order_is_kept(hooked: tuple[RunningServer, Api]) -> None:
    """The receiver is down (500s, then a timeout) while five changes happen; afterwards it gets all five, in
    order, each exactly once as a success."""
    _server, api = hooked
    receiver = Receiver(lambda n: (500, 0.0) if n < 3 else (200, 4.0) if n == 3 else (200, 0.0))
    try:
        owner = api.register()
        hook = add_webhook(api, owner, receiver.url, ["member.created"])
        for index in range(5):
            data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": f"M{index}"}), 201)
        # The timed-out attempt may still have reached the receiver; the retry brings the same webhook-id again.
        assert eventually(lambda: len({r.json["data"]["name"] for r in receiver.received}) == 5, 90)
        got = list(receiver.received)
        names = [r.json["data"]["name"] for r in got]
        assert [n for i, n in enumerate(names) if n not in names[:i]] == [f"M{i}" for i in range(5)]
        assert all(r.signed_with(hook["secret"]) for r in got)
        log = eventually(lambda: (lambda rows: rows if all(r["status"] == "succeeded" for r in rows) else None)(
            deliveries(api, owner, hook["id"])))
        first = min(log, key=lambda row: int(row["event_id"]))  # created together, they may share a time
        assert first["attempts"] >= 4, first  # three 500s and a timeout before it went through
    finally:
        receiver.close()


def test_a_webhook_failing_for_the_whole_window_is_disabled_with_the_reason(isolated: dict[str, Any],
                                                                           make_server: Any) -> None:
    server = make_server(**{**FAST, "webhook_retry_window": 1.0}, **isolated)
    api = server.api()
    receiver = Receiver(lambda _n: (503, 0.0))
    try:
        owner = api.register()
        hook = add_webhook(api, owner, receiver.url, ["member.created"])
        data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "X"}), 201)
        shown = eventually(lambda: (lambda h: h if not h["active"] else None)(
            data(api.get(f"/api/v1/me/webhooks/{hook['id']}", owner.session))))
        assert shown and "503" in shown["disabled_reason"] and shown["failing_since"]
        (failed,) = deliveries(api, owner, hook["id"])
        assert failed["status"] in ("failed", "pending") and "503" in failed["error"]
        # Its owner fixes the receiver and turns it back on; the failure streak starts over.
        receiver.answer = lambda _n: (200, 0.0)
        again = data(api.patch(f"/api/v1/me/webhooks/{hook['id']}", owner.session, json={"active": True}))
        assert again["active"] and again["disabled_reason"] is None and again["failing_since"] is None
    finally:
        receiver.close()
        api.close()


def test_redelivery_sends_the_same_event_again(hooked: tuple[RunningServer, Api]) -> None:
    _server, api = hooked
    receiver = Receiver()
    try:
        owner = api.register()
        hook = add_webhook(api, owner, receiver.url, ["system.updated"])
        data(api.patch("/api/v1/systems/@me", owner.session, json={"name": "Once"}))
        (first,) = receiver.wait_for(1)
        (done,) = eventually(lambda: deliveries(api, owner, hook["id"]))
        again = data(api.post(f"/api/v1/me/webhooks/{hook['id']}/deliveries/{done['id']}/redeliver",
                              owner.session), 202)
        assert again["status"] == "pending" and again["event_id"] == done["event_id"] and again["id"] != done["id"]
        second = receiver.wait_for(2)[1]
        assert second.headers["webhook-id"] == first.headers["webhook-id"] and second.body == first.body
        error(api.post(f"/api/v1/me/webhooks/{hook['id']}/deliveries/{hook['id']}/redeliver", owner.session),
              404, "NOT_FOUND")
    finally:
        receiver.close()


def test_a_webhook_receives_only_what_its_credential_reads(hooked: tuple[RunningServer, Api]) -> None:
    _server, api = hooked
    receiver = Receiver()
    try:
        owner = api.register()
        token = api.pat(owner, "webhooks", "fronts:read")
        refused = error(api.post("/api/v1/me/webhooks", token, json={"url": receiver.url,
                                                                      "event_types": ["member.created"]}),
                        403, "INSUFFICIENT_SCOPE")
        assert refused["details"]["required"] == ["members:read"]
        hook = add_webhook(api, owner, receiver.url, ["fronters.changed"], token=token)
        member = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "F"}), 201)
        api.put("/api/v1/systems/@me/fronters", owner.session, json={"member_ids": [member["id"]]})
        assert receiver.wait_for(1)[0].json["type"] == "fronters.changed"
        # Once the token is revoked, its webhook delivers nothing more.
        token_id = next(t["id"] for t in data(api.get("/api/v1/me/tokens", owner.session))
                        if "fronts:read" in t["scopes"])
        assert api.delete(f"/api/v1/me/tokens/{token_id}", owner.session).status_code == 204
        api.put("/api/v1/systems/@me/fronters", owner.session, json={"member_ids": []})
        refused_log = eventually(lambda: [d for d in deliveries(api, owner, hook["id"]) if d["status"] == "failed"])
        assert "can no longer read" in refused_log[0]["error"]
        assert len(receiver.received) == 1
        # Without the webhooks scope, webhooks cannot be managed at all.
        error(api.get("/api/v1/me/webhooks", api.pat(owner, "members:read")), 403, "INSUFFICIENT_SCOPE")
    finally:
        receiver.close()


def test_private_addresses_are_refused_unless_allowed(api: Api) -> None:
    owner = api.register()
    for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/", "http://169.254.169.254/",
                "http://[::1]/", "http://[::ffff:127.0.0.1]/"):
        refused = error(api.post("/api/v1/me/webhooks", owner.session,
                                 json={"url": url, "event_types": ["member.*"]}), 422, "VALIDATION_FAILED")
        assert "url" in str(refused["details"])
    assert data(api.get("/api/v1/me/webhooks", owner.session)) == []


def test_the_address_is_checked_again_at_delivery() -> None:
    """A name that resolved to a public address at creation and to a private one later (DNS rebinding) is refused
    when the delivery is made: the check and the connection use the same resolution."""
    with pytest.raises(delivery.Refused):
        asyncio.run(delivery.resolve("http://localhost:1/hook", allow_private=False))
    target = asyncio.run(delivery.resolve("http://localhost:1/hook", allow_private=True))
    assert target.host == "localhost" and target.url.host in ("127.0.0.1", "::1")


@pytest.mark.parametrize("body", [
    {}, {"url": "ftp://example.org/", "event_types": ["member.*"]}, {"url": "https://example.org/"},
    {"url": "https://example.org/", "event_types": []}, {"url": "https://example.org/", "event_types": ["x.y"]},
    {"url": "https://u:p@example.org/", "event_types": ["member.*"]},
    {"url": "https://example.org/", "event_types": ["member.*"], "extra": 1},
    {"url": "https://example.org/" + "a" * 2000, "event_types": ["member.*"]},
])
def test_bad_webhooks_are_422_and_change_nothing(api: Api, body: dict[str, Any]) -> None:
    owner = api.register()
    error(api.post("/api/v1/me/webhooks", owner.session, json=body), 422, "VALIDATION_FAILED")
    assert data(api.get("/api/v1/me/webhooks", owner.session)) == []


def test_webhooks_are_their_owners_only(hooked: tuple[RunningServer, Api]) -> None:
    _server, api = hooked
    owner, other = api.register(), api.register()
    hook = add_webhook(api, owner, "http://127.0.0.1:9/hook", ["member.*"])
    path = f"/api/v1/me/webhooks/{hook['id']}"
    for method, suffix in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/deliveries")):
        error(api.request(method, path + suffix, other.session, json={"active": False} if method == "PATCH"
                          else None), 404, "NOT_FOUND")
    assert data(api.get("/api/v1/me/webhooks", other.session)) == []
    assert data(api.patch(path, owner.session, json={"event_types": ["group.*"], "active": False}))["event_types"] \
        == ["group.created", "group.deleted", "group.updated"]
    assert api.delete(path, owner.session).status_code == 204
    error(api.get(path, owner.session), 404, "NOT_FOUND")

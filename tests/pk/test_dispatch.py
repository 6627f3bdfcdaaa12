"""PluralKit dispatch webhooks: `webhook_url` on /pk/v2/systems/@me, delivered by the webhooks' jobs in PluralKit's
payload shape to a real receiver on loopback that checks the signing token as PluralKit asks receivers to."""

from __future__ import annotations

import time
from typing import Any

from pluralspace.pk.errors import PkCode

from ..conftest import RunningServer
from ..events.receiver import PluralKitReceiver, Receiver
from ..events.test_webhooks import hooked, isolated  # noqa: F401 (fixtures)
from ..helpers import Api, data
from .helpers import Pk, ok, pk_error

ME = "/systems/@me"


def events_of(receiver: Receiver, kind: str) -> list[dict[str, Any]]:
    return [r.json for r in receiver.received if r.json["type"] == kind]


def test_dispatch_events_reach_the_url_with_the_signing_token(hooked: tuple[RunningServer, Api]) -> None:  # noqa: F811
    _server, api = hooked
    v2 = Pk(api)
    receiver = PluralKitReceiver()
    try:
        owner = api.register()
        member = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Ada"}), 201)
        shown = ok(v2("PATCH", ME, owner.session, json={"webhook_url": receiver.url}))
        token = shown["webhook_token"]
        assert shown["webhook_url"] == receiver.url and len(token) >= 32
        assert receiver.attempts >= 1 and not receiver.received  # the PING with a wrong token, answered 401
        again = ok(v2("GET", ME, owner.session))
        assert again["webhook_url"] == receiver.url and "webhook_token" not in again
        # A GET -> PATCH round trip keeps the URL and its token (no new test); the profile's UPDATE_SYSTEM waits
        # behind the PING.
        tried = receiver.attempts
        assert "webhook_token" not in ok(v2("PATCH", ME, owner.session, json=again))
        data(api.put("/api/v1/systems/@me/fronters", owner.session, json={"member_ids": [member["id"]]}))
        data(api.patch(f"/api/v1/systems/@me/members/{member['id']}", owner.session, json={"pronouns": "she/her"}))
        time.sleep(0.5)
        assert not receiver.received

        receiver.token = token  # the owner configures the receiver: the queued PING goes through on a retry
        received = receiver.wait_for(4)
        assert [r.json["type"] for r in received] == ["PING", "UPDATE_SYSTEM", "CREATE_SWITCH", "UPDATE_MEMBER"]
        assert received[0].json == {"type": "PING", "signing_token": token, "system_id": owner.system_uuid}
        assert receiver.attempts >= tried + 4
        assert all(r.json["signing_token"] == token and r.json["system_id"] == owner.system_uuid for r in received)
        switch = received[2].json
        (listed,) = ok(v2("GET", f"{ME}/switches", owner.session))
        assert switch["id"] == switch["data"]["id"] == listed["id"]
        assert switch["data"] == {"id": listed["id"], "timestamp": listed["timestamp"], "members": [member["uuid"]]}
        update = received[3].json
        assert update["id"] == member["uuid"] and update["data"]["pronouns"] == "she/her"
        assert update["data"] == ok(v2("GET", f"/members/{member['uuid']}", owner.session))

        # Cleared: nothing more is sent, and the URL reads null.
        assert ok(v2("PATCH", ME, owner.session, json={"webhook_url": None}))["webhook_url"] is None
        assert ok(v2("GET", ME, owner.session))["webhook_url"] is None
        data(api.patch(f"/api/v1/systems/@me/members/{member['id']}", owner.session, json={"pronouns": "they"}))
        data(api.put("/api/v1/systems/@me/fronters", owner.session, json={"member_ids": []}))
        time.sleep(1.5)
        assert len(receiver.received) == 4
    finally:
        receiver.close()


def test_member_and_group_events_in_pluralkit_shapes(hooked: tuple[RunningServer, Api]) -> None:  # noqa: F811
    _server, api = hooked
    v2 = Pk(api)
    receiver = PluralKitReceiver()
    try:
        owner = api.register()
        receiver.token = ok(v2("PATCH", ME, owner.session, json={"webhook_url": receiver.url}))["webhook_token"]
        receiver.wait_for(1)
        member = ok(v2("POST", "/members", owner.session, json={"name": "Bo"}))
        group = ok(v2("POST", "/groups", owner.session, json={"name": "Crew"}))
        ok(v2("PATCH", ME, owner.session, json={"name": "Renamed"}))
        ok(v2("DELETE", f"/members/{member['id']}", owner.session), 204)
        ok(v2("DELETE", f"/groups/{group['id']}", owner.session), 204)
        got = [r.json for r in receiver.wait_for(6)]
        assert [g["type"] for g in got] == ["PING", "CREATE_MEMBER", "CREATE_GROUP", "UPDATE_SYSTEM",
                                            "DELETE_MEMBER", "DELETE_GROUP"]
        assert got[1]["id"] == member["uuid"] and got[1]["data"] == {"name": "Bo"}
        assert got[2]["id"] == group["uuid"] and got[2]["data"] == {"name": "Crew"}
        assert "id" not in got[3] and got[3]["data"]["name"] == "Renamed"
        assert got[3]["data"]["webhook_url"] == receiver.url
        assert got[4] == {"type": "DELETE_MEMBER", "signing_token": receiver.token, "system_id": owner.system_uuid,
                          "id": member["uuid"]}
        assert got[5]["id"] == group["uuid"] and "data" not in got[5]
    finally:
        receiver.close()


def test_urls_that_fail_the_test_or_the_rules_are_refused(hooked: tuple[RunningServer, Api]) -> None:  # noqa: F811
    _server, api = hooked
    v2 = Pk(api)
    careless = Receiver()  # answers 200 to anything, so it would accept forged events
    try:
        owner = api.register()
        refused = pk_error(v2("PATCH", ME, owner.session, json={"webhook_url": careless.url}), 400,
                           PkCode.INVALID_MODEL.code)
        assert "401" in refused["errors"]["webhook_url"][0]["message"]
        for bad in ("ftp://example.org/hook", 42, "https://discord.com/api/webhooks/1/abc"):
            pk_error(v2("PATCH", ME, owner.session, json={"webhook_url": bad}), 400, PkCode.INVALID_MODEL.code)
        assert ok(v2("GET", ME, owner.session))["webhook_url"] is None
        # Setting it needs the webhooks scope, as the native webhooks do; a token without it reads it as null.
        writer = api.pat(owner, "system:write")
        pk_error(v2("PATCH", ME, writer, json={"webhook_url": careless.url}), 403, 0)
        receiver = PluralKitReceiver()
        try:
            ok(v2("PATCH", ME, owner.session, json={"webhook_url": receiver.url}))
            assert ok(v2("GET", ME, writer))["webhook_url"] is None
            assert ok(v2("PATCH", ME, writer, json={"webhook_url": None, "name": "kept"}))["name"] == "kept"
            assert ok(v2("GET", ME, owner.session))["webhook_url"] == receiver.url  # the round trip kept it
            other = api.register()
            assert "webhook_url" not in ok(v2("GET", f"/systems/{owner.system_id}", other.session))
            pk_error(v2("PATCH", f"/systems/{owner.system_id}", other.session, json={"webhook_url": receiver.url}),
                     403, 0)
        finally:
            receiver.close()
    finally:
        careless.close()

"""The event stream: what the owner and other viewers receive, scope and type filters, resume, heartbeats."""

from __future__ import annotations

import pytest

from ..conftest import RunningServer
from ..helpers import Api, data, error
from .sse import Stream

PRIVATE_MEMBER = {"name": "Hidden Name", "description": "hidden description"}
PUBLIC_MEMBER = {"name": "Shown Name", "description": "private part",
                 "privacy": {"visibility": "public", "name": "public"}}


def stream(server: RunningServer, sid: str, token: str | None = None, **kwargs: object) -> Stream:
    opened = Stream(server.url, f"/api/v1/systems/{sid}/events", token, **kwargs)  # type: ignore[arg-type]
    assert opened.status == 200, opened.body
    return opened


def test_the_owner_receives_each_change_as_the_api_shows_it(server: RunningServer, api: Api) -> None:
    owner = api.register()
    events = stream(server, "@me", owner.session)
    try:
        member = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Ada"}), 201)
        created = events.next()
        assert created["type"] == created["event"] == "member.created"
        assert created["system_id"] == owner.system_id and created["id"]
        assert created["data"] == member
        updated = data(api.patch(f"/api/v1/systems/@me/members/{member['id']}", owner.session,
                                 json={"pronouns": "she/her"}))
        assert events.next()["data"] == updated
        api.put("/api/v1/systems/@me/fronters", owner.session, json={"member_ids": [member["id"]]})
        started, changed = events.next(), events.next()
        assert started["type"] == "front.started" and started["data"]["member_id"] == member["id"]
        assert changed["type"] == "fronters.changed" and [f["member_id"] for f in changed["data"]] == [member["id"]]
        assert int(created["id"]) < int(started["id"]) < int(changed["id"])
        api.delete(f"/api/v1/systems/@me/members/{member['id']}", owner.session)
        assert events.next()["type"] == "member.deleted"
    finally:
        events.close()


def test_other_viewers_see_only_what_privacy_shows_them(server: RunningServer, api: Api) -> None:
    owner, other = api.register(), api.register()
    anonymous = stream(server, owner.system_id)
    signed_in = stream(server, owner.system_id, other.session)
    try:
        data(api.post("/api/v1/systems/@me/members", owner.session, json=PRIVATE_MEMBER), 201)
        shown = data(api.post("/api/v1/systems/@me/members", owner.session, json=PUBLIC_MEMBER), 201)
        public_view = data(api.get(f"/api/v1/systems/{owner.system_id}/members/{shown['id']}"))
        for viewer in (anonymous, signed_in):
            event = viewer.next()
            assert event["type"] == "member.created" and event["data"] == public_view
            assert event["data"]["description"] is None and event["data"]["privacy"] is None
        # Fronting is private by default: the front events are not sent to them at all.
        api.put("/api/v1/systems/@me/fronters", owner.session, json={"member_ids": [shown["id"]]})
        for viewer in (anonymous, signed_in):
            viewer.nothing_within(1.0)
        assert "Hidden Name" not in repr(list(anonymous.events.queue))
    finally:
        anonymous.close()
        signed_in.close()


def test_a_token_receives_only_the_types_its_scopes_read(server: RunningServer, api: Api) -> None:
    owner = api.register()
    fronts_only = api.pat(owner, "fronts:read")
    events = stream(server, "@me", fronts_only)
    try:
        member = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Bo"}), 201)
        api.put("/api/v1/systems/@me/fronters", owner.session, json={"member_ids": [member["id"]]})
        assert events.next()["type"] == "front.started"
        assert events.next()["type"] == "fronters.changed"
        events.nothing_within(0.5)
    finally:
        events.close()
    webhooks_only = api.pat(owner, "webhooks")
    refused = Stream(server.url, "/api/v1/systems/@me/events", webhooks_only)
    assert refused.status == 403 and b"INSUFFICIENT_SCOPE" in refused.body


def test_types_narrow_the_stream(server: RunningServer, api: Api) -> None:
    owner = api.register()
    events = stream(server, "@me", owner.session, params={"types": "system.updated,fronters.*"})
    try:
        data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Cy"}), 201)
        data(api.patch("/api/v1/systems/@me", owner.session, json={"name": "Renamed"}))
        event = events.next()
        assert event["type"] == "system.updated" and event["data"]["name"] == "Renamed"
    finally:
        events.close()


@pytest.mark.parametrize(("params", "headers"), [
    ({"types": "member.exploded"}, {}), ({"types": "nope.*"}, {}), ({}, {"Last-Event-ID": "abc"}),
    ({}, {"Last-Event-ID": "-1"}), ({}, {"Last-Event-ID": "9" * 40}),
])
def test_bad_filters_are_422(api: Api, params: dict[str, str], headers: dict[str, str]) -> None:
    owner = api.register()
    error(api.get("/api/v1/systems/@me/events", owner.session, params=params, headers=headers), 422,
          "VALIDATION_FAILED")


def test_unknown_systems_and_at_me_without_a_token(api: Api) -> None:
    error(api.get("/api/v1/systems/zzzzzz/events"), 404, "NOT_FOUND")
    error(api.get("/api/v1/systems/@me/events"), 401, "UNAUTHENTICATED")


def test_a_dropped_stream_resumes_from_its_last_event(server: RunningServer, api: Api) -> None:
    owner = api.register()
    events = stream(server, "@me", owner.session)
    data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "First"}), 201)
    last_seen = events.next()["id"]
    events.close()  # the connection drops; changes go on
    for name in ("Second", "Third", "Fourth"):
        data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": name}), 201)
    resumed = stream(server, "@me", owner.session, last_event_id=last_seen)
    try:
        missed = [resumed.next() for _ in range(3)]
        assert [e["data"]["name"] for e in missed] == ["Second", "Third", "Fourth"]
        data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Live"}), 201)
        assert resumed.next()["data"]["name"] == "Live"
        resumed.nothing_within(0.3)  # nothing twice
    finally:
        resumed.close()


def test_idle_streams_get_heartbeats(make_server) -> None:
    server = make_server(events_heartbeat_seconds=0.2)
    api = server.api()
    try:
        owner = api.register()
        events = stream(server, "@me", owner.session)
        try:
            events.ended.wait(1.0)
            assert events.pings >= 2
        finally:
            events.close()
    finally:
        api.close()


def test_a_stream_ends_when_its_token_is_revoked(make_server) -> None:
    server = make_server(events_heartbeat_seconds=0.2)
    api = server.api()
    try:
        owner = api.register()
        made = data(api.post("/api/v1/me/tokens", owner.session, json={"name": "s", "scopes": ["members:read"]}), 201)
        events = stream(server, "@me", made["token"])
        try:
            assert not events.ended.wait(0.6)  # it lives on while the token does
            assert api.delete(f"/api/v1/me/tokens/{made['id']}", owner.session).status_code == 204
            assert events.ended.wait(5)
        finally:
            events.close()
    finally:
        api.close()


def test_a_failed_write_announces_nothing(server: RunningServer, api: Api) -> None:
    owner = api.register()
    events = stream(server, "@me", owner.session)
    try:
        # The member is created, then the unknown group id refuses the request: nothing of it stays or is told.
        error(api.post("/api/v1/systems/@me/groups", owner.session,
                       json={"name": "G", "member_ids": ["zzzzzz"]}), 422, "VALIDATION_FAILED")
        error(api.post("/api/v1/systems/@me/journal", owner.session,
                       json={"title": "t", "body": "b", "author_ids": ["zzzzzz"]}), 422, "VALIDATION_FAILED")
        events.nothing_within(1.0)
    finally:
        events.close()


def test_switch_edits_announce_the_fronts_they_change(server: RunningServer, api: Api) -> None:
    """A back-dated switch, then the switch after it deleted: each front an edit adds, changes or removes is an event,
    and `fronters.changed` follows when who fronts now changed."""
    owner = api.register()
    switches = "/api/v1/systems/@me/switches"
    a = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "A"}), 201)["id"]
    b = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "B"}), 201)["id"]
    data(api.post(switches, owner.session, json={"timestamp": "2026-01-01T10:00:00Z", "member_ids": [a]}), 201)
    events = stream(server, "@me", owner.session)
    try:
        data(api.post(switches, owner.session, json={"timestamp": "2026-01-01T08:00:00Z", "member_ids": [b]}), 201)
        back_dated = events.next()
        assert back_dated["type"] == "front.started" and back_dated["data"]["member_id"] == b
        assert back_dated["data"]["ended_at"] == "2026-01-01T10:00:00Z"
        assert events.nothing_within(0.5)  # A still fronts now: the fronters did not change
        assert api.delete(f"{switches}/2026-01-01T10:00:00Z", owner.session).status_code == 204  # B fronts on
        kinds = {(e["type"], e["data"]["member_id"]) for e in (events.next(), events.next())}
        assert kinds == {("front.deleted", a), ("front.updated", b)}
        changed = events.next()
        assert changed["type"] == "fronters.changed" and [f["member_id"] for f in changed["data"]] == [b]
    finally:
        events.close()

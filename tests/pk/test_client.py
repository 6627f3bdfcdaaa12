"""An unchanged PluralKit client (the `pluralkit` package from PyPI, its v2 client) pointed at /pk/v2."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pluralkit
import pytest
from pluralkit.v2 import client as pk_client

from ..helpers import data
from .helpers import owner_token


@pytest.fixture
def pk_session(server, api, monkeypatch):
    """A client as a bot would build it; only the module's SERVER constant (it has no base-URL option) moves."""
    monkeypatch.setattr(pk_client, "SERVER", server.url + "/pk/v2")
    account = api.register(system_name="Client System")
    token = owner_token(api, account)
    loop = asyncio.new_event_loop()
    client = pluralkit.Client(token, async_mode=False, user_agent="pluralspace tests", loop=loop)
    yield client, account, token
    loop.close()


def test_a_real_client_session(pk_session, api):
    client, account, token = pk_session
    system = client.get_system()
    assert str(system.id) == account.system_uuid and system.name == "Client System"

    alice = client.new_member("Alice", pronouns="she/her", color="ff7000", description="first")
    bob = client.new_member("Bob")
    assert alice.name == "Alice" and alice.pronouns == "she/her" and alice.color.hex_l == "#ff7000"
    assert {str(m.id) for m in client.get_members()} == {alice.id.uuid, bob.id.uuid}

    edited = client.update_member(alice, display_name="Ally", description=None)
    assert edited.display_name == "Ally" and edited.description is None and edited.pronouns == "she/her"

    earlier = datetime.now(UTC) - timedelta(minutes=10)
    first = client.new_switch([alice], timestamp=earlier)
    assert [str(m.id) for m in first.members] == [alice.id.uuid]
    second = client.new_switch([alice, bob])
    assert {m.name for m in client.get_fronters()} == {"Alice", "Bob"}
    history = list(client.get_switches())
    assert [str(s.id) for s in history] == [second.id.uuid, first.id.uuid]
    assert [len(s.members) for s in history] == [2, 1]
    assert str(client.get_switch(first.id.uuid).id) == first.id.uuid

    # The same history, read through the native API.
    native_switches = data(api.get("/api/v1/systems/@me/switches", token))
    assert [s["timestamp"] for s in native_switches][-1].startswith(earlier.strftime("%Y-%m-%dT%H:%M"))
    assert sorted(f["member_id"] for f in data(api.get("/api/v1/systems/@me/fronters", token))) == sorted(
        [alice.id.id.replace("-", ""), bob.id.id.replace("-", "")])

    client.delete_member(bob)
    with pytest.raises(pluralkit.MemberNotFound):
        client.get_member(bob.id.uuid)
    assert [str(m.id) for m in client.get_members()] == [alice.id.uuid]


def test_native_front_changes_are_pluralkit_switches(pk_session, api):
    client, _, token = pk_session
    with pytest.raises(pluralkit.HTTPError):
        list(client.get_fronters())  # no switches yet: PluralKit answers 204, which this client raises
    member = data(api.post("/api/v1/systems/@me/members", token, json={"name": "Native"}), 201)
    data(api.put("/api/v1/systems/@me/fronters", token, json={"member_ids": [member["id"]]}))
    assert [m.name for m in client.get_fronters()] == ["Native"]
    [switch] = list(client.get_switches())
    assert [str(m) for m in switch.members] == [member["id"][:3] + "-" + member["id"][3:]]

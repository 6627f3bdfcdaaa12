"""Members hidden from a viewer do not exist in the front history that viewer sees (docs/API.md §8 "Privacy").

The history is HIDDEN_HISTORY (tests/fronts/common.py).
"""

from __future__ import annotations

import uuid

import pytest

from ..helpers import answer, data
from .common import OWNER_SWITCHES, PUBLIC_SWITCHES, at, front, hidden_history, member


@pytest.fixture(scope="module")
def history(server):
    api = server.api()
    owner, stranger = api.register(), api.register()
    members, fronts = hidden_history(api, owner.session)
    viewers = {"anonymous": None, "another account": stranger.session,
               "another account's token": api.pat(stranger, "fronts:read", "members:read")}
    yield api, owner, viewers, members, fronts["S"], fronts["H"]
    api.close()


def _switches(members: dict, expected: list[tuple[int, list[str]]]) -> list[dict]:
    return [{"timestamp": at(minute), "member_ids": [members[name]["id"] for name in names]}
            for minute, names in expected]


def _hidden_strings(members: dict, hidden_fronts: list[dict]) -> list[str]:
    hidden = members["H"]
    return [hidden["id"], hidden["uuid"], "Hidden Marker", "H marker", *(f["id"] for f in hidden_fronts)]


def test_the_owner_sees_every_front_and_switch(history):
    api, owner, _, members, fronts, hidden_fronts = history
    base = f"/api/v1/systems/{owner.system_id}"
    assert len(data(api.get(f"{base}/fronts", owner.session))) == len(fronts) + len(hidden_fronts)
    assert {f["member_id"] for f in data(api.get(f"{base}/fronters", owner.session))} == {members["S"]["id"]}
    assert data(api.get(f"{base}/switches", owner.session)) == _switches(members, OWNER_SWITCHES)
    assert data(api.get(f"{base}/fronts/{hidden_fronts[0]['id']}", owner.session))["comment"] == "H marker"


def test_other_viewers_see_the_history_as_if_hidden_members_did_not_exist(history):
    api, owner, viewers, members, fronts, hidden_fronts = history
    base = f"/api/v1/systems/{owner.system_id}"
    expected_switches = _switches(members, PUBLIC_SWITCHES)
    for viewer, token in viewers.items():
        bodies = []

        def get(path: str, **params):
            response = api.get(f"{base}/{path}", token, params=params)
            bodies.append(response.text)
            return data(response)

        listed = get("fronts", include="member")
        assert [f["id"] for f in listed] == [fronts[1]["id"], fronts[0]["id"]], viewer
        assert [f["member"]["id"] for f in listed] == [members["S"]["id"]] * 2
        assert [f["id"] for f in get("fronts", since=at(5), until=at(55))] == [fronts[1]["id"], fronts[0]["id"]]
        assert [f["id"] for f in get("fronts", active="false")] == [fronts[0]["id"]]
        assert [f["id"] for f in get("fronts", limit=1)] == [fronts[1]["id"]]
        assert [f["member_id"] for f in get("fronters")] == [members["S"]["id"]]
        assert get("switches") == expected_switches, viewer
        walked = [get("switches", limit=1, **({"before": before} if before else {}))
                  for before in (None, at(50), at(30), at(0))]
        assert [page[0] if page else None for page in walked] == [*expected_switches, None]
        assert get("switches", before=at(45)) == expected_switches[1:]
        for hidden in _hidden_strings(members, hidden_fronts):
            assert not any(hidden in body for body in bodies), (viewer, hidden)


def test_a_hidden_front_and_a_hidden_member_filter_answer_like_unknown_ids(history):
    api, owner, viewers, members, _, hidden_fronts = history
    base = f"/api/v1/systems/{owner.system_id}"
    hidden = members["H"]
    for token in viewers.values():
        for front_id in (f["id"] for f in hidden_fronts):
            hidden_answer = answer(api.get(f"{base}/fronts/{front_id}", token), front_id)
            unknown = str(uuid.uuid4())
            assert hidden_answer == answer(api.get(f"{base}/fronts/{unknown}", token), unknown)
            assert hidden_answer[0] == 404
        for hidden_ref, unknown_ref in ((hidden["id"], "zzzzzz"), (hidden["uuid"], str(uuid.uuid4()))):
            hidden_answer = answer(api.get(f"{base}/fronts", token, params={"member": hidden_ref}), hidden_ref)
            assert hidden_answer == answer(api.get(f"{base}/fronts", token, params={"member": unknown_ref}),
                                           unknown_ref)
            assert hidden_answer[0] == 404
    assert len(data(api.get(f"{base}/fronts", owner.session, params={"member": hidden["id"]}))) == 3


def test_a_history_of_hidden_members_only_has_no_switches_for_others(api):
    owner = api.register()
    data(api.patch("/api/v1/systems/@me", owner.session,
                   json={"privacy": {"front": "public", "front_history": "public"}}))
    hidden = member(api, owner.session, "Hidden")
    for start in range(0, 60, 2):  # more change points than a page holds, all of them hidden
        front(api, owner.session, hidden["id"], start, start + 1)
    front(api, owner.session, hidden["id"], 100)
    base = f"/api/v1/systems/{owner.system_id}"
    body = api.get(f"{base}/switches", params={"limit": 5}).json()
    assert body["data"] == [] and body["pagination"]["cursor"] is None
    assert data(api.get(f"{base}/fronters")) == [] and data(api.get(f"{base}/fronts")) == []
    assert len(data(api.get(f"{base}/switches", owner.session, params={"limit": 200}))) == 61

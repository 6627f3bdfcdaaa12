"""Results and vote_count always agree with the votes, however the votes race (one or two app instances)."""

from __future__ import annotations

import random
import threading

from ..helpers import at_once, data
from .test_polls import POLLS, aggregate, all_votes, make_member, make_poll

THREADS, MEMBERS, ROUNDS = 20, 10, 3


def test_racing_votes_and_revotes_keep_results_exact(server, make_server, api):
    second = make_server()
    account = api.register()
    members = [make_member(api, account.session, f"m{i}")["id"] for i in range(MEMBERS)]
    poll = make_poll(api, account.session, allow_multiple=True, allow_abstain=True, allow_veto=True,
                     options=[{"label": f"o{i}"} for i in range(4)])
    option_ids = [o["id"] for o in poll["options"]]
    statuses: list[int] = []
    lock = threading.Lock()

    def voter(index: int) -> None:
        rng = random.Random(index)
        client = (server, second)[index % 2].api()
        try:
            # Two threads per member, each voting several times: first votes race, and so do re-votes.
            for _ in range(ROUNDS):
                kind = rng.choice(["choice", "choice", "abstain", "veto"])
                body = {"member_id": members[index % MEMBERS], "kind": kind}
                if kind == "choice":
                    body["option_ids"] = rng.sample(option_ids, rng.randint(1, 3))
                status = client.post(f"{POLLS}/{poll['id']}/votes", account.session, json=body).status_code
                with lock:
                    statuses.append(status)
        finally:
            client.close()

    at_once(*[lambda i=i: voter(i) for i in range(THREADS)])
    assert len(statuses) == THREADS * ROUNDS and set(statuses) <= {200, 201}, statuses
    assert statuses.count(201) == MEMBERS  # each member's first vote is the only one that creates
    votes = all_votes(api, account.session, poll)
    assert sorted(v["member_id"] for v in votes) == sorted(members)
    final = data(api.get(f"{POLLS}/{poll['id']}", account.session))
    assert final["vote_count"] == MEMBERS == len(votes)
    assert final["results"] == aggregate(final, votes)
    listed = next(p for p in data(api.get(POLLS, account.session)) if p["id"] == poll["id"])
    assert listed["results"] == final["results"] and listed["vote_count"] == MEMBERS


def test_votes_racing_a_close_either_count_or_are_refused(server, make_server, api):
    second = make_server()
    account = api.register()
    members = [make_member(api, account.session, f"m{i}")["id"] for i in range(MEMBERS)]
    poll = make_poll(api, account.session)
    first_option = poll["options"][0]["id"]
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def voter(index: int) -> None:
        client = (server, second)[index % 2].api()
        try:
            body = {"member_id": members[index], "kind": "choice", "option_ids": [first_option]}
            status = client.post(f"{POLLS}/{poll['id']}/votes", account.session, json=body).status_code
            with lock:
                statuses[members[index]] = status
        finally:
            client.close()

    def closer() -> None:
        client = second.api()
        try:
            assert client.post(f"{POLLS}/{poll['id']}/close", account.session).status_code == 200
        finally:
            client.close()

    at_once(*[lambda i=i: voter(i) for i in range(MEMBERS)], closer)
    assert set(statuses.values()) <= {201, 409}, statuses
    counted = sorted(member for member, status in statuses.items() if status == 201)
    final = data(api.get(f"{POLLS}/{poll['id']}", account.session))
    assert final["closed"] is True and final["vote_count"] == len(counted)
    assert final["results"][first_option] == len(counted)
    assert sorted(v["member_id"] for v in all_votes(api, account.session, poll)) == counted

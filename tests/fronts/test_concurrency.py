"""A member never gets two overlapping fronts, even when requests race, on one worker or on several."""

from __future__ import annotations

import itertools
import threading

from ..helpers import at_once, data
from .common import FRONTERS, FRONTS, at, member


def _race(servers, token, member_id, count=10) -> list[int]:
    results: list[int] = []
    lock = threading.Lock()

    def post(index: int) -> None:
        client = servers[index % len(servers)].api()
        try:
            status = client.post(FRONTS, token, json={"member_id": member_id, "started_at": at(index)}).status_code
            with lock:
                results.append(status)
        finally:
            client.close()

    at_once(*[lambda i=i: post(i) for i in range(count)])
    return sorted(results)


def test_racing_open_fronts_for_one_member(server, api):
    account = api.register()
    sage = member(api, account.session)
    assert _race([server], account.session, sage["id"]) == [201] + [409] * 9
    assert len(data(api.get(FRONTS, account.session))) == 1


def test_racing_open_fronts_across_two_app_instances(server, make_server, api):
    """Two app instances on one database model several workers: the lock lives in the database."""
    second = make_server()
    account = api.register()
    sage = member(api, account.session)
    assert _race([server, second], account.session, sage["id"]) == [201] + [409] * 9
    assert len(data(api.get(FRONTS, account.session))) == 1


def test_racing_replacements_leave_one_consistent_set(server, make_server, api):
    second = make_server()
    account = api.register()
    members = [member(api, account.session, f"m{i}")["id"] for i in range(3)]
    results: list[int] = []

    def replace(index: int) -> None:
        client = (server, second)[index % 2].api()
        try:
            body = {"member_ids": [members[index % 3]], "at": at(index)}
            results.append(client.put(FRONTERS, account.session, json=body).status_code)
        finally:
            client.close()

    at_once(*[lambda i=i: replace(i) for i in range(8)])
    assert 200 in results and set(results) <= {200, 409, 422}
    fronts = data(api.get(FRONTS, account.session, params={"limit": 200}))
    by_member: dict[str, list] = {}
    for each in fronts:
        by_member.setdefault(each["member_id"], []).append((each["started_at"], each["ended_at"] or "~"))
    for spans in by_member.values():
        spans.sort()
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans)), spans
    assert len(data(api.get(FRONTERS, account.session))) == 1

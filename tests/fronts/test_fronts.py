from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ..helpers import QueryCounter, data, error
from .common import FRONTERS, FRONTS, at, front, member


def test_front_has_every_key_and_crud_works(api):
    account = api.register()
    sage = member(api, account.session)
    created = front(api, account.session, sage["id"], start=0, comment="morning")
    assert set(created) == {"id", "member_id", "member", "started_at", "ended_at", "comment", "created_at",
                            "updated_at"}
    assert created["member_id"] == sage["id"] and created["member"] is None and created["ended_at"] is None
    assert created["started_at"] == at(0) and created["comment"] == "morning"
    path = f"{FRONTS}/{created['id']}"
    assert data(api.get(path, account.session)) == created
    with_member = data(api.get(path, account.session, params={"include": "member"}))
    assert with_member["member"]["id"] == sage["id"] and with_member["member"]["name"] == "Sage"
    changed = data(api.patch(path, account.session, json={"comment": None, "started_at": at(-10)}))
    assert changed["comment"] is None and changed["started_at"] == at(-10) and changed["ended_at"] is None
    ended = data(api.post(f"{path}/end", account.session, json={"ended_at": at(5)}))
    assert ended["ended_at"] == at(5)
    failure = error(api.post(f"{path}/end", account.session), 409, "CONFLICT")
    assert failure["details"]["reason"] == "front_ended"
    assert api.delete(path, account.session).status_code == 204
    error(api.get(path, account.session), 404, "NOT_FOUND")
    error(api.delete(path, account.session), 404, "NOT_FOUND")
    error(api.get(f"{FRONTS}/not-a-uuid", account.session), 422, "VALIDATION_FAILED")


def test_start_defaults_to_now_and_end_defaults_to_now(api):
    account = api.register()
    sage = member(api, account.session)
    before = datetime.now(UTC) - timedelta(seconds=5)
    created = front(api, account.session, sage["id"])
    started = datetime.fromisoformat(created["started_at"])
    assert before <= started <= datetime.now(UTC) + timedelta(seconds=5)
    ended = data(api.post(f"{FRONTS}/{created['id']}/end", account.session))
    assert datetime.fromisoformat(ended["ended_at"]) >= started
    # a closed front can be logged in one go, back-dated
    logged = front(api, account.session, sage["id"], start=0, end=30)
    assert (logged["started_at"], logged["ended_at"]) == (at(0), at(30))


def test_overlaps_are_refused_and_touching_fronts_are_allowed(api):
    account = api.register()
    sage, ash = member(api, account.session), member(api, account.session, "Ash")
    first = front(api, account.session, sage["id"], start=0, end=60)
    for start, end in [(30, 90), (-30, 30), (10, 20), (-10, 70), (0, 60), (59, None), (-100, None)]:
        body = {"member_id": sage["id"], "started_at": at(start)} | ({"ended_at": at(end)} if end else {})
        failure = error(api.post(FRONTS, account.session, json=body), 409, "CONFLICT")
        assert failure["details"]["reason"] == "front_overlap", (start, end)
    front(api, account.session, sage["id"], start=60, end=90)  # touching the end
    front(api, account.session, sage["id"], start=-30, end=0)  # touching the start
    front(api, account.session, ash["id"], start=0, end=60)  # co-fronting is another member
    later = front(api, account.session, sage["id"], start=120)
    # reopening the first front would run into the later ones
    failure = error(api.patch(f"{FRONTS}/{first['id']}", account.session, json={"ended_at": None}), 409, "CONFLICT")
    assert failure["details"]["reason"] == "front_overlap"
    error(api.patch(f"{FRONTS}/{later['id']}", account.session, json={"started_at": at(80)}), 409, "CONFLICT")
    # moving a front within its own slot is fine (it does not overlap itself)
    moved = data(api.patch(f"{FRONTS}/{first['id']}", account.session,
                           json={"started_at": at(1), "ended_at": at(59)}))
    assert (moved["started_at"], moved["ended_at"]) == (at(1), at(59))
    assert api.delete(f"{FRONTS}/{later['id']}", account.session).status_code == 204
    # with nothing after them, the latest front may be reopened
    fronts = data(api.get(FRONTS, account.session, params={"member": sage["id"]}))
    newest = fronts[0]
    assert newest["started_at"] == at(60)
    assert data(api.patch(f"{FRONTS}/{newest['id']}", account.session, json={"ended_at": None}))["ended_at"] is None


@pytest.mark.parametrize("body, key", [
    ({"started_at": "2030-01-01T00:00:00"}, "started_at"),  # no offset
    ({"started_at": "yesterday"}, "started_at"),
    ({"started_at": "1800-01-01T00:00:00Z"}, "started_at"),
    ({"ended_at": "2020-01-01T00:00:00"}, "ended_at"),
    ({"comment": "c" * 501}, "comment"),
    ({"member_id": "zzzzzz"}, "member_id"),
    ({"member_id": "not an id"}, "member_id"),
    ({"member_id": None}, "member_id"),
    ({"colour": "red"}, "colour"),
])
def test_create_rules(api, body, key):
    account = api.register()
    sage = member(api, account.session)
    failure = error(api.post(FRONTS, account.session, json={"member_id": sage["id"]} | body), 422,
                    "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert data(api.get(FRONTS, account.session)) == []


def test_future_and_reversed_times_are_refused_with_clear_errors(api):
    account = api.register()
    sage = member(api, account.session)
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    later = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    failure = error(api.post(FRONTS, account.session, json={"member_id": sage["id"], "started_at": later}), 422,
                    "VALIDATION_FAILED")
    assert "future" in failure["details"]["fields"]["started_at"]
    failure = error(api.post(FRONTS, account.session, json={"member_id": sage["id"], "started_at": at(0),
                                                           "ended_at": later}), 422, "VALIDATION_FAILED")
    assert "future" in failure["details"]["fields"]["ended_at"]
    for end in (0, -1):
        failure = error(api.post(FRONTS, account.session, json={"member_id": sage["id"], "started_at": at(0),
                                                               "ended_at": at(end)}), 422, "VALIDATION_FAILED")
        assert "after started_at" in failure["details"]["fields"]["ended_at"]
    skewed = data(api.post(FRONTS, account.session, json={"member_id": sage["id"], "started_at": soon}), 201)
    path = f"{FRONTS}/{skewed['id']}"
    error(api.post(f"{path}/end", account.session, json={"ended_at": at(0)}), 422, "VALIDATION_FAILED")
    error(api.patch(path, account.session, json={"started_at": None}), 422, "VALIDATION_FAILED")
    closed = front(api, account.session, sage["id"], start=0, end=10)
    failure = error(api.patch(f"{FRONTS}/{closed['id']}", account.session, json={"started_at": at(10)}), 422,
                    "VALIDATION_FAILED")
    assert "started_at" in failure["details"]["fields"]
    error(api.put(FRONTERS, account.session, json={"member_ids": [], "at": later}), 422, "VALIDATION_FAILED")


def test_another_systems_member_cannot_be_used(api):
    owner, other = api.register(), api.register()
    theirs = member(api, other.session)
    failure = error(api.post(FRONTS, owner.session, json={"member_id": theirs["id"]}), 422, "VALIDATION_FAILED")
    assert "member_id" in failure["details"]["fields"]
    failure = error(api.post(FRONTS, owner.session, json={"member_id": theirs["uuid"]}), 422, "VALIDATION_FAILED")
    assert "member_id" in failure["details"]["fields"]
    failure = error(api.put(FRONTERS, owner.session, json={"member_ids": [theirs["id"]]}), 422, "VALIDATION_FAILED")
    assert "member_ids.0" in failure["details"]["fields"]
    error(api.get(FRONTS, owner.session, params={"member": theirs["id"]}), 404, "NOT_FOUND")
    theirs_front = front(api, other.session, theirs["id"])
    error(api.get(f"{FRONTS}/{theirs_front['id']}", owner.session), 404, "NOT_FOUND")
    error(api.patch(f"{FRONTS}/{theirs_front['id']}", owner.session, json={"comment": "x"}), 404, "NOT_FOUND")
    foreign = f"/api/v1/systems/{other.system_id}"
    error(api.patch(f"{foreign}/fronts/{theirs_front['id']}", owner.session, json={"comment": "x"}), 403,
          "FORBIDDEN")
    error(api.post(f"{foreign}/fronts/{theirs_front['id']}/end", owner.session), 403, "FORBIDDEN")
    error(api.delete(f"{foreign}/fronts/{theirs_front['id']}", owner.session), 403, "FORBIDDEN")
    error(api.put(f"{foreign}/fronters", owner.session, json={"member_ids": []}), 403, "FORBIDDEN")
    error(api.post(f"{foreign}/fronts", owner.session, json={"member_id": theirs["id"]}), 403, "FORBIDDEN")


def test_put_fronters_replaces_the_set_atomically(api):
    account = api.register()
    a, b, c = (member(api, account.session, name) for name in ("A", "B", "C"))
    custom = member(api, account.session, "Blurry", is_custom_front=True)
    first = data(api.put(FRONTERS, account.session, json={"member_ids": [a["id"], b["id"]], "at": at(0),
                                                          "comment": "waking"}))
    assert {f["member_id"] for f in first} == {a["id"], b["id"]}
    assert all(f["member"]["id"] == f["member_id"] and f["comment"] == "waking" for f in first)
    kept = {f["member_id"]: f["id"] for f in first}
    second = data(api.put(FRONTERS, account.session, json={"member_ids": [b["uuid"], c["id"], custom["id"]],
                                                           "at": at(30)}))
    assert {f["member_id"] for f in second} == {b["id"], c["id"], custom["id"]}
    by_member = {f["member_id"]: f for f in second}
    assert by_member[b["id"]]["id"] == kept[b["id"]] and by_member[b["id"]]["started_at"] == at(0)
    assert by_member[c["id"]]["started_at"] == at(30) and by_member[custom["id"]]["member"]["is_custom_front"]
    assert data(api.get(FRONTERS, account.session)) == second
    history = data(api.get(FRONTS, account.session))
    assert len(history) == 4  # a, b, then c and the custom front: nothing doubled
    ended_a = next(f for f in history if f["member_id"] == a["id"])
    assert ended_a["ended_at"] == at(30) and ended_a["id"] == kept[a["id"]]
    # the same set again changes nothing
    again = data(api.put(FRONTERS, account.session, json={"member_ids": [c["id"], b["id"], custom["id"]],
                                                          "at": at(40)}))
    assert again == second and len(data(api.get(FRONTS, account.session))) == 4
    # ending before a front it would end started is refused and changes nothing
    failure = error(api.put(FRONTERS, account.session, json={"member_ids": [], "at": at(20)}), 422,
                    "VALIDATION_FAILED")
    assert "at" in failure["details"]["fields"]
    assert data(api.get(FRONTERS, account.session)) == second
    # starting A again at a time that overlaps A's history is refused as a whole: B is not ended either
    failure = error(api.put(FRONTERS, account.session, json={"member_ids": [a["id"], c["id"], custom["id"]],
                                                             "at": at(29)}), 409, "CONFLICT")
    assert failure["details"]["reason"] == "front_overlap"
    assert data(api.get(FRONTERS, account.session)) == second
    assert data(api.put(FRONTERS, account.session, json={"member_ids": [], "at": at(60)})) == []
    assert data(api.get(FRONTERS, account.session)) == []
    assert len(data(api.get(FRONTS, account.session, params={"active": "false"}))) == 4


def test_custom_fronts_front_like_members(api):
    account = api.register()
    custom = member(api, account.session, "Dissociated", is_custom_front=True)
    made = front(api, account.session, custom["id"], start=0)
    assert data(api.get(FRONTERS, account.session))[0]["id"] == made["id"]
    error(api.post(FRONTS, account.session, json={"member_id": custom["id"], "started_at": at(5)}), 409, "CONFLICT")


def test_filters_and_pages_without_gaps(api):
    account = api.register()
    a, b = member(api, account.session, "A"), member(api, account.session, "B")
    made = [front(api, account.session, a["id"], start=i * 10, end=i * 10 + 5) for i in range(5)]
    made += [front(api, account.session, b["id"], start=i * 10 + 3, end=i * 10 + 8) for i in range(4)]
    made.append(front(api, account.session, b["id"], start=100))
    newest_first = sorted(made, key=lambda f: (f["started_at"], f["id"]), reverse=True)
    seen, cursor = [], None
    while True:
        body = api.get(FRONTS, account.session, params={"limit": 3} | ({"cursor": cursor} if cursor else {})).json()
        assert len(body["data"]) <= 3
        seen += body["data"]
        cursor = body["pagination"]["cursor"]
        assert body["pagination"]["has_more"] == (cursor is not None)
        if cursor is None:
            break
    assert [f["id"] for f in seen] == [f["id"] for f in newest_first]

    def ids(**params):
        return [f["id"] for f in data(api.get(FRONTS, account.session, params=params))]

    assert ids(member=a["id"]) == [f["id"] for f in newest_first if f["member_id"] == a["id"]]
    assert ids(member=b["uuid"], active="true") == [made[-1]["id"]]
    assert ids(active="true") == [made[-1]["id"]]
    assert len(ids(active="false")) == 9
    # overlap window [12, 23): a 10-15, b 13-18, a 20-25 (b 3-8 ends before, b 23-28 starts at the end)
    assert set(ids(since=at(12), until=at(23))) == {made[1]["id"], made[6]["id"], made[2]["id"]}
    assert set(ids(since=at(200))) == {made[-1]["id"]}
    assert set(ids(until=at(3))) == {made[0]["id"]}
    error(api.get(FRONTS, account.session, params={"member": "zzzzzz"}), 404, "NOT_FOUND")
    error(api.get(FRONTS, account.session, params={"since": at(10), "until": at(5)}), 422, "VALIDATION_FAILED")
    error(api.get(FRONTS, account.session, params={"since": "2020-01-01T00:00:00"}), 422, "VALIDATION_FAILED")
    error(api.get(FRONTS, account.session, params={"include": "members"}), 422, "VALIDATION_FAILED")
    for extreme in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        error(api.get(FRONTS, account.session, params={"since": extreme}), 422, "VALIDATION_FAILED")
        error(api.get("/api/v1/systems/@me/switches", account.session, params={"before": extreme}), 422,
              "VALIDATION_FAILED")
        error(api.post(FRONTS, account.session, json={"member_id": a["id"], "started_at": extreme}), 422,
              "VALIDATION_FAILED")
    error(api.get(FRONTS, account.session, params={"cursor": "garbage"}), 422, "VALIDATION_FAILED")


def test_include_member_costs_the_same_queries_for_any_page(server, api):
    account = api.register()
    members = [member(api, account.session, f"m{i}") for i in range(30)]
    for index, each in enumerate(members):
        front(api, account.session, each["id"], start=index, end=index + 100)
    api.get(FRONTS, account.session)  # warm the token look-up path
    counts = []
    for limit in (3, 30):
        with QueryCounter(server) as counter:
            page = data(api.get(FRONTS, account.session, params={"limit": limit, "include": "member"}))
        assert len(page) == limit and all(f["member"]["id"] == f["member_id"] for f in page)
        counts.append(counter.selects)
    assert counts[0] == counts[1] <= 3, counts
    with QueryCounter(server) as counter:
        assert len(data(api.get(FRONTERS, account.session))) == 0
    assert counter.selects <= 3


def test_privacy_of_front_and_front_history(api):
    owner, stranger = api.register(), api.register()
    hidden = member(api, owner.session, "Hidden", pronouns="xe/xem")
    shown = member(api, owner.session, "Shown", pronouns="she/her",
                   privacy={"visibility": "public", "name": "public"})
    data(api.put(FRONTERS, owner.session, json={"member_ids": [shown["id"], hidden["id"]], "at": at(0)}))
    base = f"/api/v1/systems/{owner.system_id}"
    viewers = (None, stranger.session, api.pat(stranger, "fronts:read", "members:read"))  # for ?include=member
    for token in viewers:
        for path in ("fronters", "fronts", "switches"):
            failure = error(api.get(f"{base}/{path}", token), 403, "FORBIDDEN")
            assert failure["message"]
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"front": "public"}}))
    for token in viewers:
        current = data(api.get(f"{base}/fronters", token))
        by_member = {f["member_id"]: f["member"] for f in current}
        assert set(by_member) == {shown["id"]}  # a hidden member's fronts are left out (test_privacy.py)
        assert by_member[shown["id"]]["name"] == "Shown" and by_member[shown["id"]]["privacy"] is None
        error(api.get(f"{base}/fronts", token), 403, "FORBIDDEN")
        error(api.get(f"{base}/fronts/{current[0]['id']}", token), 403, "FORBIDDEN")
        error(api.get(f"{base}/switches", token), 403, "FORBIDDEN")
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"front": "private",
                                                                           "front_history": "public"}}))
    for token in viewers:
        error(api.get(f"{base}/fronters", token), 403, "FORBIDDEN")
        listed = data(api.get(f"{base}/fronts", token, params={"include": "member"}))
        assert {f["member_id"] for f in listed} == {shown["id"]}
        assert all(f["member"]["privacy"] is None and f["member"]["pronouns"] is None for f in listed)
        assert data(api.get(f"{base}/switches", token))[0]["member_ids"]
        data(api.get(f"{base}/fronts/{listed[0]['id']}", token))
    owner_view = data(api.get(f"{base}/fronters", owner.session))
    assert {f["member"]["name"] for f in owner_view} == {"Hidden", "Shown"}


def test_scopes(api):
    account = api.register()
    sage = member(api, account.session)
    made = front(api, account.session, sage["id"], start=0)
    error(api.get(FRONTS, api.pat(account, "members:read")), 403, "INSUFFICIENT_SCOPE")
    error(api.get(FRONTERS, api.pat(account, "members:read")), 403, "INSUFFICIENT_SCOPE")
    reader = api.pat(account, "fronts:read")
    assert data(api.get(FRONTERS, reader))[0]["id"] == made["id"]
    data(api.get("/api/v1/systems/@me/switches", reader))
    error(api.post(FRONTS, reader, json={"member_id": sage["id"]}), 403, "INSUFFICIENT_SCOPE")
    error(api.put(FRONTERS, reader, json={"member_ids": []}), 403, "INSUFFICIENT_SCOPE")
    error(api.patch(f"{FRONTS}/{made['id']}", reader, json={"comment": "x"}), 403, "INSUFFICIENT_SCOPE")
    error(api.post(f"{FRONTS}/{made['id']}/end", reader), 403, "INSUFFICIENT_SCOPE")
    error(api.delete(f"{FRONTS}/{made['id']}", reader), 403, "INSUFFICIENT_SCOPE")
    error(api.post(FRONTS, json={"member_id": sage["id"]}), 401, "UNAUTHENTICATED")
    error(api.put(f"/api/v1/systems/{account.system_id}/fronters", json={"member_ids": []}), 401,
          "UNAUTHENTICATED")
    writer = api.pat(account, "fronts:write")
    assert data(api.post(f"{FRONTS}/{made['id']}/end", writer))["ended_at"] is not None


def test_deleting_a_member_deletes_its_fronts(api):
    account = api.register()
    sage = member(api, account.session)
    front(api, account.session, sage["id"], start=0, end=5)
    assert api.delete(f"/api/v1/systems/@me/members/{sage['id']}", account.session).status_code == 204
    assert data(api.get(FRONTS, account.session)) == []


def test_openapi_documents_the_switch_cursor(api):
    spec = api.get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/systems/{sid}/switches"]["get"]
    assert "before" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} >= {"before", "limit", "cursor"}


def test_since_finds_long_and_open_fronts_on_every_page(api):
    """?since= without ?until= stops its walk at the earliest front still going at `since` (bench/fronts.py has the
    cost): the fronts that began long before must still be found, on any page size."""
    account = api.register()
    token = account.session
    a, b, c = (member(api, token, name)["id"] for name in ("Long", "Short", "Open"))
    long_one = front(api, token, a, 0, 1000)
    shorts = [front(api, token, b, start, start + 10) for start in (100, 500, 700)]
    late = front(api, token, b, 990, 1010)
    still_open = front(api, token, c, 5)

    def walk(limit: int, **params) -> list[str]:
        seen, cursor = [], None
        while True:
            page = {"since": at(995), "limit": limit, **params, **({"cursor": cursor} if cursor else {})}
            body = api.get(FRONTS, token, params=page).json()
            seen += [f["id"] for f in body["data"]]
            cursor = body["pagination"]["cursor"]
            if cursor is None:
                return seen

    expected = [late["id"], still_open["id"], long_one["id"]]  # newest start first
    for limit in (1, 2, 50):
        assert walk(limit) == expected
    assert walk(1, member=a) == [long_one["id"]]
    assert walk(1, member=b) == [late["id"]]
    assert not {f["id"] for f in shorts} & set(walk(50))
    assert [f["id"] for f in data(api.get(FRONTS, token, params={"since": at(2000)}))] == [still_open["id"]]

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from ..helpers import QueryCounter, data, error

POLLS = "/api/v1/systems/@me/polls"
MEMBERS = "/api/v1/systems/@me/members"


def stamp(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat().replace("+00:00", "Z")


def make_poll(api, token, **spec) -> dict:
    body = {"title": "Lunch?", "options": [{"label": "Pizza"}, {"label": "Soup"}]} | spec
    return data(api.post(POLLS, token, json=body), 201)


def make_member(api, token, name="Sage", **spec) -> dict:
    return data(api.post(MEMBERS, token, json={"name": name} | spec), 201)


def vote(api, token, poll, member_id, status=201, **body) -> dict:
    body = {"member_id": member_id, "kind": "choice"} | body
    return data(api.post(f"{POLLS}/{poll['id']}/votes", token, json=body), status)


def option(poll, index) -> str:
    return poll["options"][index]["id"]


def all_votes(api, token, poll) -> list[dict]:
    return data(api.get(f"{POLLS}/{poll['id']}/votes", token, params={"limit": 200}))


def aggregate(poll: dict, votes: list[dict]) -> dict:
    counts = Counter()
    for each in votes:
        if each["kind"] == "choice":
            counts.update(each["option_ids"])
        else:
            counts[each["kind"]] += 1
    return {o["id"]: counts[o["id"]] for o in poll["options"]} | {"abstain": counts["abstain"],
                                                                 "veto": counts["veto"]}


# --- polls ---------------------------------------------------------------------------------------------------

def test_poll_has_every_key_of_the_contract(api):
    account = api.register()
    sage = make_member(api, account.session)
    poll = make_poll(api, account.session, description="where", created_by=sage["uuid"],
                     options=[{"label": "Pizza", "color": "FF0000"}, {"label": "Soup", "color": "#00ff00"},
                              {"label": "Salad"}], allow_abstain=True, closes_at=stamp(timedelta(days=1)))
    assert set(poll) == {"id", "title", "description", "options", "allow_multiple", "allow_abstain", "allow_veto",
                         "closes_at", "closed", "created_by", "results", "vote_count", "created_at"}
    uuid.UUID(poll["id"])
    assert [o["label"] for o in poll["options"]] == ["Pizza", "Soup", "Salad"]
    assert [o["color"] for o in poll["options"]] == ["#ff0000", "#00ff00", None]
    assert len({o["id"] for o in poll["options"]}) == 3 and all(uuid.UUID(o["id"]) for o in poll["options"])
    assert poll["results"] == {option(poll, 0): 0, option(poll, 1): 0, option(poll, 2): 0, "abstain": 0, "veto": 0}
    assert poll["vote_count"] == 0 and poll["closed"] is False and poll["created_by"] == sage["id"]
    assert (poll["allow_multiple"], poll["allow_abstain"], poll["allow_veto"]) == (False, True, False)
    assert poll["closes_at"].endswith("Z") and poll["created_at"].endswith("Z")
    assert data(api.get(f"{POLLS}/{poll['id']}", account.session)) == poll


def test_crud_and_list_newest_first(api):
    account = api.register()
    first = make_poll(api, account.session, title="first", description="d")
    second = make_poll(api, account.session, title="second")
    assert [p["id"] for p in data(api.get(POLLS, account.session))] == [second["id"], first["id"]]
    page = api.get(POLLS, account.session, params={"limit": 1}).json()
    assert [p["id"] for p in page["data"]] == [second["id"]] and page["pagination"]["has_more"] is True
    rest = data(api.get(POLLS, account.session, params={"limit": 1, "cursor": page["pagination"]["cursor"]}))
    assert [p["id"] for p in rest] == [first["id"]]
    path = f"{POLLS}/{first['id']}"
    changed = data(api.patch(path, account.session, json={"title": "renamed", "description": None,
                                                          "allow_veto": True}))
    assert changed["title"] == "renamed" and changed["description"] is None and changed["allow_veto"] is True
    assert changed["options"] == first["options"] and changed["allow_abstain"] is False
    assert api.delete(path, account.session).status_code == 204
    error(api.get(path, account.session), 404, "NOT_FOUND")
    error(api.delete(path, account.session), 404, "NOT_FOUND")
    error(api.get(f"{POLLS}/not-a-uuid", account.session), 422, "VALIDATION_FAILED")


def test_list_filters_by_closed(api):
    account = api.register()
    open_poll = make_poll(api, account.session, closes_at=stamp(timedelta(hours=1)))
    timed_out = make_poll(api, account.session, closes_at=stamp(-timedelta(hours=1)))
    closed = make_poll(api, account.session)
    data(api.post(f"{POLLS}/{closed['id']}/close", account.session))

    def ids(**params):
        return {p["id"] for p in data(api.get(POLLS, account.session, params=params))}

    assert ids(closed="true") == {timed_out["id"], closed["id"]}
    assert ids(closed="false") == {open_poll["id"]}
    assert len(ids()) == 3


OPTIONS = [{"label": "a"}, {"label": "b"}]


@pytest.mark.parametrize("body, key", [
    ({"options": [{"label": "only"}]}, "options"),
    ({"options": [{"label": f"o{i}"} for i in range(51)]}, "options"),
    ({"options": []}, "options"),
    ({"options": None}, "options"),
    ({"options": [{"label": "Same"}, {"label": "same "}]}, "options.1.label"),
    ({"options": [{"label": "a", "color": "#12345"}, {"label": "b"}]}, "options.0.color"),
    ({"options": [{"label": "a", "color": "red"}, {"label": "b"}]}, "options.0.color"),
    ({"options": [{"label": ""}, {"label": "b"}]}, "options.0.label"),
    ({"options": [{"label": "   "}, {"label": "b"}]}, "options.0.label"),
    ({"options": [{"label": "x" * 101}, {"label": "b"}]}, "options.0.label"),
    ({"options": [{"label": "a", "votes": 3}, {"label": "b"}]}, "options.0.votes"),
    ({"options": "a,b"}, "options"),
    ({"title": ""}, "title"),
    ({"title": "  "}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"title": None}, "title"),
    ({"description": "d" * 2001}, "description"),
    ({"allow_multiple": "yes"}, "allow_multiple"),
    ({"allow_abstain": 1}, "allow_abstain"),
    ({"allow_veto": None}, "allow_veto"),
    ({"allow_veto": "true"}, "allow_veto"),
    ({"closes_at": "2030-01-01T00:00:00"}, "closes_at"),
    ({"closes_at": "next tuesday"}, "closes_at"),
    ({"closes_at": "0001-01-01T00:00:00+01:00"}, "closes_at"),
    ({"closed": True}, "closed"),
    ({"results": {}}, "results"),
])
def test_poll_rules_refuse_bad_input_and_change_nothing(api, body, key):
    account = api.register()
    poll = make_poll(api, account.session)
    path = f"{POLLS}/{poll['id']}"
    failure = error(api.patch(path, account.session, json=body), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert data(api.get(path, account.session)) == poll
    failure = error(api.post(POLLS, account.session, json={"title": "t", "options": OPTIONS} | body), 422,
                    "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert [p["id"] for p in data(api.get(POLLS, account.session))] == [poll["id"]]


def test_create_rules_of_its_own(api):
    account, other = api.register(), api.register()
    stranger = make_member(api, other.session)
    for body, key in [({"options": [{"id": str(uuid.uuid4()), "label": "a"}, {"label": "b"}]}, "options.0.id"),
                      ({"created_by": stranger["id"]}, "created_by"),
                      ({"created_by": "zzzzzz"}, "created_by"),
                      ({"options": None}, "options"),
                      ({"title": None}, "title")]:
        spec = {"title": "t", "options": OPTIONS} | body
        spec = {k: v for k, v in spec.items() if v is not None}
        failure = error(api.post(POLLS, account.session, json=spec), 422, "VALIDATION_FAILED")
        assert key in failure["details"]["fields"], (body, failure)
    assert data(api.get(POLLS, account.session)) == []


def test_options_change_freely_until_there_are_votes(api):
    account = api.register()
    sage = make_member(api, account.session)
    poll = make_poll(api, account.session)
    path = f"{POLLS}/{poll['id']}"
    kept = poll["options"][0]
    changed = data(api.patch(path, account.session, json={"options": [
        {"id": kept["id"], "label": "Pizza!", "color": "abcdef"}, {"label": "Tacos"}, {"label": "Soup"}]}))
    assert changed["options"][0] == {"id": kept["id"], "label": "Pizza!", "color": "#abcdef"}
    assert [o["label"] for o in changed["options"]] == ["Pizza!", "Tacos", "Soup"]
    assert changed["options"][2]["id"] != poll["options"][1]["id"]  # no id sent: a new option
    assert set(changed["results"]) == {o["id"] for o in changed["options"]} | {"abstain", "veto"}
    failure = error(api.patch(path, account.session, json={"options": [{"id": str(uuid.uuid4()), "label": "x"},
                                                                       {"label": "y"}]}), 422, "VALIDATION_FAILED")
    assert "options.0.id" in failure["details"]["fields"]
    failure = error(api.patch(path, account.session, json={"options": [{"id": kept["id"], "label": "x"},
                                                                       {"id": kept["id"], "label": "y"}]}),
                    422, "VALIDATION_FAILED")
    assert "options.1.id" in failure["details"]["fields"]

    vote(api, account.session, changed, sage["id"], option_ids=[option(changed, 1)])
    same = [{"id": o["id"], "label": o["label"], "color": o["color"]} for o in changed["options"]]
    assert data(api.patch(path, account.session, json={"options": same}))["options"] == changed["options"]
    for options in (same[:2], [*same, {"label": "new"}], [same[0] | {"label": "Renamed"}, *same[1:]]):
        failure = error(api.patch(path, account.session, json={"options": options}), 409, "CONFLICT")
        assert failure["details"]["reason"] == "poll_has_votes"
    assert data(api.get(path, account.session))["options"] == changed["options"]
    assert data(api.patch(path, account.session, json={"title": "still editable"}))["title"] == "still editable"


def test_settings_that_votes_rely_on_cannot_be_turned_off(api):
    account = api.register()
    sage, ash = make_member(api, account.session, "Sage"), make_member(api, account.session, "Ash")
    poll = make_poll(api, account.session, allow_multiple=True, allow_abstain=True, allow_veto=True)
    path = f"{POLLS}/{poll['id']}"
    vote(api, account.session, poll, sage["id"], option_ids=[option(poll, 0), option(poll, 1)])
    vote(api, account.session, poll, ash["id"], kind="abstain")
    for flag in ("allow_multiple", "allow_abstain"):
        failure = error(api.patch(path, account.session, json={flag: False}), 409, "CONFLICT")
        assert failure["details"]["reason"] == "poll_has_votes"
    assert data(api.patch(path, account.session, json={"allow_veto": False}))["allow_veto"] is False
    vote(api, account.session, poll, sage["id"], 200, option_ids=[option(poll, 0)])
    assert data(api.patch(path, account.session, json={"allow_multiple": False}))["allow_multiple"] is False


# --- votes -----------------------------------------------------------------------------------------------------

def test_vote_rules(api):
    account, other = api.register(), api.register()
    sage = make_member(api, account.session)
    stranger = make_member(api, other.session)
    single = make_poll(api, account.session)
    a, b = option(single, 0), option(single, 1)
    other_poll = make_poll(api, account.session)
    cases = [
        ({"option_ids": [a, b]}, "option_ids"),  # single choice refuses two
        ({"option_ids": []}, "option_ids"),
        ({}, "option_ids"),
        ({"option_ids": None}, "option_ids"),
        ({"option_ids": [str(uuid.uuid4())]}, "option_ids.0"),
        ({"option_ids": [option(other_poll, 0)]}, "option_ids.0"),
        ({"option_ids": ["nope"]}, "option_ids.0"),
        ({"kind": "abstain"}, "kind"),
        ({"kind": "veto"}, "kind"),
        ({"kind": "maybe", "option_ids": [a]}, "kind"),
        ({"kind": None, "option_ids": [a]}, "kind"),
        ({"option_ids": [a], "member_id": stranger["id"]}, "member_id"),
        ({"option_ids": [a], "member_id": stranger["uuid"]}, "member_id"),
        ({"option_ids": [a], "member_id": "qqqqqq"}, "member_id"),
        ({"option_ids": [a], "member_id": None}, "member_id"),
        ({"option_ids": [a], "comment": "c" * 501}, "comment"),
        ({"option_ids": a}, "option_ids"),
        ({"option_ids": [a], "weight": 2}, "weight"),
    ]
    for body, key in cases:
        sent = {"member_id": sage["id"], "kind": "choice"} | body
        failure = error(api.post(f"{POLLS}/{single['id']}/votes", account.session, json=sent), 422,
                        "VALIDATION_FAILED")
        assert key in failure["details"]["fields"], (body, failure)
    multi = make_poll(api, account.session, allow_multiple=True, allow_abstain=True, allow_veto=True,
                      options=[{"label": "x"}, {"label": "y"}, {"label": "z"}])
    x = option(multi, 0)
    for body, key in [({"option_ids": [x, x]}, "option_ids.1"),
                      ({"kind": "abstain", "option_ids": [x]}, "option_ids"),
                      ({"kind": "veto", "option_ids": [x]}, "option_ids")]:
        failure = error(api.post(f"{POLLS}/{multi['id']}/votes", account.session,
                                 json={"member_id": sage["id"]} | body), 422, "VALIDATION_FAILED")
        assert key in failure["details"]["fields"], (body, failure)
    assert all_votes(api, account.session, single) == [] == all_votes(api, account.session, multi)
    assert data(api.get(f"{POLLS}/{single['id']}", account.session))["vote_count"] == 0


def test_votes_replace_and_count(api):
    account = api.register()
    members = [make_member(api, account.session, f"m{i}") for i in range(4)]
    poll = make_poll(api, account.session, allow_multiple=True, allow_abstain=True, allow_veto=True,
                     options=[{"label": "x"}, {"label": "y"}, {"label": "z"}])
    x, y, z = (option(poll, i) for i in range(3))
    first = vote(api, account.session, poll, members[0]["id"], option_ids=[x], comment="yum")
    assert first == {"member_id": members[0]["id"], "option_ids": [x], "kind": "choice", "comment": "yum",
                     "created_at": first["created_at"]}
    vote(api, account.session, poll, members[1]["uuid"], option_ids=[x, y])
    vote(api, account.session, poll, members[2]["id"], kind="abstain")
    vote(api, account.session, poll, members[3]["id"], kind="veto", option_ids=[])
    got = data(api.get(f"{POLLS}/{poll['id']}", account.session))
    assert got["results"] == {x: 2, y: 1, z: 0, "abstain": 1, "veto": 1} and got["vote_count"] == 4
    # Voting again replaces the member's vote (200), it never adds a second one.
    replaced = vote(api, account.session, poll, members[0]["id"], 200, option_ids=[z])
    assert replaced["option_ids"] == [z] and replaced["comment"] is None
    vote(api, account.session, poll, members[2]["id"], 200, option_ids=[y, z])
    got = data(api.get(f"{POLLS}/{poll['id']}", account.session))
    assert got["results"] == {x: 1, y: 2, z: 2, "abstain": 0, "veto": 1} and got["vote_count"] == 4
    votes = all_votes(api, account.session, poll)
    assert len(votes) == 4 and len({v["member_id"] for v in votes}) == 4
    assert got["results"] == aggregate(got, votes)
    # Removing a vote.
    assert api.delete(f"{POLLS}/{poll['id']}/votes/{members[3]['id']}", account.session).status_code == 204
    error(api.delete(f"{POLLS}/{poll['id']}/votes/{members[3]['id']}", account.session), 404, "NOT_FOUND")
    error(api.delete(f"{POLLS}/{poll['id']}/votes/qqqqqq", account.session), 404, "NOT_FOUND")
    got = data(api.get(f"{POLLS}/{poll['id']}", account.session))
    assert got["results"]["veto"] == 0 and got["vote_count"] == 3
    assert got["results"] == aggregate(got, all_votes(api, account.session, poll))
    # Deleting a member removes its vote; deleting the creator leaves the poll without one.
    assert api.delete(f"{MEMBERS}/{members[1]['id']}", account.session).status_code == 204
    got = data(api.get(f"{POLLS}/{poll['id']}", account.session))
    assert got["results"] == {x: 0, y: 1, z: 2, "abstain": 0, "veto": 0} and got["vote_count"] == 2


def test_creator_deleted_reads_null(api):
    account = api.register()
    sage = make_member(api, account.session)
    poll = make_poll(api, account.session, created_by=sage["id"])
    assert api.delete(f"{MEMBERS}/{sage['id']}", account.session).status_code == 204
    assert data(api.get(f"{POLLS}/{poll['id']}", account.session))["created_by"] is None


def test_closed_polls_refuse_votes(api):
    account = api.register()
    sage, ash = make_member(api, account.session, "Sage"), make_member(api, account.session, "Ash")
    timed = make_poll(api, account.session, closes_at=stamp(timedelta(hours=1)))
    vote(api, account.session, timed, ash["id"], option_ids=[option(timed, 0)])
    timed = data(api.patch(f"{POLLS}/{timed['id']}", account.session, json={"closes_at": stamp(-timedelta(seconds=1))}))
    assert timed["closed"] is True
    for response in (api.post(f"{POLLS}/{timed['id']}/votes", account.session,
                              json={"member_id": sage["id"], "kind": "choice", "option_ids": [option(timed, 0)]}),
                     api.delete(f"{POLLS}/{timed['id']}/votes/{ash['id']}", account.session)):
        assert error(response, 409, "CONFLICT")["details"] == {"reason": "poll_closed"}
    # A later closing time reopens a poll that closed by time.
    reopened = data(api.patch(f"{POLLS}/{timed['id']}", account.session, json={"closes_at": None}))
    assert reopened["closed"] is False
    vote(api, account.session, reopened, sage["id"], option_ids=[option(timed, 1)])

    explicit = make_poll(api, account.session)
    closed = data(api.post(f"{POLLS}/{explicit['id']}/close", account.session))
    assert closed["closed"] is True and closed["closes_at"] is None
    assert data(api.post(f"{POLLS}/{explicit['id']}/close", account.session)) == closed  # idempotent
    failure = error(api.post(f"{POLLS}/{explicit['id']}/votes", account.session,
                             json={"member_id": sage["id"], "kind": "choice",
                                   "option_ids": [option(explicit, 0)]}), 409, "CONFLICT")
    assert failure["details"]["reason"] == "poll_closed"
    # Changing the closing time does not reopen an explicitly closed poll.
    assert data(api.patch(f"{POLLS}/{explicit['id']}", account.session,
                          json={"closes_at": stamp(timedelta(days=1))}))["closed"] is True
    past = make_poll(api, account.session, closes_at=stamp(-timedelta(days=1)))
    assert past["closed"] is True
    error(api.post(f"{POLLS}/{uuid.uuid4()}/close", account.session), 404, "NOT_FOUND")


def test_a_page_of_polls_costs_the_same_queries_whatever_its_size(server, api):
    account = api.register()
    members = [make_member(api, account.session, f"m{i}") for i in range(3)]
    polls = [make_poll(api, account.session, created_by=members[i % 3]["id"]) for i in range(12)]
    for poll in polls:
        for each in members:
            vote(api, account.session, poll, each["id"], option_ids=[option(poll, 0)])
    api.get(POLLS, account.session)
    with QueryCounter(server) as small:
        assert len(data(api.get(POLLS, account.session, params={"limit": 1}))) == 1
    with QueryCounter(server) as large:
        page = data(api.get(POLLS, account.session, params={"limit": 12}))
    assert all(p["vote_count"] == 3 and p["results"][p["options"][0]["id"]] == 3 for p in page)
    assert large.selects <= small.selects <= 5, (small.statements, large.statements)


def test_another_systems_poll_is_not_reachable_through_ones_own(api):
    owner, other = api.register(), api.register()
    poll = make_poll(api, owner.session)
    mine = make_member(api, other.session)
    error(api.get(f"{POLLS}/{poll['id']}", other.session), 404, "NOT_FOUND")
    error(api.patch(f"{POLLS}/{poll['id']}", other.session, json={"title": "x"}), 404, "NOT_FOUND")
    error(api.post(f"{POLLS}/{poll['id']}/votes", other.session,
                   json={"member_id": mine["id"], "option_ids": [option(poll, 0)]}), 404, "NOT_FOUND")
    error(api.delete(f"{POLLS}/{poll['id']}", other.session), 404, "NOT_FOUND")
    assert data(api.get(f"{POLLS}/{poll['id']}", owner.session))["title"] == "Lunch?"


# --- privacy ---------------------------------------------------------------------------------------------------

def test_public_viewers_see_results_of_the_votes_they_may_see(api):
    owner, stranger = api.register(), api.register()
    hidden = make_member(api, owner.session, "Hidden")
    shown = make_member(api, owner.session, "Shown", privacy={"visibility": "public"})
    poll = make_poll(api, owner.session, created_by=hidden["id"])
    by_shown = make_poll(api, owner.session, created_by=shown["id"])
    vote(api, owner.session, poll, hidden["id"], option_ids=[option(poll, 0)])
    vote(api, owner.session, poll, shown["id"], option_ids=[option(poll, 1)])
    base = f"/api/v1/systems/{owner.system_id}/polls"
    viewers = (None, stranger.session, api.pat(stranger, "polls:read"))
    for token in viewers:  # polls are private by default
        error(api.get(base, token), 403, "FORBIDDEN")
        error(api.get(f"{base}/{poll['id']}", token), 403, "FORBIDDEN")
        error(api.get(f"{base}/{poll['id']}/votes", token), 403, "FORBIDDEN")
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"polls": "public"}}))
    owners = data(api.get(f"{base}/{poll['id']}", owner.session))
    assert owners["created_by"] == hidden["id"]
    assert [v["member_id"] for v in data(api.get(f"{base}/{poll['id']}/votes", owner.session))] == \
        [hidden["id"], shown["id"]]
    assert owners["results"] == aggregate(poll, all_votes(api, owner.session, poll)) and owners["vote_count"] == 2
    for token in viewers:
        seen = data(api.get(f"{base}/{poll['id']}", token))
        # The hidden member's vote and authorship are not there at all: totals count only the votes listed.
        visible_votes = data(api.get(f"{base}/{poll['id']}/votes", token))
        assert [v["member_id"] for v in visible_votes] == [shown["id"]]
        assert seen["results"] == aggregate(poll, visible_votes) == \
            {option(poll, 0): 0, option(poll, 1): 1, "abstain": 0, "veto": 0}
        assert seen == owners | {"created_by": None, "results": seen["results"], "vote_count": 1}
        assert hidden["id"] not in str(seen) and hidden["uuid"] not in str(seen)
        listed = {p["id"]: p for p in data(api.get(base, token))}
        assert listed[by_shown["id"]]["created_by"] == shown["id"] and listed[poll["id"]] == seen


def test_totals_for_other_viewers_follow_visibility_changes(api):
    owner = api.register()
    members = [make_member(api, owner.session, f"m{index}", privacy={"visibility": "public"}) for index in range(4)]
    poll = make_poll(api, owner.session, allow_abstain=True, allow_veto=True, allow_multiple=True)
    vote(api, owner.session, poll, members[0]["id"], option_ids=[option(poll, 0), option(poll, 1)])
    vote(api, owner.session, poll, members[1]["id"], option_ids=[option(poll, 1)])
    vote(api, owner.session, poll, members[2]["id"], kind="abstain")
    vote(api, owner.session, poll, members[3]["id"], kind="veto")
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"polls": "public"}}))
    base = f"/api/v1/systems/{owner.system_id}/polls"
    for hidden in (members[0], members[2], members[3]):
        data(api.patch(f"{MEMBERS}/{hidden['id']}", owner.session, json={"privacy": {"visibility": "private"}}))
        for token in (None, api.register().session):
            visible_votes = data(api.get(f"{base}/{poll['id']}/votes", token, params={"limit": 200}))
            expected = aggregate(poll, visible_votes)
            (listed,) = data(api.get(base, token))
            single = data(api.get(f"{base}/{poll['id']}", token))
            assert listed["results"] == single["results"] == expected
            assert listed["vote_count"] == single["vote_count"] == len(visible_votes)
    owners = data(api.get(f"{POLLS}/{poll['id']}", owner.session))
    assert owners["vote_count"] == 4 and owners["results"] == aggregate(poll, all_votes(api, owner.session, poll))

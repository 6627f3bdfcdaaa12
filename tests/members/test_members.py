from __future__ import annotations

import pytest

from ..helpers import QueryCounter, at_once, data, error

MEMBERS = "/api/v1/systems/@me/members"


def make_member(api, token, **spec) -> dict:
    return data(api.post(MEMBERS, token, json={"name": "Sage"} | spec), 201)


def test_member_has_every_key_of_the_contract(api):
    account = api.register()
    member = make_member(api, account.session, pronouns="She/her", color="34d399", roles=["Caretaker"],
                         birthday="0004-03-01", proxy_tags=[{"prefix": "s:", "suffix": None}])
    assert set(member) == {"id", "uuid", "system_id", "name", "display_name", "pronouns", "description", "color",
                           "avatar_url", "banner_url", "birthday", "roles", "proxy_tags", "keep_proxy",
                           "is_custom_front", "archived", "fields", "group_ids", "relationships", "privacy",
                           "created_at", "updated_at"}
    assert member["color"] == "#34d399" and member["roles"] == ["Caretaker"] and member["birthday"] == "0004-03-01"
    assert member["proxy_tags"] == [{"prefix": "s:", "suffix": None}]
    assert member["system_id"] == account.system_id and len(member["id"]) == 6
    assert set(member["privacy"].values()) == {"private"}
    assert (member["keep_proxy"], member["is_custom_front"], member["archived"]) == (False, False, False)
    assert member["created_at"].endswith("Z")


def test_member_found_by_short_id_and_uuid(api):
    account = api.register()
    member = make_member(api, account.session)
    assert data(api.get(f"{MEMBERS}/{member['uuid']}", account.session)) == \
        data(api.get(f"{MEMBERS}/{member['id'].upper()}", account.session))


def test_patch_changes_only_sent_keys_and_null_clears(api):
    account = api.register()
    member = make_member(api, account.session, pronouns="they/them", description="hi", roles=["Host"])
    path = f"{MEMBERS}/{member['id']}"
    changed = data(api.patch(path, account.session, json={"description": None, "display_name": "Sagey",
                                                          "privacy": {"visibility": "public"}, "archived": True}))
    assert changed["pronouns"] == "they/them" and changed["description"] is None
    assert changed["display_name"] == "Sagey" and changed["archived"] is True and changed["roles"] == ["Host"]
    assert changed["privacy"]["visibility"] == "public" and changed["privacy"]["name"] == "private"
    cleared = data(api.patch(path, account.session, json={"roles": None, "proxy_tags": None}))
    assert cleared["roles"] == [] and cleared["proxy_tags"] == [] and cleared["display_name"] == "Sagey"


@pytest.mark.parametrize("body, key", [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "n" * 101}, "name"),
    ({"name": None}, "name"),
    ({"display_name": "d" * 101}, "display_name"),
    ({"pronouns": "p" * 101}, "pronouns"),
    ({"description": "d" * 10_001}, "description"),
    ({"color": "#xyzxyz"}, "color"),
    ({"avatar_url": "http://example.org/a.png"}, "avatar_url"),
    ({"banner_url": "https://example.org/" + "b" * 240}, "banner_url"),
    ({"birthday": "2001-02-30"}, "birthday"),
    ({"birthday": "1/2/2001"}, "birthday"),
    ({"roles": ["x" * 101]}, "roles.0"),
    ({"roles": [""]}, "roles.0"),
    ({"roles": "Host"}, "roles"),
    ({"roles": ["r"] * 51}, "roles"),
    ({"proxy_tags": [{"prefix": None, "suffix": None}]}, "proxy_tags.0"),
    ({"proxy_tags": [{"prefix": "a", "infix": "b"}]}, "proxy_tags.0.infix"),
    ({"keep_proxy": None}, "keep_proxy"),
    ({"archived": "yes"}, "archived"),
    ({"privacy": {"visibility": "friends"}}, "privacy.visibility"),
    ({"privacy": {"nickname": "public"}}, "privacy.nickname"),
    ({"system_id": "abcdef"}, "system_id"),
])
def test_member_rules_refuse_bad_input_and_change_nothing(api, body, key):
    account = api.register()
    member = make_member(api, account.session)
    path = f"{MEMBERS}/{member['id']}"
    failure = error(api.patch(path, account.session, json=body), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert data(api.get(path, account.session)) == member
    if key != "name" or body["name"] is not None:
        error(api.post(MEMBERS, account.session, json={"name": "Other"} | body), 422, "VALIDATION_FAILED")
    assert len(data(api.get(MEMBERS, account.session))) == 1


def test_create_needs_a_name(api):
    account = api.register()
    failure = error(api.post(MEMBERS, account.session, json={"pronouns": "she/her"}), 422, "VALIDATION_FAILED")
    assert "name" in failure["details"]["fields"]


def test_list_filters(api):
    account = api.register()
    ash = make_member(api, account.session, name="Ash", display_name="Ashling")
    make_member(api, account.session, name="Birch", archived=True)
    front = make_member(api, account.session, name="Sleepy", is_custom_front=True)
    make_member(api, account.session, name="100%_real")

    def names(**params):
        return [m["name"] for m in data(api.get(MEMBERS, account.session, params=params))]

    assert names() == ["Ash", "Birch", "Sleepy", "100%_real"]
    assert names(archived="true") == ["Birch"]
    assert names(archived="false") == ["Ash", "Sleepy", "100%_real"]
    assert names(q="ASHL") == ["Ash"] and names(q="sh") == ["Ash"]
    assert names(q="%") == ["100%_real"] and names(q="_") == ["100%_real"]
    assert names(custom_front="true") == [front["name"]]
    error(api.get(MEMBERS, account.session, params={"include": "everything"}), 422, "VALIDATION_FAILED")
    error(api.get(MEMBERS, account.session, params={"archived": "maybe"}), 422, "VALIDATION_FAILED")
    assert ash["display_name"] == "Ashling"


def test_pages_have_no_gaps_or_duplicates_while_rows_are_inserted(api):
    account = api.register()
    for index in range(12):
        make_member(api, account.session, name=f"m{index}")
    seen, cursor, inserted = [], None, 0
    while True:
        body = api.get(MEMBERS, account.session, params={"limit": 5} | ({"cursor": cursor} if cursor else {})).json()
        seen += [m["name"] for m in body["data"]]
        make_member(api, account.session, name=f"late{inserted}")
        inserted += 1
        cursor = body["pagination"]["cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert seen[:12] == [f"m{i}" for i in range(12)]  # every original row, in order, once
    assert seen[12:] == [f"late{i}" for i in range(len(seen) - 12)]  # later rows appear at the end


def test_a_page_costs_the_same_queries_whatever_it_includes(server, api):
    account = api.register()
    field = data(api.post("/api/v1/systems/@me/fields", account.session, json={"name": "Age", "type": "text"}), 201)
    for index in range(30):
        make_member(api, account.session, name=f"m{index}", fields={field["id"]: str(index)})
    api.get(MEMBERS, account.session)  # warm the token look-up path
    with QueryCounter(server) as plain:
        assert len(data(api.get(MEMBERS, account.session, params={"limit": 30}))) == 30
    with QueryCounter(server) as everything:
        page = data(api.get(MEMBERS, account.session,
                            params={"limit": 30, "include": "fields,groups,relationships"}))
    assert all(m["fields"] == {field["id"]: m["name"][1:]} for m in page)
    # token look-up + system + members page; includes add one query each, never one per member.
    assert plain.selects <= 3, plain.statements
    assert everything.selects <= plain.selects + 3, everything.statements


def test_delete_member_removes_its_values(api):
    account = api.register()
    member = make_member(api, account.session)
    assert api.delete(f"{MEMBERS}/{member['id']}", account.session).status_code == 204
    error(api.get(f"{MEMBERS}/{member['id']}", account.session), 404, "NOT_FOUND")
    error(api.delete(f"{MEMBERS}/{member['id']}", account.session), 404, "NOT_FOUND")


def test_public_viewers_follow_member_and_system_privacy(api):
    owner, stranger = api.register(), api.register()
    hidden = make_member(api, owner.session, name="Hidden")
    shown = make_member(api, owner.session, name="Shown", pronouns="she/her", description="about",
                        birthday="1990-01-01", avatar_url="https://example.org/a.png",
                        privacy={"visibility": "public", "pronouns": "public"})
    base = f"/api/v1/systems/{owner.system_id}/members"
    for token in (None, stranger.session, api.pat(stranger, "members:read")):
        error(api.get(base, token), 403, "FORBIDDEN")  # member list private by default
        error(api.get(f"{base}/{hidden['id']}", token), 404, "NOT_FOUND")
        seen = data(api.get(f"{base}/{shown['id']}", token))
        assert seen["pronouns"] == "she/her" and seen["name"] is None and seen["description"] is None
        assert seen["birthday"] is None and seen["avatar_url"] is None and seen["privacy"] is None
        assert seen["created_at"] is None and seen["proxy_tags"] is None
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"member_list": "public"}}))
    assert [m["id"] for m in data(api.get(base))] == [shown["id"]]
    assert [m["id"] for m in data(api.get(base, owner.session))] == [hidden["id"], shown["id"]]


def test_scopes_and_ownership(api):
    owner, other = api.register(), api.register()
    member = make_member(api, owner.session)
    reader = api.pat(owner, "members:read")
    data(api.get(f"{MEMBERS}/{member['id']}", reader))
    error(api.patch(f"{MEMBERS}/{member['id']}", reader, json={"name": "x"}), 403, "INSUFFICIENT_SCOPE")
    error(api.get(MEMBERS, api.pat(owner, "fronts:read")), 403, "INSUFFICIENT_SCOPE")
    error(api.post(MEMBERS, json={"name": "x"}), 401, "UNAUTHENTICATED")
    foreign = f"/api/v1/systems/{owner.system_id}/members"
    error(api.post(foreign, other.session, json={"name": "intruder"}), 403, "FORBIDDEN")
    error(api.patch(f"{foreign}/{member['id']}", other.session, json={"name": "x"}), 403, "FORBIDDEN")
    error(api.delete(f"{foreign}/{member['id']}", other.session), 403, "FORBIDDEN")
    # Another system's member is not reachable through one's own system either.
    error(api.patch(f"{MEMBERS}/{member['id']}", other.session, json={"name": "x"}), 404, "NOT_FOUND")
    assert data(api.get(f"{MEMBERS}/{member['id']}", owner.session))["name"] == "Sage"


def test_concurrent_creates_get_distinct_ids(server, api):
    account = api.register()
    results: list[int] = []

    def create(index: int) -> None:
        client = server.api()
        try:
            results.append(client.post(MEMBERS, account.session, json={"name": f"c{index}"}).status_code)
        finally:
            client.close()

    at_once(*[lambda i=i: create(i) for i in range(16)])
    assert results == [201] * 16
    ids = [m["id"] for m in data(api.get(MEMBERS, account.session, params={"limit": 50}))]
    assert len(ids) == len(set(ids)) == 16

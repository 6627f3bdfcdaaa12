from __future__ import annotations

import pytest

from ..helpers import PASSWORD, QueryCounter, data, error
from ..imports.common import imported

JOURNAL = "/api/v1/systems/@me/journal"
MEMBERS = "/api/v1/systems/@me/members"


def make_entry(api, token, **spec) -> dict:
    return data(api.post(JOURNAL, token, json={"body": "Dear journal."} | spec), 201)


def make_member(api, token, **spec) -> dict:
    return data(api.post(MEMBERS, token, json={"name": "Sage"} | spec), 201)


def listed(api, token, path=JOURNAL, **params) -> list[dict]:
    return data(api.get(path, token, params=params))


def ids(entries: list[dict]) -> list[str]:
    return [e["id"] for e in entries]


# --- CRUD --------------------------------------------------------------------------------------------------------

def test_entry_has_every_key_of_the_contract_and_private_defaults(api):
    account = api.register()
    entry = make_entry(api, account.session)
    assert set(entry) == {"id", "title", "body", "author_ids", "tags", "pinned", "privacy", "created_at",
                          "updated_at", "snippet"}
    assert entry["snippet"] is None  # search results only
    assert entry["title"] is None and entry["body"] == "Dear journal." and entry["author_ids"] == []
    assert entry["tags"] == [] and entry["pinned"] is False and entry["privacy"] == "private"
    assert entry["created_at"].endswith("Z") and entry["updated_at"].endswith("Z")


def test_create_read_list_update_delete(api):
    account = api.register()
    ash, birch = make_member(api, account.session, name="Ash"), make_member(api, account.session, name="Birch")
    entry = make_entry(api, account.session, title="Lake day", body="# Lake\n\nWe swam.", pinned=True,
                       author_ids=[ash["id"], birch["uuid"], ash["uuid"]], tags=["  Summer ", "lake", "SUMMER"],
                       privacy="public")
    assert entry["author_ids"] == [ash["id"], birch["id"]]  # order kept, repeats collapse, uuids become short ids
    assert entry["tags"] == ["summer", "lake"] and entry["pinned"] is True and entry["privacy"] == "public"
    path = f"{JOURNAL}/{entry['id']}"
    assert data(api.get(path, account.session)) == entry
    assert listed(api, account.session) == [entry]
    changed = data(api.patch(path, account.session, json={"body": "We swam twice."}))
    assert changed["body"] == "We swam twice." and changed["title"] == "Lake day"
    assert changed["updated_at"] >= entry["updated_at"] and changed["created_at"] == entry["created_at"]
    assert api.delete(path, account.session).status_code == 204
    error(api.get(path, account.session), 404, "NOT_FOUND")
    error(api.delete(path, account.session), 404, "NOT_FOUND")
    error(api.patch(path, account.session, json={"pinned": False}), 404, "NOT_FOUND")
    assert listed(api, account.session) == []


def test_patch_changes_only_sent_keys_and_null_clears(api):
    account = api.register()
    member = make_member(api, account.session)
    entry = make_entry(api, account.session, title="T", author_ids=[member["id"]], tags=["a", "b"], pinned=True)
    path = f"{JOURNAL}/{entry['id']}"
    changed = data(api.patch(path, account.session, json={"title": None, "tags": ["c"]}))
    assert changed["title"] is None and changed["tags"] == ["c"]
    assert changed["author_ids"] == [member["id"]] and changed["pinned"] is True and changed["body"] == entry["body"]
    cleared = data(api.patch(path, account.session, json={"author_ids": None, "tags": None, "privacy": "public"}))
    assert cleared["author_ids"] == [] and cleared["tags"] == [] and cleared["privacy"] == "public"
    assert data(api.patch(path, account.session, json={}))["body"] == entry["body"]
    assert listed(api, account.session, tag="c") == []


def test_entries_of_another_system_are_not_reachable_through_ones_own(api):
    owner, other = api.register(), api.register()
    entry = make_entry(api, owner.session)
    error(api.get(f"{JOURNAL}/{entry['id']}", other.session), 404, "NOT_FOUND")
    error(api.patch(f"{JOURNAL}/{entry['id']}", other.session, json={"title": "x"}), 404, "NOT_FOUND")
    error(api.delete(f"{JOURNAL}/{entry['id']}", other.session), 404, "NOT_FOUND")
    error(api.get(f"{JOURNAL}/not-a-uuid", owner.session), 422, "VALIDATION_FAILED")


# --- validation --------------------------------------------------------------------------------------------------

def test_body_of_exactly_100000_characters_is_accepted(api):
    account = api.register()
    entry = make_entry(api, account.session, body="é" * 100_000, title="t" * 200, tags=[f"t{i}" for i in range(30)])
    assert len(entry["body"]) == 100_000 and len(entry["title"]) == 200 and len(entry["tags"]) == 30
    assert data(api.patch(f"{JOURNAL}/{entry['id']}", account.session, json={"tags": ["x" * 50]}))["tags"] == \
        ["x" * 50]


@pytest.mark.parametrize("body, key", [
    ({"title": "t" * 201}, "title"),
    ({"body": "b" * 100_001}, "body"),
    ({"body": ""}, "body"),
    ({"body": "   "}, "body"),
    ({"body": None}, "body"),
    ({"body": 5}, "body"),
    ({"tags": [f"t{i}" for i in range(31)]}, "tags"),
    ({"tags": ["x" * 51]}, "tags.0"),
    ({"tags": ["ok", "   "]}, "tags.1"),
    ({"tags": [""]}, "tags.0"),
    ({"tags": ["a\nb"]}, "tags.0"),
    ({"tags": "dreams"}, "tags"),
    ({"tags": [7]}, "tags.0"),
    ({"author_ids": "abcdef"}, "author_ids"),
    ({"author_ids": ["not an id!"]}, "author_ids.0"),
    ({"author_ids": ["zzzzzz"]}, "author_ids.0"),
    ({"pinned": "yes"}, "pinned"),
    ({"pinned": None}, "pinned"),
    ({"privacy": "friends"}, "privacy"),
    ({"privacy": None}, "privacy"),
    ({"mood": "happy"}, "mood"),
    ({"id": "00000000-0000-0000-0000-000000000000"}, "id"),
])
def test_entry_rules_refuse_bad_input_and_change_nothing(api, body, key):
    account = api.register()
    entry = make_entry(api, account.session)
    path = f"{JOURNAL}/{entry['id']}"
    failure = error(api.patch(path, account.session, json=body), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert data(api.get(path, account.session)) == entry
    failure = error(api.post(JOURNAL, account.session, json={"body": "x"} | body), 422, "VALIDATION_FAILED")
    assert key in failure["details"]["fields"], failure
    assert ids(listed(api, account.session)) == [entry["id"]]


@pytest.mark.parametrize("created_at", ["2024-01-01T10:00:00", "yesterday", "2024-13-01T00:00:00Z",
                                        "3000-01-01T00:00:00Z", "1800-01-01T00:00:00Z", ""])
def test_bad_timestamps_are_refused(api, created_at):
    account = api.register()
    failure = error(api.post(JOURNAL, account.session, json={"body": "x", "created_at": created_at}), 422,
                    "VALIDATION_FAILED")
    assert "created_at" in failure["details"]["fields"]


def test_created_at_may_be_back_dated_and_is_normalized_to_utc(api):
    account = api.register()
    entry = make_entry(api, account.session, created_at="2020-05-01T12:00:00+02:00")
    assert entry["created_at"] == "2020-05-01T10:00:00Z"


def test_creating_needs_a_body(api):
    account = api.register()
    failure = error(api.post(JOURNAL, account.session, json={"title": "only a title"}), 422, "VALIDATION_FAILED")
    assert "body" in failure["details"]["fields"]


def test_authors_must_be_members_of_the_system(api):
    owner, other = api.register(), api.register()
    mine = make_member(api, owner.session)
    theirs = make_member(api, other.session)
    for bad in (theirs["id"], theirs["uuid"]):
        failure = error(api.post(JOURNAL, owner.session, json={"body": "x", "author_ids": [mine["id"], bad]}), 422,
                        "VALIDATION_FAILED")
        assert "author_ids.1" in failure["details"]["fields"], failure
    entry = make_entry(api, owner.session, author_ids=[mine["id"]])
    failure = error(api.patch(f"{JOURNAL}/{entry['id']}", owner.session, json={"author_ids": [theirs["id"]]}), 422,
                    "VALIDATION_FAILED")
    assert "author_ids.0" in failure["details"]["fields"]
    assert data(api.get(f"{JOURNAL}/{entry['id']}", owner.session))["author_ids"] == [mine["id"]]
    assert listed(api, owner.session) == [entry]  # the refused create left nothing behind


# --- filters -----------------------------------------------------------------------------------------------------

def test_filters_author_tag_since_until_pinned(api):
    account = api.register()
    ash, birch = make_member(api, account.session, name="Ash"), make_member(api, account.session, name="Birch")
    old = make_entry(api, account.session, author_ids=[ash["id"]], tags=["Dreams"],
                     created_at="2021-01-01T00:00:00Z")
    mid = make_entry(api, account.session, author_ids=[ash["id"], birch["id"]], tags=["work"], pinned=True,
                     created_at="2022-01-01T00:00:00Z")
    new = make_entry(api, account.session, tags=["dreams", "work"], created_at="2023-01-01T00:00:00Z")

    def found(**params):
        return ids(listed(api, account.session, **params))

    assert found() == [new["id"], mid["id"], old["id"]]
    assert found(author=ash["id"]) == [mid["id"], old["id"]]
    assert found(author=birch["uuid"]) == [mid["id"]]
    assert found(tag="dreams") == [new["id"], old["id"]] == found(tag=" DREAMS ")
    assert found(tag="work", author=birch["id"]) == [mid["id"]]
    assert found(tag="nothing") == []
    assert found(since="2022-01-01T00:00:00Z") == [new["id"], mid["id"]]
    assert found(until="2022-01-01T00:00:00Z") == [old["id"]]
    assert found(since="2021-06-01T00:00:00+00:00", until="2022-06-01T00:00:00Z") == [mid["id"]]
    assert found(pinned="true") == [mid["id"]]
    assert found(pinned="false") == [new["id"], old["id"]]
    error(api.get(JOURNAL, account.session, params={"author": "zzzzzz"}), 404, "NOT_FOUND")
    for params in ({"since": "2022-01-01T00:00:00"}, {"until": "soon"}, {"pinned": "maybe"}, {"tag": "x" * 201},
                   {"since": "2022-01-01T00:00:00Z", "until": "2021-01-01T00:00:00Z"}, {"cursor": "garbage!"},
                   {"limit": 0}, {"limit": 201}, {"q": ""}):
        error(api.get(JOURNAL, account.session, params=params), 422, "VALIDATION_FAILED")


def test_pages_have_no_gaps_or_duplicates_while_entries_are_added(api):
    account = api.register()
    originals = [make_entry(api, account.session, title=f"e{i}", created_at=f"2024-01-01T00:00:{i:02d}Z")["id"]
                 for i in range(12)]
    seen, cursor = [], None
    while True:
        body = api.get(JOURNAL, account.session, params={"limit": 5} | ({"cursor": cursor} if cursor else {})).json()
        seen += ids(body["data"])
        make_entry(api, account.session, title="late")  # newer than everything: belongs before the first page
        cursor = body["pagination"]["cursor"]
        assert body["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == originals[::-1]


def test_a_page_costs_the_same_queries_whatever_its_size(server, api):
    account = api.register()
    members = [make_member(api, account.session, name=f"m{i}")["id"] for i in range(3)]
    for index in range(30):
        make_entry(api, account.session, author_ids=members[: index % 4], tags=["t"])
    api.get(JOURNAL, account.session)  # warm the token look-up path
    with QueryCounter(server) as one:
        assert len(data(api.get(JOURNAL, account.session, params={"limit": 1}))) == 1
    with QueryCounter(server) as many:
        page = data(api.get(JOURNAL, account.session, params={"limit": 30, "tag": "t"}))
    with QueryCounter(server) as searched:
        data(api.get(JOURNAL, account.session, params={"limit": 30, "q": "journal"}))
    assert len(page) == 30 and any(len(e["author_ids"]) == 3 for e in page)
    # token look-up + system + entries + authors: one query for the authors of the whole page.
    assert many.selects == one.selects <= 4, many.statements
    assert searched.selects == one.selects + 1, searched.statements  # search ranks keys, then loads the page


# --- full-text search --------------------------------------------------------------------------------------------

def test_search_ranks_more_mentions_first_and_then_newest(api):
    account = api.register()
    once = make_entry(api, account.session, title="Notes", body="The heron stood in the shallows all morning.")
    thrice = make_entry(api, account.session, title="Heron",
                        body="A heron again. Grey heron, patient as ever, at the same bend of the river.",
                        created_at="2020-01-01T00:00:00Z")
    make_entry(api, account.session, body="Nothing about birds today.")
    assert ids(listed(api, account.session, q="heron")) == [thrice["id"], once["id"]]
    assert ids(listed(api, account.session, q="HERON")) == [thrice["id"], once["id"]]
    twin = make_entry(api, account.session, title="Notes", body="The heron stood in the shallows all morning.")
    assert ids(listed(api, account.session, q="heron")) == [thrice["id"], twin["id"], once["id"]]


def test_ranking_follows_edits_of_the_text(api):
    account = api.register()
    older = make_entry(api, account.session, body="A wren.", created_at="2024-01-01T00:00:00Z")
    newer = make_entry(api, account.session, body="A wren and a robin.")
    path = f"{JOURNAL}/{older['id']}"
    assert ids(listed(api, account.session, q="wren")) == [newer["id"], older["id"]]  # a tie: newest first
    data(api.patch(path, account.session, json={"body": "Wren, wren, and wrens again."}))
    assert ids(listed(api, account.session, q="wren")) == [older["id"], newer["id"]]
    assert ids(listed(api, account.session, q="robin")) == [newer["id"]]
    data(api.patch(path, account.session, json={"title": "Robin"}))  # the title counts twice
    assert ids(listed(api, account.session, q="robin")) == [older["id"], newer["id"]]
    data(api.patch(path, account.session, json={"pinned": True, "tags": ["birds"]}))  # the text as it was
    assert ids(listed(api, account.session, q="wren")) == [older["id"], newer["id"]]
    assert ids(listed(api, account.session, q="wre*")) == [older["id"], newer["id"]]
    data(api.patch(path, account.session, json={"title": None, "body": "A robin."}))
    assert ids(listed(api, account.session, q="robin")) == [newer["id"], older["id"]]


def test_imported_entries_are_ranked_like_written_ones(api):
    source, fresh = api.register(), api.register()
    make_entry(api, source.session, body="One otter.")
    make_entry(api, source.session, title="Otters", body="Otters, otters.", created_at="2020-01-01T00:00:00Z")
    imported(api, fresh.session, api.get("/api/v1/systems/@me/export", source.session).json())
    found = listed(api, fresh.session, q="otter")
    assert [e["title"] for e in found] == ["Otters", None]


def test_search_language(api):
    account = api.register()
    lake = make_entry(api, account.session, title="Lake", body="We swam in the cold lake; the water was clear.")
    river = make_entry(api, account.session, body="The river was cold and fast.")
    forest = make_entry(api, account.session, body="A walk in the forest, the air clear and warm.")

    def found(q: str) -> set[str]:
        return set(ids(listed(api, account.session, q=q)))

    assert found("cold") == {lake["id"], river["id"]}
    assert found("cold clear") == {lake["id"]}  # every word
    assert found("lake or forest") == {lake["id"], forest["id"]}
    assert found("cold -river") == {lake["id"]}
    assert found('"cold lake"') == {lake["id"]}  # a phrase
    assert found('"lake cold"') == set()
    assert found("clear -\"cold lake\"") == {forest["id"]}
    assert found("-cold") == set()  # exclusions alone find nothing
    assert found("swim") == set()  # stems, not dictionary forms: "swam" is another word
    assert found("Lake") == {lake["id"]}  # the title is searched too


def test_search_respects_the_other_filters_and_pages_by_offset(api):
    account = api.register()
    member = make_member(api, account.session)
    written = [make_entry(api, account.session, body=" ".join(["otter"] * (i + 1)) + " tail",
                          author_ids=[member["id"]] if i % 2 else [], tags=["odd"] if i % 2 else [])
               for i in range(7)]
    best_first = [e["id"] for e in reversed(written)]
    assert ids(listed(api, account.session, q="otter")) == best_first
    assert ids(listed(api, account.session, q="otter", tag="odd")) == best_first[1::2]
    assert ids(listed(api, account.session, q="otter", author=member["id"])) == best_first[1::2]
    seen, cursor = [], None
    while True:
        body = api.get(JOURNAL, account.session,
                       params={"q": "otter", "limit": 3} | ({"cursor": cursor} if cursor else {})).json()
        seen += ids(body["data"])
        cursor = body["pagination"]["cursor"]
        if cursor is None:
            break
    assert seen == best_first
    first = api.get(JOURNAL, account.session, params={"q": "otter", "limit": 3}).json()["pagination"]["cursor"]
    failure = error(api.get(JOURNAL, account.session, params={"q": "tail", "cursor": first}), 422,
                    "VALIDATION_FAILED")
    assert "cursor" in failure["details"]["fields"]
    keyset = api.get(JOURNAL, account.session, params={"limit": 3}).json()["pagination"]["cursor"]
    error(api.get(JOURNAL, account.session, params={"q": "otter", "cursor": keyset}), 422, "VALIDATION_FAILED")
    error(api.get(JOURNAL, account.session, params={"cursor": first}), 422, "VALIDATION_FAILED")


HOSTILE = ['"', '""', '"unclosed', "AND OR", "OR", "AND", "NOT", "*", "heron*", "NEAR(", "NEAR(a b)", "-", "--",
           "- -heron", "a:b", "title:heron", "^heron", "(", ")", "((heron", "heron)", "{body}: x", "'", "\\", "%",
           "_", "'; DROP TABLE journal_entries; --", "!!&|<->", "a & b | !c", "a <-> b", ":*", "heron:*",
           "😀🦩", "ü", "日本語の日記", "café", "\u200b", "\x01\x02", "\x00", "x" * 500, "heron " * 32,
           " ".join(f'"{c}' for c in "abcdefgh"), "or heron or", "-heron or -x", "🦩 heron"]


def test_hostile_search_text_never_fails(api):
    account = api.register()
    entry = make_entry(api, account.session, title="Heron", body="A heron at the river.")
    for q in HOSTILE:
        response = api.get(JOURNAL, account.session, params={"q": q})
        if "\x00" in q:  # the edge refuses NUL anywhere in a URL
            error(response, 422, "VALIDATION_FAILED")
            continue
        assert response.status_code == 200, (q, response.text)
        assert ids(data(response)) in ([], [entry["id"]]), q
    assert ids(listed(api, account.session, q='heron* -"NOT" ^("river')) == [entry["id"]]


def test_search_text_limits(api):
    account = api.register()
    for q in ("x " * 33, "y" * 501, "z" * 1000):
        failure = error(api.get(JOURNAL, account.session, params={"q": q}), 422, "VALIDATION_FAILED")
        assert {"q", "query.q"} & set(failure["details"]["fields"]), failure


def test_search_follows_changes_and_deletes(api):
    account = api.register()
    member = make_member(api, account.session, name="Wren")
    entry = make_entry(api, account.session, title="Kestrel", body="A kestrel hovered.", author_ids=[member["id"]])
    path = f"{JOURNAL}/{entry['id']}"
    assert ids(listed(api, account.session, q="kestrel")) == [entry["id"]]
    data(api.patch(path, account.session, json={"pinned": True, "tags": ["birds"]}))  # text unchanged
    assert ids(listed(api, account.session, q="kestrel")) == [entry["id"]]
    data(api.patch(path, account.session, json={"title": None, "body": "A buzzard circled."}))
    assert listed(api, account.session, q="kestrel") == [] and listed(api, account.session, q="hovered") == []
    assert ids(listed(api, account.session, q="buzzard")) == [entry["id"]]
    # Deleting an author leaves the entry, without that author.
    assert api.delete(f"{MEMBERS}/{member['id']}", account.session).status_code == 204
    assert data(api.get(path, account.session))["author_ids"] == []
    assert listed(api, account.session, q="buzzard")[0]["author_ids"] == []
    assert api.delete(path, account.session).status_code == 204
    assert listed(api, account.session, q="buzzard") == []
    again = make_entry(api, account.session, body="Another buzzard.")
    assert ids(listed(api, account.session, q="buzzard")) == [again["id"]]


def test_deleting_the_account_removes_its_journal_from_search(api):
    gone, stays = api.register(), api.register()
    make_entry(api, gone.session, body="pelican pelican", privacy="public")
    kept = make_entry(api, stays.session, body="pelican")
    assert api.delete("/api/v1/me", gone.session, json={"current_password": PASSWORD}).status_code == 204
    assert ids(listed(api, stays.session, q="pelican")) == [kept["id"]]


def test_search_never_crosses_systems(api):
    owner, other = api.register(), api.register()
    mine = [make_entry(api, owner.session, body="an albatross at dawn"),
            make_entry(api, owner.session, body="the albatross again", privacy="public")]
    theirs_public = make_entry(api, other.session, body="albatross", privacy="public")
    theirs_private = make_entry(api, other.session, body="albatross in secret")
    data(api.patch("/api/v1/systems/@me", other.session, json={"privacy": {"journal": "public"}}))
    found = ids(listed(api, owner.session, q="albatross"))
    assert sorted(found) == sorted(ids(mine))  # the owner's matches, all of them
    assert not {theirs_public["id"], theirs_private["id"]} & set(found)  # never the other system's, public or not
    assert sorted(ids(listed(api, other.session, q="albatross"))) == sorted([theirs_public["id"], theirs_private["id"]])
    # Searching the other system's journal stays in it, and shows the owner only what its privacy allows.
    theirs = f"/api/v1/systems/{other.system_id}/journal"
    assert ids(listed(api, owner.session, theirs, q="albatross")) == [theirs_public["id"]]


# --- privacy and scopes ------------------------------------------------------------------------------------------

def test_public_viewers_follow_system_and_entry_privacy(api):
    owner, stranger = api.register(), api.register()
    shown_member = make_member(api, owner.session, name="Shown", privacy={"visibility": "public"})
    hidden_member = make_member(api, owner.session, name="Hidden")
    private = make_entry(api, owner.session, body="secret swan")
    public = make_entry(api, owner.session, body="open swan", privacy="public",
                        author_ids=[shown_member["id"], hidden_member["id"]])
    base = f"/api/v1/systems/{owner.system_id}/journal"
    viewers = (None, stranger.session, api.pat(stranger, "journal:read"))
    for token in viewers:  # the journal is private by default: the whole area is 403
        error(api.get(base, token), 403, "FORBIDDEN")
        error(api.get(f"{base}/{public['id']}", token), 403, "FORBIDDEN")
        error(api.get(base, token, params={"q": "swan"}), 403, "FORBIDDEN")
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"journal": "public"}}))
    for token in viewers:
        seen = listed(api, token, base)
        assert ids(seen) == [public["id"]] and seen[0]["author_ids"] == [shown_member["id"]]
        assert ids(listed(api, token, base, q="swan")) == [public["id"]]
        assert data(api.get(f"{base}/{public['id']}", token))["author_ids"] == [shown_member["id"]]
        error(api.get(f"{base}/{private['id']}", token), 404, "NOT_FOUND")
        assert ids(listed(api, token, base, author=shown_member["id"])) == [public["id"]]
        error(api.get(base, token, params={"author": hidden_member["id"]}), 404, "NOT_FOUND")
    owners = listed(api, owner.session, base)
    assert ids(owners) == [public["id"], private["id"]]
    assert owners[0]["author_ids"] == [shown_member["id"], hidden_member["id"]]
    assert ids(listed(api, owner.session, base, author=hidden_member["id"])) == [public["id"]]


def test_scopes_and_ownership(api):
    owner, other = api.register(), api.register()
    entry = make_entry(api, owner.session)
    path = f"{JOURNAL}/{entry['id']}"
    reader = api.pat(owner, "journal:read")
    assert data(api.get(path, reader))["id"] == entry["id"] and ids(listed(api, reader)) == [entry["id"]]
    failure = error(api.patch(path, reader, json={"title": "x"}), 403, "INSUFFICIENT_SCOPE")
    assert failure["details"]["required"] == ["journal:write"]
    error(api.post(JOURNAL, reader, json={"body": "x"}), 403, "INSUFFICIENT_SCOPE")
    error(api.delete(path, reader), 403, "INSUFFICIENT_SCOPE")
    unscoped = api.pat(owner, "members:read", "fronts:write")
    failure = error(api.get(JOURNAL, unscoped), 403, "INSUFFICIENT_SCOPE")
    assert failure["details"]["required"] == ["journal:read"]
    error(api.get(path, unscoped), 403, "INSUFFICIENT_SCOPE")
    writer = api.pat(owner, "journal:write")  # write implies read
    assert data(api.patch(path, writer, json={"title": "by pat"}))["title"] == "by pat"
    assert ids(listed(api, writer)) == [entry["id"]]
    error(api.post(JOURNAL, json={"body": "x"}), 401, "UNAUTHENTICATED")
    error(api.patch(path, json={"title": "x"}), 401, "UNAUTHENTICATED")
    error(api.delete(path), 401, "UNAUTHENTICATED")
    error(api.get(JOURNAL), 401, "UNAUTHENTICATED")  # @me needs a token
    foreign = f"/api/v1/systems/{owner.system_id}/journal"
    error(api.post(foreign, other.session, json={"body": "intruder"}), 403, "FORBIDDEN")
    error(api.patch(f"{foreign}/{entry['id']}", other.session, json={"title": "x"}), 403, "FORBIDDEN")
    error(api.delete(f"{foreign}/{entry['id']}", other.session), 403, "FORBIDDEN")
    assert data(api.get(path, owner.session))["title"] == "by pat"


# --- stemming, prefixes, snippets, and what other systems write ---------------------------------------------------

def test_search_stems_english_words_and_matches_beginnings(api):
    account = api.register()
    herons = make_entry(api, account.session, body="Two herons by the weir.")
    heron = make_entry(api, account.session, body="One heron, alone.")
    running = make_entry(api, account.session, body="We were running late.")
    runs = make_entry(api, account.session, body="Morning runs are best.")
    runway = make_entry(api, account.session, body="The runway lights.")

    def found(q: str) -> set[str]:
        return set(ids(listed(api, account.session, q=q)))

    assert found("heron") == found("herons") == found("HERONS") == {herons["id"], heron["id"]}
    assert found("run") == found("running") == {running["id"], runs["id"]}
    assert found("run*") == found("running*") == {running["id"], runs["id"], runway["id"]}
    assert found("runw*") == {runway["id"]}
    assert found('"herons by"') == {herons["id"]} and found('"heron by"') == {herons["id"]}  # phrases stem too
    assert found('"by herons"') == set()


def test_search_hits_carry_an_escaped_highlighted_snippet(api):
    account = api.register()
    prose = ("Words before the match " * 10) + "<b>Herons</b> & egrets waded; a heron & <i>its</i> shadow. " + (
        "Words after the match " * 20)
    make_entry(api, account.session, title="Title <script>", body=prose)
    hit = listed(api, account.session, q="heron")[0]
    snippet = hit["snippet"]
    assert "<mark>Herons</mark>" in snippet and "<mark>heron</mark>" in snippet
    assert "&lt;b&gt;" in snippet and "&amp; egrets" in snippet and "<b>" not in snippet and "<i>" not in snippet
    assert snippet.startswith("…") and snippet.endswith("…") and len(snippet) < 300
    assert listed(api, account.session, q="egrets")[0]["snippet"].count("<mark>") == 1
    title_only = listed(api, account.session, q="title")[0]["snippet"]
    assert title_only == "<mark>Title</mark> &lt;script&gt;"
    phrase = listed(api, account.session, q='"waded a heron"')[0]["snippet"]  # punctuation only separates words
    assert "<mark>waded; a heron</mark>" in phrase and phrase.count("<mark>") == 1
    assert listed(api, account.session)[0]["snippet"] is None  # not a search


def test_other_systems_private_entries_change_neither_my_results_nor_their_order(api):
    mine, theirs = api.register(), api.register()
    bodies = ["heron heron heron", "a heron and a kestrel", "kestrel heron, heron", "herons at dusk, long ago",
              "grey heron " * 5 + "short", "the heronry by the lake; a heron"]
    for index, body in enumerate(bodies):
        make_entry(api, mine.session, body=body, created_at=f"2024-01-0{index + 1}T00:00:00Z")
    queries = ["heron", "heron kestrel", "hero*", '"grey heron"', "heron -kestrel", "heron or kestrel"]
    before = {q: ids(listed(api, mine.session, q=q)) for q in queries}
    assert all(before.values())
    # Enough to shift any corpus-wide statistic: many entries, long and short, repeating and lacking the words.
    for index in range(40):
        make_entry(api, theirs.session, body=("heron " * (index % 7 + 1)) + ("filler " * (index * 11)) +
                   ("kestrel grey" if index % 3 else "nothing"))
    assert {q: ids(listed(api, mine.session, q=q)) for q in queries} == before


SHARED_CORPUS = [
    ("Lake", "We swam in the cold lake; the water was clear and the herons watched."),
    (None, "Running by the river, cold and fast. Ran again later."),
    ("Dreams", "Dreamed of a heron running across the lake. Strange dream."),
    (None, "Heron, heron, heron: three herons at the lake today."),
    ("Notes", "Nothing to say about birds. Café au lait, then reading."),
    (None, "The relational database generously ran all queries; happiness."),
]
SHARED_QUERIES = {
    "heron": [3, 2, 0],  # 2 and 0 name it once each: newest first
    "lake": [0, 3, 2],
    "run": [2, 1],
    "ran": [5, 1],
    "dream": [2],
    "heron lake": [3, 0, 2],
    '"the lake"': [3, 2],
    '"cold lake"': [0],
    "heron -running": [3, 0],
    "river or relational": [5, 1],
    "happy": [5],
    "relate": [5],
    "gen*": [5],
    "rea*": [4],
}


def test_both_engines_give_the_same_results_on_a_shared_corpus(api):
    """The expected lists are the same on SQLite and PostgreSQL (this test runs on both): sets and order."""
    account = api.register()
    made = [make_entry(api, account.session, title=title, body=body, created_at=f"2024-02-0{index + 1}T00:00:00Z")
            for index, (title, body) in enumerate(SHARED_CORPUS)]
    got = {q: [ids(made).index(i) for i in ids(listed(api, account.session, q=q))] for q in SHARED_QUERIES}
    assert got == SHARED_QUERIES

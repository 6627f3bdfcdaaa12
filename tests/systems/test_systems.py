from __future__ import annotations

import pytest

from ..helpers import data, error


def test_system_is_found_by_short_id_uuid_and_me(api):
    account = api.register(system_name="Harbour")
    token = api.pat(account, "system:read")
    by_me = data(api.get("/api/v1/systems/@me", token))
    assert data(api.get(f"/api/v1/systems/{account.system_id}", token)) == by_me
    assert data(api.get(f"/api/v1/systems/{account.system_uuid}", token)) == by_me
    dashed = account.system_id[:3].upper() + "-" + account.system_id[3:]
    assert data(api.get(f"/api/v1/systems/{dashed}", token))["id"] == account.system_id


def test_me_needs_a_token(api):
    error(api.get("/api/v1/systems/@me"), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("sid", ["zzzzzz", "00000000-0000-0000-0000-000000000000", "not a system", "a" * 64])
def test_unknown_system_is_404(api, sid):
    error(api.get(f"/api/v1/systems/{sid}"), 404, "NOT_FOUND")


def test_public_viewers_see_only_what_privacy_allows(api):
    owner, stranger = api.register(system_name="Harbour"), api.register()
    data(api.patch("/api/v1/systems/@me", owner.session, json={"description": "We are many."}))
    for token in (None, api.pat(stranger, "system:read")):
        public = data(api.get(f"/api/v1/systems/{owner.system_id}", token))
        assert public["name"] == "Harbour" and public["description"] is None and public["privacy"] is None
    data(api.patch("/api/v1/systems/@me", owner.session, json={"privacy": {"description": "public"}}))
    assert data(api.get(f"/api/v1/systems/{owner.system_id}"))["description"] == "We are many."
    # Another account's token is a public viewer, whatever its scopes.
    stranger_view = data(api.get(f"/api/v1/systems/{owner.system_id}", stranger.session))
    assert stranger_view["privacy"] is None


def test_a_token_without_the_scope_is_refused_even_for_public_data(api):
    owner, stranger = api.register(), api.register()
    failure = error(api.get(f"/api/v1/systems/{owner.system_id}", api.pat(stranger, "members:read")),
                    403, "INSUFFICIENT_SCOPE")
    assert failure["details"]["required"] == ["system:read"]


def test_patch_changes_only_sent_keys_and_null_clears(api):
    account = api.register(system_name="Harbour")
    token = api.pat(account, "system:write")
    changed = data(api.patch("/api/v1/systems/@me", token, json={
        "description": "hello", "tag": "| H", "pronouns": "they/them", "color": "#A1B2C3",
        "avatar_url": "https://example.org/a.png", "timezone": "America/Argentina/Buenos_Aires",
        "privacy": {"front": "public"}}))
    assert changed["name"] == "Harbour" and changed["color"] == "#a1b2c3"
    assert changed["timezone"] == "America/Argentina/Buenos_Aires"
    assert changed["privacy"]["front"] == "public" and changed["privacy"]["journal"] == "private"
    cleared = data(api.patch("/api/v1/systems/@me", token, json={"description": None, "timezone": None,
                                                                 "privacy": {"journal": "public"}}))
    assert cleared["description"] is None and cleared["timezone"] == "UTC" and cleared["tag"] == "| H"
    assert cleared["privacy"]["front"] == "public" and cleared["privacy"]["journal"] == "public"
    assert cleared["updated_at"] >= changed["updated_at"]


@pytest.mark.parametrize("body, field", [
    ({"name": "n" * 101}, "name"),
    ({"description": "d" * 10_001}, "description"),
    ({"color": "red"}, "color"),
    ({"color": "#12345"}, "color"),
    ({"color": 123456}, "color"),
    ({"avatar_url": "http://example.org/a.png"}, "avatar_url"),
    ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
    ({"banner_url": "https://example.org/" + "b" * 250}, "banner_url"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"timezone": "localtime"}, "timezone"),  # the host's own zone, whatever it is: not an IANA name
    ({"timezone": "posix/Europe/Berlin"}, "timezone"),  # copies of the database beside the real names
    ({"timezone": "right/UTC"}, "timezone"),
    ({"timezone": "posixrules"}, "timezone"),
    ({"timezone": "europe/berlin"}, "timezone"),
    ({"privacy": {"front": "friends"}}, "privacy.front"),
    ({"privacy": {"everything": "public"}}, "privacy.everything"),
    ({"privacy": None}, "privacy"),
    ({"privacy": {"front": None}}, "privacy.front"),
    ({"id": "abcdef"}, "id"),
])
def test_patch_refuses_bad_input_and_changes_nothing(api, body, field):
    account = api.register(system_name="Harbour")
    before = data(api.get("/api/v1/systems/@me", account.session))
    failure = error(api.patch("/api/v1/systems/@me", account.session, json=body), 422, "VALIDATION_FAILED")
    assert field in failure["details"]["fields"], failure
    assert data(api.get("/api/v1/systems/@me", account.session)) == before


def test_patch_needs_write_scope_and_own_system_only(api):
    owner, other = api.register(), api.register()
    error(api.patch("/api/v1/systems/@me", api.pat(owner, "system:read"), json={"name": "x"}),
          403, "INSUFFICIENT_SCOPE")
    error(api.patch("/api/v1/systems/@me", json={"name": "x"}), 401, "UNAUTHENTICATED")
    error(api.patch(f"/api/v1/systems/{other.system_id}", owner.session, json={"name": "x"}),
          405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("zone", ["localtime", "posix/Europe/Berlin", "right/UTC", "Mars/Olympus_Mons"])
def test_pluralkit_paths_take_only_iana_time_zones_too(api, zone):
    account = api.register()
    for path, key in [("/pk/v2/systems/@me/settings", "timezone"), ("/pk/v1/s", "tz")]:
        refused = api.patch(path, account.session, json={key: zone})
        assert refused.status_code == 400, (path, refused.text)
        if path.startswith("/pk/v2"):
            assert refused.json()["code"] == 40001 and key in refused.json()["errors"], refused.json()
    assert data(api.get("/api/v1/systems/@me", account.session))["timezone"] == "UTC"
    assert api.patch("/pk/v2/systems/@me/settings", account.session,
                     json={"timezone": "Europe/Berlin"}).status_code == 200
    assert data(api.get("/api/v1/systems/@me", account.session))["timezone"] == "Europe/Berlin"

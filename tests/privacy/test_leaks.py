"""The leak test: nothing private reaches anyone through any GET route (docs/PRIVACY.md states the rules).

`plant.py` puts a unique marker or id in every private field, object and area of a system. Every GET route the app
serves is then requested, with each route's filters, `?include=` values, searches and periods (ROUTES below), as

    * no token and another account's session, on systems whose privacy settings are all private, all public and
      mixed both ways: no secret that the settings keep private may appear in a body or a header;
    * the owner's own tokens, each lacking one family of read scopes: no secret only that family reads may appear;

and hidden objects (a private member, group, field, relationship, front, journal entry, switch) must answer exactly
like unknown ones. A GET route that is neither in ROUTES nor in NOT_SWEPT fails `test_every_get_route_is_swept`.

The counts (routes x viewers x secrets) are printed by each sweep; `pytest tests/privacy -rP` shows them.
"""

from __future__ import annotations

import base64
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from ..conftest import RunningServer
from ..helpers import Api, answer, data
from ..test_access_matrix import GRANTABLE, app_routes
from .plant import AREAS, FAMILIES, Planted, plant

# --- the routes ----------------------------------------------------------------------------------------------------

Fill = Callable[[Planted], list[str]]


def urls(*templates: str) -> Fill:
    """The route's URLs with the planted values; `{name}` is a value of Planted.ids."""
    return lambda world: [world.path(template) for template in templates]


def each(template: str, values: Callable[[Planted], list[str]], *queries: str) -> Fill:
    """The route once per value put in its `{it}` and per query string."""
    return lambda world: [world.path(template, it=value) + world.path(query)
                          for value in values(world) for query in (queries or ("",))]


def ids(*names: str, kind: str | None = None) -> Callable[[Planted], list[str]]:
    """Planted values by name, then the hidden and unknown values of `kind`."""
    def values(world: Planted) -> list[str]:
        found = [world.ids[name] for name in names]
        if kind is not None:
            found += [*world.hidden.get(kind, []), world.unknown[kind]]
        return found

    return values


SYSTEM = "/api/v1/systems/{sid}"
PAGED = "?limit=1"  # a page of one, and every following page through its cursor
MEMBER_INCLUDES = ("", "?include=fields", "?include=groups", "?include=relationships",
                   "?include=fields,groups,relationships")

ROUTES: dict[str, Fill] = {
    # Operations and pages: the same for everyone, swept so that nothing of a system ever lands there.
    "/api/v1/openapi.json": urls("/api/v1/openapi.json"),
    "/api/v1/health": urls("/api/v1/health"),
    "/api/v1/ready": urls("/api/v1/ready"),
    "/api/v1/version": urls("/api/v1/version"),
    "/metrics": urls("/metrics"),
    "/api/docs": urls("/api/docs"),
    "/api/docs/oauth2-redirect": urls("/api/docs/oauth2-redirect"),
    "/api/docs/assets/{name}": urls("/api/docs/assets/swagger-ui.css"),
    "/.well-known/oauth-authorization-server": urls("/.well-known/oauth-authorization-server"),
    "/oauth/authorize": each("/oauth/authorize?response_type=code&client_id={it}"
                             "&redirect_uri=https%3A%2F%2Fexample.org%2Fcallback&code_challenge_method=S256"
                             "&code_challenge=" + "a" * 43, ids(kind="client_id")),
    "/login": urls("/login"),
    "/register": urls("/register"),
    "/": urls("/"),
    # The system's pages (tests/web/page_routes.py): a cookie session's own system only; the viewers here hold
    # bearer tokens or nothing, which those pages answer with the way to sign in.
    "/static/{name}": urls("/static/app.css"),
    "/members": urls("/members", "/members?show=all&q={member_q}"),
    "/members/new": urls("/members/new"),
    **{f"/members/{{mid}}{tail}": each(f"/members/{{it}}{tail}", ids("v", kind="member"))
       for tail in ("", "/edit", "/delete")},
    "/journal": urls("/journal", "/journal?q={private_word}", "/journal?tag={private_tag}"),
    "/journal/new": urls("/journal/new"),
    **{f"/journal/{{entry_id}}{tail}": each(f"/journal/{{it}}{tail}", ids("entry", kind="journal"))
       for tail in ("", "/edit", "/delete")},
    "/history": urls("/history", "/history?member={v}"),
    **{f"/history/fronts/{{front_id}}/{tail}": each(f"/history/fronts/{{it}}/{tail}", ids("front", kind="front"))
       for tail in ("edit", "delete")},
    "/settings": urls("/settings"),
    "/reset-password/{token}": urls("/reset-password/" + "a" * 43),  # a link nobody was sent
    **{f"{prefix}/{name}": urls(f"{prefix}/{name}") for prefix in ("/api/v1/system", "/system")
       for name in ("health", "ready", "version")},  # the aliases of docs/API.md §8
    # Administration: the admin token only, which none of the viewers here holds.
    "/api/v1/admin/overview": urls("/api/v1/admin/overview"),
    "/api/v1/admin/accounts": urls("/api/v1/admin/accounts", "/api/v1/admin/accounts?q=example.org"),
    "/api/v1/admin/accounts/{account_id}": each("/api/v1/admin/accounts/{it}", ids("account_id", kind="account")),
    "/api/v1/admin/audit-logs": urls("/api/v1/admin/audit-logs", "/api/v1/admin/audit-logs?account_id={account_id}"),
    "/api/v1/admin/audit-logs/{audit_id}": each("/api/v1/admin/audit-logs/{it}", ids(kind="audit")),
    "/api/v1/admin/invites": urls("/api/v1/admin/invites"),
    # The account: a session's own, whoever asks.
    "/api/v1/me": urls("/api/v1/me"),
    "/api/v1/me/security-log": urls("/api/v1/me/security-log", "/api/v1/me/security-log" + PAGED),
    "/api/v1/me/tokens": urls("/api/v1/me/tokens", "/api/v1/me/tokens" + PAGED),
    "/api/v1/me/apps": urls("/api/v1/me/apps"),
    "/api/v1/me/apps/{client_id}": each("/api/v1/me/apps/{it}", ids(kind="client_id")),
    "/api/v1/me/authorizations": urls("/api/v1/me/authorizations"),
    "/api/v1/me/webhooks": urls("/api/v1/me/webhooks", "/api/v1/me/webhooks" + PAGED),
    "/api/v1/me/webhooks/{webhook_id}": each("/api/v1/me/webhooks/{it}", ids(kind="webhook")),
    "/api/v1/me/webhooks/{webhook_id}/deliveries": each("/api/v1/me/webhooks/{it}/deliveries", ids(kind="webhook")),
    # The native API.
    SYSTEM: urls(SYSTEM, "/api/v1/systems/{suuid}", "/api/v1/systems/@me"),
    SYSTEM + "/members": each(SYSTEM + "/members", lambda w: [""], *MEMBER_INCLUDES, PAGED,
                              "?include=fields,groups,relationships&limit=1", "?archived=false", "?archived=true",
                              "?custom_front=false", "?q={member_q}"),
    SYSTEM + "/members/{mid}": each(SYSTEM + "/members/{it}", ids("v", "v_uuid", kind="member"), *MEMBER_INCLUDES),
    SYSTEM + "/fields": urls(SYSTEM + "/fields", SYSTEM + "/fields" + PAGED),
    SYSTEM + "/fields/{field_id}": each(SYSTEM + "/fields/{it}", ids("public_field", kind="field")),
    SYSTEM + "/groups": urls(SYSTEM + "/groups", SYSTEM + "/groups" + PAGED),
    SYSTEM + "/groups/{gid}": each(SYSTEM + "/groups/{it}", ids("pg", kind="group")),
    SYSTEM + "/groups/{gid}/members": each(SYSTEM + "/groups/{it}/members", ids("pg", kind="group"), "", PAGED),
    SYSTEM + "/relationship-types": urls(SYSTEM + "/relationship-types", SYSTEM + "/relationship-types" + PAGED),
    SYSTEM + "/relationship-types/{type_id}": each(SYSTEM + "/relationship-types/{it}",
                                                   ids("relationship_type", kind="relationship")),
    SYSTEM + "/relationships": each(SYSTEM + "/relationships", lambda w: [""], "", PAGED, "?member={v}",
                                   "?member={h}", "?member={h_uuid}", "?member={v}&limit=1"),
    SYSTEM + "/relationships/{relationship_id}": each(SYSTEM + "/relationships/{it}",
                                                      ids("relationship", kind="relationship")),
    SYSTEM + "/fronts": each(SYSTEM + "/fronts", lambda w: [""], "", "?include=member", PAGED,
                             "?include=member&limit=1", "?member={v}", "?member={h}", "?member={h_uuid}",
                             "?member={h}&include=member", "?active=true", "?active=true&include=member",
                             "?active=false", "?since={since}&until={until}",
                             "?since={since}&until={until}&include=member&limit=1"),
    SYSTEM + "/fronts/{front_id}": each(SYSTEM + "/fronts/{it}", ids("front", kind="front"), "", "?include=member"),
    SYSTEM + "/fronters": urls(SYSTEM + "/fronters"),
    SYSTEM + "/switches": urls(SYSTEM + "/switches", SYSTEM + "/switches" + PAGED,
                               SYSTEM + "/switches?before={before}"),
    SYSTEM + "/switches/{timestamp}": each(SYSTEM + "/switches/{it}", ids("switch_at", kind="switch_at")),
    SYSTEM + "/journal": each(SYSTEM + "/journal", lambda w: [""], "", PAGED, "?q={public_word}", "?q={private_word}",
                              "?q={private_prefix}", "?q={private_phrase}", "?q={private_word}&limit=1",
                              "?author={v}", "?author={h}", "?tag={public_tag}", "?tag={private_tag}",
                              "?pinned=true", "?since={since}&until={until}"),
    SYSTEM + "/journal/{entry_id}": each(SYSTEM + "/journal/{it}", ids("entry", kind="journal")),
    SYSTEM + "/polls": urls(SYSTEM + "/polls", SYSTEM + "/polls" + PAGED, SYSTEM + "/polls?closed=false"),
    SYSTEM + "/polls/{poll_id}": each(SYSTEM + "/polls/{it}", ids("poll", kind="poll")),
    SYSTEM + "/polls/{poll_id}/votes": each(SYSTEM + "/polls/{it}/votes", ids("poll", kind="poll"), "", PAGED),
    SYSTEM + "/thought": urls(SYSTEM + "/thought"),
    SYSTEM + "/thoughts": urls(SYSTEM + "/thoughts", SYSTEM + "/thoughts" + PAGED, SYSTEM + "/thoughts?date={today}"),
    SYSTEM + "/wrapped": urls(SYSTEM + "/wrapped"),
    SYSTEM + "/wrapped/{year}": urls(SYSTEM + "/wrapped/{year}", SYSTEM + "/wrapped/{front_year}"),
    SYSTEM + "/wrapped/{year}/{month}": urls(SYSTEM + "/wrapped/{year}/{month}",
                                             SYSTEM + "/wrapped/{front_year}/{front_month}"),
    SYSTEM + "/events": urls(SYSTEM + "/events", SYSTEM + "/events?types=member.*,front.*",
                             "/api/v1/systems/@me/events"),
    "/api/v1/systems/@me/export": urls("/api/v1/systems/@me/export", "/api/v1/systems/@me/export?format=pluralkit"),
    "/api/v1/systems/@me/imports": urls("/api/v1/systems/@me/imports", "/api/v1/systems/@me/imports" + PAGED),
    "/api/v1/systems/@me/imports/{job_id}": each("/api/v1/systems/@me/imports/{it}", ids(kind="import")),
    "/media/{key}": each("/media/{it}", ids("system_media", kind="media")),
    # PluralKit v2.
    "/pk/v2/systems/{ref}": urls("/pk/v2/systems/{sid}", "/pk/v2/systems/{suuid}", "/pk/v2/systems/{discord}",
                                 "/pk/v2/systems/@me"),
    "/pk/v2/systems/{ref}/settings": urls("/pk/v2/systems/{sid}/settings"),
    "/pk/v2/systems/{ref}/members": urls("/pk/v2/systems/{sid}/members"),
    "/pk/v2/members/{ref}": each("/pk/v2/members/{it}", ids("v", "v_uuid", kind="member")),
    "/pk/v2/members/{ref}/groups": each("/pk/v2/members/{it}/groups", ids("v", kind="member")),
    "/pk/v2/systems/{ref}/groups": urls("/pk/v2/systems/{sid}/groups", "/pk/v2/systems/{sid}/groups?with_members=true"),
    "/pk/v2/groups/{ref}": each("/pk/v2/groups/{it}", ids("pg", kind="group")),
    "/pk/v2/groups/{ref}/members": each("/pk/v2/groups/{it}/members", ids("pg", kind="group")),
    "/pk/v2/systems/{ref}/switches": urls("/pk/v2/systems/{sid}/switches", "/pk/v2/systems/{sid}/switches?limit=1",
                                          "/pk/v2/systems/{sid}/switches?before={before}"),
    "/pk/v2/systems/{ref}/fronters": urls("/pk/v2/systems/{sid}/fronters"),
    "/pk/v2/systems/{ref}/switches/{switch}": each("/pk/v2/systems/{sid}/switches/{it}",
                                                   ids("switch", kind="switch")),
    "/pk/v2/messages/{ident}": each("/pk/v2/messages/{it}", ids("message", "hidden_message", kind="message")),
    # PluralKit v1.
    "/pk/v1/s": urls("/pk/v1/s"),
    "/pk/v1/s/{ref}": urls("/pk/v1/s/{sid}", "/pk/v1/s/{suuid}"),
    "/pk/v1/s/{ref}/members": urls("/pk/v1/s/{sid}/members"),
    "/pk/v1/s/{ref}/switches": urls("/pk/v1/s/{sid}/switches", "/pk/v1/s/{sid}/switches?before={before}"),
    "/pk/v1/s/{ref}/fronters": urls("/pk/v1/s/{sid}/fronters"),
    "/pk/v1/m/{ref}": each("/pk/v1/m/{it}", ids("v", kind="member")),
    "/pk/v1/a/{discord_id}": each("/pk/v1/a/{it}", ids("discord", kind="discord")),
    "/pk/v1/msg/{ident}": each("/pk/v1/msg/{it}", ids("message", "hidden_message", kind="message")),
}

# GET routes deliberately not swept, and why. Anything else that the app serves and ROUTES lacks fails the suite.
NOT_SWEPT: dict[str, str] = {}

# Hidden versus unknown: the route, and where the hidden or unknown value goes (`{it}`), for each kind.
PROBES: list[tuple[str, str]] = [
    (SYSTEM + "/members/{it}", "member"),
    (SYSTEM + "/members/{it}?include=fields,groups,relationships", "member"),
    (SYSTEM + "/relationships?member={it}", "member"),
    (SYSTEM + "/fronts?member={it}", "member"),
    (SYSTEM + "/journal?author={it}", "member"),
    ("/pk/v2/members/{it}", "member"),
    ("/pk/v2/members/{it}/groups", "member"),
    ("/pk/v1/m/{it}", "member"),
    (SYSTEM + "/groups/{it}", "group"),
    (SYSTEM + "/groups/{it}/members", "group"),
    ("/pk/v2/groups/{it}", "group"),
    ("/pk/v2/groups/{it}/members", "group"),
    (SYSTEM + "/fields/{it}", "field"),
    (SYSTEM + "/relationships/{it}", "relationship"),
    (SYSTEM + "/fronts/{it}", "front"),
    (SYSTEM + "/fronts/{it}?include=member", "front"),
    (SYSTEM + "/journal/{it}", "journal"),
    (SYSTEM + "/switches/{it}", "switch_at"),
    ("/pk/v2/systems/{sid}/switches/{it}", "switch"),
    ("/api/v1/me/apps/{it}", "client_id"),
    ("/api/v1/systems/@me/imports/{it}", "import"),
    ("/media/{it}", "media"),
    ("/api/v1/me/webhooks/{it}", "webhook"),
    ("/api/v1/me/webhooks/{it}/deliveries", "webhook"),
]


def get_routes(app) -> set[str]:
    return {path for method, path in app_routes(app) if method == "GET"}


# --- viewers and checks ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Viewer:
    name: str
    token: str | None
    lacks: str | None = None  # the owner's token without this family's read scope; None: another viewer

    def forbidden(self, world: Planted) -> list:
        if self.lacks is None:
            return [s for s in world.secrets if not s.shown_to_others(world.privacy)]
        return [s for s in world.secrets if s.families is not None and s.families <= {self.lacks}]


@dataclass
class Sweep:
    """What one sweep requested and found."""

    routes: set[str] = field(default_factory=set)
    requests: int = 0
    checks: int = 0
    viewers: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)
    leaks: dict[str, list[str]] = field(default_factory=dict)  # "viewer: GET url (status)" -> what leaked
    seen: set[str] = field(default_factory=set)  # secrets that did appear, where the viewer may see them

    def leaked(self, where: str, what: str) -> None:
        self.leaks.setdefault(where, []).append(what)

    def report(self) -> str:
        return "\n".join(f"{where}: {', '.join(whats)}" for where, whats in sorted(self.leaks.items()))

    def summary(self, label: str) -> str:
        return (f"{label}: {len(self.routes)} routes ({self.requests} requests) x {len(self.viewers)} viewers "
                f"x {len(self.secrets)} secrets = {self.checks} checks")


def decoded_cursors(value: Any) -> Iterator[str]:
    """The text inside opaque cursors, which could carry a hidden row's key."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "cursor" and isinstance(item, str):
                with contextlib.suppress(ValueError):
                    yield base64.urlsafe_b64decode(item + "=" * (-len(item) % 4)).decode("utf-8", "replace")
            else:
                yield from decoded_cursors(item)
    elif isinstance(value, list):
        for item in value:
            yield from decoded_cursors(item)


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def visible_text(response: httpx.Response) -> str:
    """Everything a response tells: headers, body, and what its cursors hold."""
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    return "\n".join([headers, response.text, *decoded_cursors(json_of(response))])


def next_page(url: str, response: httpx.Response) -> str | None:
    body = json_of(response)
    cursor = body.get("pagination", {}).get("cursor") if isinstance(body, dict) else None
    if not cursor:
        return None
    base = url.split("&cursor=")[0]
    return f"{base}&cursor={quote(cursor)}"


def request(api: Api, url: str, viewer: Viewer) -> httpx.Response:
    if "/events" in url:
        return replayed_events(api, url, viewer)
    return api.get(url, viewer.token, follow_redirects=False)


def replayed_events(api: Api, url: str, viewer: Viewer) -> httpx.Response:
    """The event stream from its first stored event (everything the planting did) up to the `caught up` comment
    that ends the replay, as a response to check like any other."""
    headers = {"Last-Event-ID": "0"} | ({"Authorization": f"Bearer {viewer.token}"} if viewer.token else {})
    with api.client.stream("GET", url, headers=headers) as response:
        if response.status_code != 200:
            response.read()
            return response
        lines = []
        for line in response.iter_lines():
            if line == ": caught up":
                break
            lines.append(line)
    return httpx.Response(200, headers=response.headers, text="\n".join(lines))


def sweep_one(api: Api, world: Planted, viewer: Viewer, url: str | None, found: Sweep) -> None:
    forbidden = viewer.forbidden(world)
    allowed = [s for s in world.secrets if s not in forbidden]
    pages = 0
    while url is not None and pages < 20:
        response = request(api, url, viewer)
        found.requests += 1
        found.checks += len(forbidden)
        pages += 1
        where = f"[{world.scenario}] {viewer.name}: GET {url} ({response.status_code})"
        if response.status_code >= 500:
            found.leaked(where, f"server error {response.text[:200]}")
        text = visible_text(response)
        for secret in forbidden:
            if secret.text in text and secret.text not in url:  # an id the caller sent may come back
                found.leaked(where, secret.what)
        found.seen |= {secret.text for secret in allowed if secret.text in text}
        url = next_page(url, response) if PAGED[1:] in url else None


def sweep(api: Api, world: Planted, viewers: list[Viewer], found: Sweep, app) -> None:
    for route in sorted(get_routes(app) & set(ROUTES)):
        found.routes.add(route)
        for url in ROUTES[route](world):
            for viewer in viewers:
                found.viewers.add(viewer.name)
                found.secrets |= {s.text for s in viewer.forbidden(world)}
                sweep_one(api, world, viewer, url, found)


# --- scenarios and fixtures ------------------------------------------------------------------------------------------

# Leaks hide where settings meet: recaps public over a private history, a public history with hidden members in it.
MIXED = {"description": "public", "member_list": "private", "group_list": "public", "front": "public",
         "front_history": "private", "fields": "private", "relationships": "public", "journal": "private",
         "polls": "public", "thoughts": "private", "wrapped": "public"}
SCENARIOS: dict[str, dict[str, str]] = {
    "all private": dict.fromkeys(AREAS, "private"),
    "all public": dict.fromkeys(AREAS, "public"),
    "mixed": MIXED,
    "mixed, flipped": {key: "private" if value == "public" else "public" for key, value in MIXED.items()},
}
assert all(set(privacy) == set(AREAS) for privacy in SCENARIOS.values())


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Iterator[Api]:
    api = server.api()
    yield api
    api.close()


@pytest.fixture(scope="module")
def other(client: Api):
    return client.register(system_name="Curious neighbour")


@pytest.fixture(scope="module")
def planted(client: Api, server: RunningServer) -> dict[str, Planted]:
    return {name: plant(client, server, name, privacy) for name, privacy in SCENARIOS.items()}


def public_viewers(other) -> list[Viewer]:
    return [Viewer("no token", None), Viewer("another account", other.session)]


def owner_viewers(client: Api, world: Planted) -> list[Viewer]:
    viewers = []
    for family in FAMILIES:
        held = [scope for scope in GRANTABLE if scope.split(":")[0] != family]
        viewers.append(Viewer(f"owner without {family}:read", client.pat(world.owner, *held), lacks=family))
    return viewers


# --- the tests -----------------------------------------------------------------------------------------------------

def test_every_get_route_is_swept(server):
    served = get_routes(server.app)
    assert sorted(served - set(ROUTES) - set(NOT_SWEPT)) == [], "GET routes the leak test does not request"
    assert sorted((set(ROUTES) | set(NOT_SWEPT)) - served) == [], "entries for routes the app does not serve"


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_other_viewers_see_no_secret(client, server, other, planted, scenario):
    world = planted[scenario]
    found = Sweep()
    sweep(client, world, public_viewers(other), found, server.app)
    print(found.summary(f"leak sweep, {scenario}"))
    assert not found.leaks, found.report()
    # What the settings do show is found by the sweep: the test reaches every planted place it claims to check.
    shown = {s.text: s.what for s in world.secrets if s.shown_to_others(world.privacy)}
    assert sorted(what for text, what in shown.items() if text not in found.seen) == []


def test_owner_tokens_see_no_secret_of_a_scope_they_lack(client, server, planted):
    world = planted["mixed"]
    found = Sweep()
    sweep(client, world, owner_viewers(client, world), found, server.app)
    print(found.summary("leak sweep, owner tokens each lacking one read scope"))
    assert not found.leaks, found.report()
    checked = {s.text: s.what for s in world.secrets if s.families}
    assert sorted(what for text, what in checked.items() if text not in found.seen) == []


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_hidden_answers_like_unknown(client, other, planted, scenario):
    world = planted[scenario]
    differences = []
    for template, kind in PROBES:
        for viewer in public_viewers(other):
            unknown_id = world.unknown[kind]
            unknown = answer(request(client, world.path(template, it=unknown_id), viewer), unknown_id)
            for hidden in world.hidden[kind]:
                seen = answer(request(client, world.path(template, it=hidden), viewer), hidden)
                if seen != unknown:
                    differences.append(f"{viewer.name}: {template} with a hidden {kind}: {str(seen)[:300]} "
                                       f"but unknown: {str(unknown)[:300]}")
    assert differences == [], "\n".join(differences)


@pytest.mark.parametrize("scenario", ["all public", "mixed"])
def test_poll_totals_count_only_visible_votes(client, other, planted, scenario):
    world = planted[scenario]
    for viewer in public_viewers(other):
        poll = data(request(client, world.path(SYSTEM + "/polls/{poll}"), viewer))
        votes = data(request(client, world.path(SYSTEM + "/polls/{poll}/votes"), viewer))
        tally = Counter(option for vote in votes for option in vote["option_ids"])
        assert poll["vote_count"] == len(votes) == 1
        assert poll["results"] == {world.ids["yes"]: tally[world.ids["yes"]], world.ids["no"]: 0, "abstain": 0,
                                   "veto": 0}

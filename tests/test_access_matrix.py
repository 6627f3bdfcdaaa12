"""Who may call what: one table row per endpoint, and the same five questions asked of every row.

    (a) the owner, holding the row's scope, succeeds;
    (b) the owner's personal access token without that scope is 403 INSUFFICIENT_SCOPE (details.required/granted);
    (c) another account's token sees only the public view of the owner's data, and changes only its own;
    (d) no token is 401 UNAUTHENTICATED with `WWW-Authenticate: Bearer`, except on public endpoints;
    (e) a revoked token and an expired token are 401.

`test_the_table_covers_every_endpoint` compares the table with the running app's routes and OpenAPI document, so an
endpoint added without a row fails the suite until someone says who may call it.
"""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from pluralspace.admin.router import router as admin_router
from pluralspace.pk.v1 import router as pk_v1_router
from pluralspace.pk.v2 import router as pk_v2_router

from .conftest import RunningServer, base_settings
from .helpers import PASSWORD, Account, Api, data, error, served_routes
from .web.page_routes import PAGE_ROUTES  # the system's pages: one list, checked by tests/web/test_page_access.py

# The contract's scopes (docs/API.md §2); `account` is held by login sessions only and is never grantable.
GRANTABLE = sorted([
    "system:read", "system:write", "members:read", "members:write", "groups:read", "groups:write", "fields:read",
    "fields:write", "relationships:read", "relationships:write", "fronts:read", "fronts:write", "journal:read",
    "journal:write", "polls:read", "polls:write", "thoughts:read", "thoughts:write", "wrapped:read", "webhooks",
])
ACCOUNT = "account"
EXPIRY_SECONDS = 2
OWNER_DESCRIPTION = "Only the owner reads this."


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def new_email() -> str:
    return f"matrix-{secrets.token_hex(6)}@example.org"


@dataclass
class Call:
    """A request the owner could send; `keep` holds what the row's checks need (ids, token text)."""

    method: str
    path: str
    json: Any = None
    keep: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] | None = None  # a multipart body (image uploads) instead of JSON
    stream: bool = False  # a Server-Sent Events stream: only its head is read (and the body of a refusal)

    def send(self, api: Api, token: str | None) -> httpx.Response:
        if not self.stream:
            return api.request(self.method, self.path, token, json=self.json, files=self.files)
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        with api.client.stream(self.method, self.path, headers=headers) as response:
            if response.status_code != 200:
                response.read()
            return response


@dataclass
class World:
    """An owner and another account on one server, with the tokens the cases need."""

    api: Api
    owner: Account
    other: Account
    pats: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, api: Api) -> World:
        return cls(api, api.register(system_name="Owner System"), api.register(system_name="Other System"))

    def pat(self, account: Account, *scopes: str) -> str:
        key = (account.account_id, tuple(sorted(scopes)))
        if key not in self.pats:
            self.pats[key] = self.api.pat(account, *scopes)
        return self.pats[key]

    # Shortcuts the rows use to look at the owner's and the other account's data with their own sessions.
    def owner_get(self, path: str) -> httpx.Response:
        return self.api.get(path, self.owner.session)

    def other_get(self, path: str) -> httpx.Response:
        return self.api.get(path, self.other.session)


def setup_owner_data(world: World) -> None:
    """Owner data with something private in it, so that (c) and (d) can tell the public view from the owner's."""
    api, owner = world.api, world.owner
    data(api.patch("/api/v1/systems/@me", owner.session,
                   json={"description": OWNER_DESCRIPTION, "privacy": {"member_list": "public"}}))
    world.extra["public_member"] = data(api.post(
        "/api/v1/systems/@me/members", owner.session,
        json={"name": "Open", "description": "private words", "privacy": {"visibility": "public", "name": "public"}}),
        201)
    world.extra["members"] = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Hidden"}),
                                  201)
    for resource in RESOURCES[1:]:
        world.extra[resource.collection] = resource.new_item(world)
    world.extra["owner_token_id"] = data(api.post("/api/v1/me/tokens", owner.session,
                                                  json={"name": "listed", "scopes": ["system:read"]}), 201)["id"]


Check = Callable[[World, Call, httpx.Response], None]
Effect = Callable[[World, Call], None]


def _no_effect(world: World, call: Call) -> None:
    return None


def _unchecked(world: World, call: Call, response: httpx.Response) -> None:
    raise AssertionError("every row states what the owner's success shows")


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as the OpenAPI document (or the app's route) spells it
    scope: str | None  # the scope the endpoint needs; ACCOUNT for session-only endpoints; None: it takes no token
    public: bool  # answers without a token
    build: Callable[[World], Call]
    status: int = 200
    check: Check = _unchecked  # what the owner's success must show (every row sets it)
    as_other: Check | None = None  # (c): another account's token, holding the scope, sends the owner's request
    as_public: Check | None = None  # (d) on public endpoints when it differs from the owner's: asserts the status
    unchanged: Effect = _no_effect  # after a refused request: nothing of the owner's changed
    fresh: str = ""  # "session" or "account" when the call ends the caller's: (a) and (c) get a new one
    variant: str = ""
    also: tuple[str, ...] = ()  # scopes a token needs besides `scope`: the answer is made of another area's objects
    # The scopes the OpenAPI document states, when the route decides itself (the event stream: by `?types=`).
    declared: tuple[str, ...] | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")


# --- checks shared by several rows -------------------------------------------------------------------------------

def envelope_equals(expected: Any) -> Check:
    def check(world: World, call: Call, response: httpx.Response) -> None:
        assert data(response) == expected

    return check


def session_works(world: World, token: str) -> bool:
    response = world.api.get("/api/v1/me", token)
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def owner_still_signed_in(world: World, call: Call) -> None:
    assert session_works(world, world.owner.session)


def owner_email_unchanged(world: World, call: Call) -> None:
    assert data(world.owner_get("/api/v1/me"))["email"] == world.owner.email


def owner_system_not_named(world: World, call: Call) -> None:
    assert data(world.owner_get("/api/v1/systems/@me"))["name"] != call.json["name"]


def owner_has_no_token_named(world: World, call: Call) -> None:
    names = [t["name"] for t in data(world.owner_get("/api/v1/me/tokens?limit=200"))]
    assert call.json["name"] not in names


def kept_token_still_works(world: World, call: Call) -> None:
    data(world.api.get("/api/v1/systems/@me", call.keep["token"]))


def is_forbidden(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 403, "FORBIDDEN")


# --- ops ---------------------------------------------------------------------------------------------------------

def html_page(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


def stylesheet(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


def export_of(account_of: Callable[[World], Account]) -> Check:
    """The caller's own system, whoever calls: an export never holds another account's data."""
    def check(world: World, call: Call, response: httpx.Response) -> None:
        assert response.status_code == 200, response.text
        exported = response.json()
        assert exported["format"] == "pluralspace" and exported["system"]["id"] == account_of(world).system_id
        others = {world.owner.system_id, world.other.system_id} - {account_of(world).system_id}
        assert not any(system_id in response.text for system_id in others)

    return check


def openapi_document(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.1")


def version_check(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    assert body["api_version"] == "v1" and body["compat"] == ["pk/v1", "pk/v2"]


# --- imports -----------------------------------------------------------------------------------------------------

IMPORTS = "/api/v1/systems/@me/imports"


def tupperbox_file() -> dict:
    return {"tuppers": [{"name": unique("imported"), "brackets": ["i:", ""]}], "groups": []}


def finished_import(world: World, token: str, job_id: str) -> dict:
    deadline = time.monotonic() + 30
    while True:
        job = data(world.api.get(f"{IMPORTS}/{job_id}", token))
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def import_call(world: World) -> Call:
    return Call("POST", IMPORTS, tupperbox_file())


def import_into(account_of: Callable[[World], Account]) -> Check:
    """The file goes into the caller's own system, whoever calls."""
    def check(world: World, call: Call, response: httpx.Response) -> None:
        account = account_of(world)
        job = finished_import(world, account.session, data(response, 202)["id"])
        assert job["status"] == "succeeded", job
        name = call.json["tuppers"][0]["name"]
        for someone in (world.owner, world.other):
            names = [m["name"] for m in data(world.api.get("/api/v1/systems/@me/members?limit=200", someone.session))]
            assert (name in names) == (someone is account)

    return check


def owner_job_call(world: World) -> Call:
    job = data(world.api.post(IMPORTS, world.owner.session, json=tupperbox_file()), 202)
    finished_import(world, world.owner.session, job["id"])
    return Call("GET", f"{IMPORTS}/{job['id']}", keep={"job_id": job["id"]})


def is_owner_job(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["id"] == call.keep["job_id"]


def owner_jobs_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert call.keep["job_id"] in [job["id"] for job in data(response)]


def owner_jobs_not_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert call.keep["job_id"] not in [job["id"] for job in data(response)]


def list_jobs_call(world: World) -> Call:
    return Call("GET", f"{IMPORTS}?limit=200", keep=owner_job_call(world).keep)


def is_not_found(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 404, "NOT_FOUND")


# --- media -------------------------------------------------------------------------------------------------------

def png_upload(color: tuple[int, int, int] | None = None) -> dict[str, Any]:
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), color or tuple(secrets.token_bytes(3))).save(picture, "PNG")
    return {"file": ("picture.png", picture.getvalue(), "image/png")}


def media_rows(slot: str, of_member: bool) -> list[Row]:
    """PUT and DELETE of one image slot, of the system or of the owner's (private) member. Other rows' setup
    uploads images too, so "unchanged" means: a refused upload's picture is nowhere, a refused removal removed
    nothing."""
    route = f"/api/v1/systems/@me/members/{{mid}}/{slot}" if of_member else f"/api/v1/systems/@me/{slot}"
    column = f"{slot}_url"

    def path(world: World) -> str:
        return route.replace("{mid}", world.extra["members"]["id"])

    def shown(world: World, account: Account) -> Any:
        holder = f"/api/v1/systems/@me/members/{world.extra['members']['id']}" if of_member else "/api/v1/systems/@me"
        return data(world.api.get(holder, account.session))[column]

    def colour_of(world: World, url: str) -> Any:
        served = world.api.get("/media/" + url.rsplit("/", 1)[-1], world.owner.session)
        return Image.open(io.BytesIO(served.content)).convert("RGB").getpixel((0, 0))

    def put_call(world: World) -> Call:
        colour = tuple(secrets.token_bytes(3))
        return Call("PUT", path(world), files=png_upload(colour), keep={"colour": colour})

    def delete_call(world: World) -> Call:
        data(world.api.put(path(world), world.owner.session, files=png_upload()))
        return Call("DELETE", path(world))

    def upload_not_taken(world: World, call: Call) -> None:
        url = shown(world, world.owner)
        assert url is None or colour_of(world, url) != call.keep["colour"]

    def image_kept(world: World, call: Call) -> None:
        assert "/media/" in shown(world, world.owner)

    def stored(world: World, call: Call, response: httpx.Response) -> None:
        url = data(response)[column]
        assert "/media/" in url and shown(world, world.owner) == url and colour_of(world, url) == call.keep["colour"]

    def removed(world: World, call: Call, response: httpx.Response) -> None:
        assert response.status_code == 204, response.text
        assert shown(world, world.owner) is None

    def other_member_unknown(unchanged: Effect) -> Check:
        def check(world: World, call: Call, response: httpx.Response) -> None:
            error(response, 404, "NOT_FOUND")
            unchanged(world, call)

        return check

    def only_other_stored(world: World, call: Call, response: httpx.Response) -> None:
        assert "/media/" in data(response)[column] and shown(world, world.other) == data(response)[column]
        upload_not_taken(world, call)

    def only_other_removed(world: World, call: Call, response: httpx.Response) -> None:
        assert response.status_code == 204 and shown(world, world.other) is None
        image_kept(world, call)

    scope = "members:write" if of_member else "system:write"
    return [
        Row("PUT", route, scope, False, put_call, check=stored, unchanged=upload_not_taken,
            as_other=other_member_unknown(upload_not_taken) if of_member else only_other_stored),
        Row("DELETE", route, scope, False, delete_call, 204, check=removed, unchanged=image_kept,
            as_other=other_member_unknown(image_kept) if of_member else only_other_removed),
    ]


def system_avatar_call(world: World) -> Call:
    """Another system's avatar (the owner's images are what the upload rows look at)."""
    url = data(world.api.put("/api/v1/systems/@me/avatar", world.other.session, files=png_upload()))["avatar_url"]
    return Call("GET", "/media/" + url.rsplit("/", 1)[-1])


def an_image(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (8, 8)


MEDIA_ROWS = [
    *[row for slot in ("avatar", "banner") for of_member in (False, True) for row in media_rows(slot, of_member)],
    # A system's images are public; a member's only where the member and its avatar are (tests/privacy, tests/media).
    Row("GET", "/media/{key}", None, True, system_avatar_call, check=an_image),
]


# --- auth --------------------------------------------------------------------------------------------------------

def register_call(world: World) -> Call:
    return Call("POST", "/api/v1/auth/register", {"email": new_email(), "password": PASSWORD})


def registered(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response, 201)
    assert body["email"] == call.json["email"] and body["system"]["privacy"]["description"] == "private"


def login_call(world: World) -> Call:
    return Call("POST", "/api/v1/auth/login", {"email": world.owner.email, "password": PASSWORD})


def signed_in_as_owner(world: World, call: Call, response: httpx.Response) -> None:
    pair = data(response)
    assert data(world.api.get("/api/v1/me", pair["access_token"]))["email"] == world.owner.email


def refresh_call(world: World) -> Call:
    pair = world.api.login(world.owner.email, PASSWORD)
    return Call("POST", "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})


def logged_out(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    assert not session_works(world, world.owner.session)


def other_logged_out(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    assert not session_works(world, world.other.session)
    assert session_works(world, world.owner.session)


# --- /me ---------------------------------------------------------------------------------------------------------

def is_owner_account(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    assert body["email"] == world.owner.email and body["system_id"] == world.owner.system_id


def is_other_account(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    assert body["email"] == world.other.email and body["system_id"] == world.other.system_id


def patch_me_call(world: World) -> Call:
    return Call("PATCH", "/api/v1/me", {"current_password": PASSWORD, "email": new_email()})


def delete_me_call(world: World) -> Call:
    return Call("DELETE", "/api/v1/me", {"current_password": PASSWORD})


def owner_email_changed(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["email"] == call.json["email"]
    assert data(world.owner_get("/api/v1/me"))["email"] == call.json["email"]
    world.owner.email = call.json["email"]  # the shared owner now signs in with it


def only_other_email_changed(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["id"] == world.other.account_id
    assert data(world.other_get("/api/v1/me"))["email"] == call.json["email"]
    world.other.email = call.json["email"]
    owner_email_unchanged(world, call)


def owner_deleted(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    assert not session_works(world, world.owner.session)
    error(world.api.post("/api/v1/auth/login", json={"email": world.owner.email, "password": PASSWORD}),
          401, "UNAUTHENTICATED")


def only_other_deleted(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    assert not session_works(world, world.other.session)
    assert session_works(world, world.owner.session)


def owner_security_log(world: World, call: Call, response: httpx.Response) -> None:
    kinds = {event["kind"] for event in data(response)}
    assert {"account_created", "login", "token_created"} <= kinds


def other_security_log(world: World, call: Call, response: httpx.Response) -> None:
    seen = {event["id"] for event in data(response)}
    owners = {event["id"] for event in data(world.owner_get("/api/v1/me/security-log?limit=200"))}
    assert seen and owners and not seen & owners


def lists_owner_token(world: World, call: Call, response: httpx.Response) -> None:
    assert world.extra["owner_token_id"] in [t["id"] for t in data(response)]


def lists_no_owner_token(world: World, call: Call, response: httpx.Response) -> None:
    assert world.extra["owner_token_id"] not in [t["id"] for t in data(response)]


def create_token_call(world: World) -> Call:
    return Call("POST", "/api/v1/me/tokens", {"name": unique("matrix"), "scopes": ["system:read"]})


def token_for(account_of: Callable[[World], Account]) -> Check:
    def check(world: World, call: Call, response: httpx.Response) -> None:
        token = data(response, 201)["token"]
        assert data(world.api.get("/api/v1/systems/@me", token))["id"] == account_of(world).system_id

    return check


def other_token_created(world: World, call: Call, response: httpx.Response) -> None:
    token_for(lambda w: w.other)(world, call, response)
    owner_has_no_token_named(world, call)


def revoke_token_call(world: World) -> Call:
    created = data(world.api.post("/api/v1/me/tokens", world.owner.session,
                                  json={"name": unique("doomed"), "scopes": ["system:read"]}), 201)
    return Call("DELETE", f"/api/v1/me/tokens/{created['id']}", keep={"token": created["token"]})


def token_revoked(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    error(world.api.get("/api/v1/systems/@me", call.keep["token"]), 401, "UNAUTHENTICATED")


def other_cannot_revoke(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 404, "NOT_FOUND")
    kept_token_still_works(world, call)


# --- systems -----------------------------------------------------------------------------------------------------

def is_owner_system(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    assert body["id"] == world.owner.system_id and body["privacy"] is not None
    assert body["description"] == OWNER_DESCRIPTION


def is_other_system(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["id"] == world.other.system_id


def public_view_of_owner_system(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    owners = data(world.owner_get("/api/v1/systems/@me"))
    assert body["id"] == world.owner.system_id and body["name"] == owners["name"] and body["tag"] == owners["tag"]
    assert body["privacy"] is None and body["description"] is None


def rename_system_call(world: World) -> Call:
    return Call("PATCH", "/api/v1/systems/@me", {"name": unique("renamed")})


def owner_system_renamed(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["name"] == call.json["name"]
    assert data(world.owner_get("/api/v1/systems/@me"))["name"] == call.json["name"]


def only_other_system_renamed(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    assert body["id"] == world.other.system_id and body["name"] == call.json["name"]
    owner_system_not_named(world, call)


# --- resources inside a system: one factory for their five operations ---------------------------------------------

@dataclass(frozen=True)
class Resource:
    """A collection under /systems/{sid}/ with the usual list, create, get, change and delete.

    `create` builds the body of a new item of the owner's (making what it refers to); `key` is the field a change
    sets and that tells items apart. What a public viewer gets from the list and from the seeded item (private, in a
    system whose areas are private except those `setup_owner_data` opens) is stated per resource.
    """

    collection: str
    item: str
    family: str
    create: Callable[[World], dict]
    key: str
    public_list: Check
    public_get: Check

    def path(self, world: World) -> str:
        return f"/api/v1/systems/{world.owner.system_id}/{self.collection}"

    def seed(self, world: World) -> dict:
        return world.extra[self.collection]

    def item_path(self, world: World, item: dict) -> str:
        return f"{self.path(world)}/{item['id']}"

    def owner_items(self, world: World) -> list[dict]:
        return data(world.owner_get(self.path(world) + "?limit=200"))

    def new_item(self, world: World) -> dict:
        return data(world.api.post(self.path(world), world.owner.session, json=self.create(world)), 201)

    def rows(self) -> list[Row]:
        template = f"/api/v1/systems/{{sid}}/{self.collection}"
        read, write = f"{self.family}:read", f"{self.family}:write"

        def list_call(world: World) -> Call:
            return Call("GET", self.path(world) + "?limit=200")

        def lists_seed(world: World, call: Call, response: httpx.Response) -> None:
            assert self.seed(world)["id"] in [item["id"] for item in data(response)]

        def create_call(world: World) -> Call:
            return Call("POST", self.path(world), {**self.create(world), self.key: unique("new")})

        def created(world: World, call: Call, response: httpx.Response) -> None:
            item = data(response, 201)
            assert item[self.key] == call.json[self.key]
            assert item["id"] in [i["id"] for i in self.owner_items(world)]

        def not_created(world: World, call: Call) -> None:
            assert call.json[self.key] not in [item[self.key] for item in self.owner_items(world)]

        def refused_and_not_created(world: World, call: Call, response: httpx.Response) -> None:
            error(response, 403, "FORBIDDEN")
            not_created(world, call)

        def get_call(world: World) -> Call:
            return Call("GET", self.item_path(world, self.seed(world)))

        def got_seed(world: World, call: Call, response: httpx.Response) -> None:
            assert data(response)["id"] == self.seed(world)["id"]

        def item_call(method: str) -> Callable[[World], Call]:
            def build(world: World) -> Call:
                item = self.new_item(world)
                return Call(method, self.item_path(world, item),
                            {self.key: unique("changed")} if method == "PATCH" else None, keep={"item": item})

            return build

        def unchanged(world: World, call: Call) -> None:
            assert data(world.owner_get(call.path))[self.key] == call.keep["item"][self.key]

        def changed(world: World, call: Call, response: httpx.Response) -> None:
            assert data(response)[self.key] == call.json[self.key]
            assert data(world.owner_get(call.path))[self.key] == call.json[self.key]

        def deleted(world: World, call: Call, response: httpx.Response) -> None:
            assert response.status_code == 204, response.text
            error(world.owner_get(call.path), 404, "NOT_FOUND")

        def refused_and_unchanged(world: World, call: Call, response: httpx.Response) -> None:
            error(response, 403, "FORBIDDEN")
            unchanged(world, call)

        return [
            Row("GET", template, read, True, list_call, check=lists_seed, as_other=self.public_list,
                as_public=self.public_list),
            Row("POST", template, write, False, create_call, 201, check=created, as_other=refused_and_not_created,
                unchanged=not_created),
            Row("GET", f"{template}/{self.item}", read, True, get_call, check=got_seed, as_other=self.public_get,
                as_public=self.public_get),
            Row("PATCH", f"{template}/{self.item}", write, False, item_call("PATCH"), check=changed,
                as_other=refused_and_unchanged, unchanged=unchanged),
            Row("DELETE", f"{template}/{self.item}", write, False, item_call("DELETE"), 204, check=deleted,
                as_other=refused_and_unchanged, unchanged=unchanged),
        ]


def is_404(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 404, "NOT_FOUND")


def public_members_only(world: World, call: Call, response: httpx.Response) -> None:
    members = data(response)
    assert [m["id"] for m in members] == [world.extra["public_member"]["id"]]
    assert members[0]["name"] == "Open" and members[0]["description"] is None and members[0]["privacy"] is None


def member_body(world: World) -> dict:
    return {"name": unique("member")}


def new_member_id(world: World) -> str:
    return data(world.api.post("/api/v1/systems/@me/members", world.owner.session, json=member_body(world)),
                201)["id"]


def relationship_body(world: World) -> dict:
    return {"type_id": world.extra["relationship-types"]["id"], "source_member_id": new_member_id(world),
            "target_member_id": new_member_id(world), "note": unique("note")}


def past_front(world: World, **extra: Any) -> dict:
    return {"member_id": new_member_id(world), "started_at": "2020-01-01T00:00:00Z",
            "ended_at": "2020-01-01T01:00:00Z", **extra}


def poll_body(world: World) -> dict:
    return {"title": unique("poll"), "options": [{"label": "yes"}, {"label": "no"}]}


# What a public viewer sees: the owner opened the member list only, and the seeded items are private.
MEMBERS = Resource("members", "{mid}", "members", member_body, "name", public_list=public_members_only,
                   public_get=is_404)
FIELDS = Resource("fields", "{field_id}", "fields", lambda w: {"name": unique("field"), "type": "text"}, "name",
                  public_list=is_forbidden, public_get=is_forbidden)
GROUPS = Resource("groups", "{gid}", "groups", lambda w: {"name": unique("group")}, "name",
                  public_list=is_forbidden, public_get=is_404)
RELATIONSHIP_TYPES = Resource("relationship-types", "{type_id}", "relationships",
                              lambda w: {"name": unique("type"), "inverse_name": "reverse"}, "name",
                              public_list=is_forbidden, public_get=is_forbidden)
RELATIONSHIPS = Resource("relationships", "{relationship_id}", "relationships", relationship_body, "note",
                         public_list=is_forbidden, public_get=is_forbidden)
FRONTS = Resource("fronts", "{front_id}", "fronts", lambda w: past_front(w, comment=unique("front")), "comment",
                  public_list=is_forbidden, public_get=is_forbidden)
POLLS = Resource("polls", "{poll_id}", "polls", poll_body, "title", public_list=is_forbidden,
                 public_get=is_forbidden)
JOURNAL = Resource("journal", "{entry_id}", "journal", lambda w: {"title": unique("entry"), "body": "Dear diary"},
                   "title", public_list=is_forbidden, public_get=is_forbidden)
RESOURCES = [MEMBERS, FIELDS, GROUPS, RELATIONSHIP_TYPES, RELATIONSHIPS, FRONTS, POLLS, JOURNAL]  # seeded in order


def read_call(suffix: str) -> Callable[[World], Call]:
    return lambda world: Call("GET", f"/api/v1/systems/{world.owner.system_id}/{suffix}")


NOW = datetime.now(UTC)


def wrapped_index(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)[0]["period"] == f"{NOW.year:04d}-{NOW.month:02d}"


def wrapped_recap(kind: str) -> Check:
    def check(world: World, call: Call, response: httpx.Response) -> None:
        recap = data(response)
        assert recap["kind"] == kind and recap["final"] is False and recap["members"] is not None  # the owner's

    return check


def answers_a_list(world: World, call: Call, response: httpx.Response) -> None:
    assert isinstance(data(response), list)


def system_read_row(suffix: str, family: str, check: Check = answers_a_list) -> Row:
    """A read of an area the owner keeps private: 403 FORBIDDEN for anyone else."""
    return Row("GET", f"/api/v1/systems/{{sid}}/{suffix}", f"{family}:read", True, read_call(suffix), check=check,
               as_other=is_forbidden, as_public=is_forbidden)


def owner_state(world: World, path: str) -> Any:
    return data(world.owner_get(path))


def write_row(method: str, path: str, family: str, build: Callable[[World], Call], status: int,
              done: Callable[[World, Call], None], not_done: Callable[[World, Call], None]) -> Row:
    """A change inside the owner's system: `done` and `not_done` look at the owner's data afterwards."""

    def check(world: World, call: Call, response: httpx.Response) -> None:
        assert response.status_code == status, response.text
        done(world, call)

    def as_other(world: World, call: Call, response: httpx.Response) -> None:
        error(response, 403, "FORBIDDEN")
        not_done(world, call)

    return Row(method, path, f"{family}:write", False, build, status, check=check, as_other=as_other,
               unchanged=not_done)


# Fronts beyond their collection.
def end_front_call(world: World) -> Call:
    front = data(world.api.post(
        FRONTS.path(world), world.owner.session,
        json={"member_id": new_member_id(world), "started_at": "2020-01-01T00:00:00Z"}), 201)
    path = FRONTS.item_path(world, front)
    return Call("POST", f"{path}/end", {}, keep={"path": path})


def front_ended(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["ended_at"] is not None


def front_open(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["ended_at"] is None


def fronters_call(world: World) -> Call:
    return Call("PUT", f"/api/v1/systems/{world.owner.system_id}/fronters", {"member_ids": [new_member_id(world)]})


def current_fronters(world: World) -> list[str]:
    return [front["member_id"] for front in owner_state(world, "/api/v1/systems/@me/fronters")]


def fronting(world: World, call: Call) -> None:
    assert current_fronters(world) == call.json["member_ids"]


def not_fronting(world: World, call: Call) -> None:
    assert call.json["member_ids"][0] not in current_fronters(world)


# One switch: its id is its timestamp; each call gets a change point of its own (a new member's past front).
SWITCHES = "/api/v1/systems/{sid}/switches"


def unique_moment() -> datetime:
    return datetime(2010, 1, 1, tzinfo=UTC) + timedelta(seconds=secrets.randbelow(10 ** 8))


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def switch_call(method: str) -> Callable[[World], Call]:
    """A switch at a moment of its own; PATCH moves it 30 seconds later, POST adds one at another moment."""

    def build(world: World) -> Call:
        moment, member_id = unique_moment(), new_member_id(world)
        data(world.api.post(FRONTS.path(world), world.owner.session, json={
            "member_id": member_id, "started_at": stamp(moment), "ended_at": stamp(moment + timedelta(minutes=1))}),
            201)
        base = SWITCHES.format(sid=world.owner.system_id)
        body: dict[str, Any] | None = None
        if method == "POST":
            moment = unique_moment()
            body = {"timestamp": stamp(moment), "member_ids": [new_member_id(world)]}
        elif method == "PATCH":
            body = {"timestamp": stamp(moment + timedelta(seconds=30))}
        path = base if method == "POST" else f"{base}/{stamp(moment)}"
        return Call(method, path, body, keep={"switch": f"{base}/{stamp(moment)}", "member_id": member_id})

    return build


def switch_shown(world: World, call: Call, response: httpx.Response) -> None:
    shown = data(response)  # other rows' switches may front across this moment too
    assert shown["timestamp"] == call.path.rsplit("/", 1)[1] and call.keep["member_id"] in shown["member_ids"]


def switch_at(world: World, path: str) -> int:
    return world.owner_get(path).status_code


def switch_added(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 200


def switch_not_added(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 404


def switch_moved(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 404
    assert switch_at(world, call.keep["switch"].rsplit("/", 1)[0] + "/" + call.json["timestamp"]) == 200


def switch_kept(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 200


def switch_gone(world: World, call: Call) -> None:
    assert switch_at(world, call.keep["switch"]) == 404


# Polls beyond their collection.
def poll_call(suffix: str, method: str, voted: bool = False) -> Callable[[World], Call]:
    def build(world: World) -> Call:
        poll = POLLS.new_item(world)
        path = POLLS.item_path(world, poll)
        member_id = new_member_id(world)
        vote = {"member_id": member_id, "option_ids": [poll["options"][0]["id"]]}
        if voted:
            data(world.api.post(f"{path}/votes", world.owner.session, json=vote), 201)
        url = f"{path}/{suffix}".replace("{member_id}", member_id)
        return Call(method, url, vote if method == "POST" and suffix == "votes" else None, keep={"path": path})

    return build


def one_vote_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert len(data(response)) == 1


def poll_closed(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["closed"] is True


def poll_open(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["closed"] is False


def one_vote(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["vote_count"] == 1


def no_vote(world: World, call: Call) -> None:
    assert owner_state(world, call.keep["path"])["vote_count"] == 0


# Thoughts.
def set_thought_call(world: World) -> Call:
    return Call("PUT", f"/api/v1/systems/{world.owner.system_id}/thought", {"text": unique("thought")})


def thought_set(world: World, call: Call) -> None:
    assert owner_state(world, "/api/v1/systems/@me/thought")["text"] == call.json["text"]


def thought_not_set(world: World, call: Call) -> None:
    current = owner_state(world, "/api/v1/systems/@me/thought")
    assert current is None or current["text"] != call.json["text"]


def delete_thought_call(world: World) -> Call:
    thought = data(world.api.put("/api/v1/systems/@me/thought", world.owner.session, json={"text": unique("t")}))
    return Call("DELETE", f"/api/v1/systems/{world.owner.system_id}/thoughts/{thought['id']}",
                keep={"id": thought["id"]})


def thought_ids(world: World) -> list[str]:
    return [t["id"] for t in owner_state(world, "/api/v1/systems/@me/thoughts?limit=200")]


def thought_gone(world: World, call: Call) -> None:
    assert call.keep["id"] not in thought_ids(world)


def thought_kept(world: World, call: Call) -> None:
    assert call.keep["id"] in thought_ids(world)


def thought_or_nothing(world: World, call: Call, response: httpx.Response) -> None:
    today = data(response)
    assert today is None or set(today) >= {"id", "text", "date"}


SYSTEM = "/api/v1/systems/{sid}"
MORE_ROWS = [
    write_row("POST", f"{SYSTEM}/fronts/{{front_id}}/end", "fronts", end_front_call, 200, front_ended, front_open),
    system_read_row("fronters", "fronts"),
    write_row("PUT", f"{SYSTEM}/fronters", "fronts", fronters_call, 200, fronting, not_fronting),
    system_read_row("switches", "fronts"),
    write_row("POST", SWITCHES, "fronts", switch_call("POST"), 201, switch_added, switch_not_added),
    Row("GET", f"{SWITCHES}/{{timestamp}}", "fronts:read", True, switch_call("GET"), check=switch_shown,
        as_other=is_forbidden, as_public=is_forbidden),
    write_row("PATCH", f"{SWITCHES}/{{timestamp}}", "fronts", switch_call("PATCH"), 200, switch_moved, switch_kept),
    write_row("DELETE", f"{SWITCHES}/{{timestamp}}", "fronts", switch_call("DELETE"), 204, switch_gone,
              switch_kept),
    write_row("POST", f"{SYSTEM}/polls/{{poll_id}}/close", "polls", poll_call("close", "POST"), 200, poll_closed,
              poll_open),
    Row("GET", f"{SYSTEM}/polls/{{poll_id}}/votes", "polls:read", True, poll_call("votes", "GET", voted=True),
        check=one_vote_listed, as_other=is_forbidden, as_public=is_forbidden),
    write_row("POST", f"{SYSTEM}/polls/{{poll_id}}/votes", "polls", poll_call("votes", "POST"), 201, one_vote,
              no_vote),
    write_row("DELETE", f"{SYSTEM}/polls/{{poll_id}}/votes/{{member_id}}", "polls",
              poll_call("votes/{member_id}", "DELETE", voted=True), 204, no_vote, one_vote),
    system_read_row("thought", "thoughts", check=thought_or_nothing),
    write_row("PUT", f"{SYSTEM}/thought", "thoughts", set_thought_call, 200, thought_set, thought_not_set),
    system_read_row("thoughts", "thoughts"),
    Row("GET", "/api/v1/systems/{sid}/wrapped", "wrapped:read", True, read_call("wrapped"), check=wrapped_index,
        as_other=is_forbidden, as_public=is_forbidden),
    Row("GET", "/api/v1/systems/{sid}/wrapped/{year}", "wrapped:read", True, read_call(f"wrapped/{NOW.year}"),
        check=wrapped_recap("year"), as_other=is_forbidden, as_public=is_forbidden),
    Row("GET", "/api/v1/systems/{sid}/wrapped/{year}/{month}", "wrapped:read", True,
        read_call(f"wrapped/{NOW.year}/{NOW.month}"), check=wrapped_recap("month"), as_other=is_forbidden,
        as_public=is_forbidden),
    write_row("DELETE", f"{SYSTEM}/thoughts/{{thought_id}}", "thoughts", delete_thought_call, 204, thought_gone,
              thought_kept),
]


# --- a group's member list ---------------------------------------------------------------------------------------

GROUP_MEMBERS = "/api/v1/systems/{sid}/groups/{gid}/members"


def group_members_call(method: str) -> Callable[[World], Call]:
    """A new group of the owner's and a new member, already in the group when the call removes it."""

    def build(world: World) -> Call:
        member_id = new_member_id(world)
        body = {"name": unique("group")} | ({"member_ids": [member_id]} if method == "DELETE" else {})
        group = data(world.api.post(GROUPS.path(world), world.owner.session, json=body), 201)
        path = GROUPS.item_path(world, group)
        return Call(method, f"{path}/members", None if method == "GET" else {"member_ids": [member_id]},
                    keep={"group_path": path, "member_id": member_id, "before": group["member_ids"]})

    return build


def group_member_ids(world: World, call: Call) -> list[str]:
    return data(world.owner_get(call.keep["group_path"]))["member_ids"]


def group_list_unchanged(world: World, call: Call) -> None:
    assert group_member_ids(world, call) == call.keep["before"]


def group_members_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response) == []


def group_now_holds_member(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["member_ids"] == [call.keep["member_id"]] == group_member_ids(world, call)


def group_lost_member(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["member_ids"] == [] == group_member_ids(world, call)


def refused_and_group_unchanged(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 403, "FORBIDDEN")
    group_list_unchanged(world, call)

def simple(method: str, path: str) -> Callable[[World], Call]:
    return lambda world: Call(method, path)


# --- developer apps and authorized apps (session only) ---------------------------------------------------------

def new_app(world: World) -> dict:
    return data(world.api.post("/api/v1/me/apps", world.owner.session, json={
        "name": unique("app"), "redirect_uris": ["https://app.example/callback"], "client_type": "confidential"}),
        201)


def list_apps_call(world: World) -> Call:
    if "app" not in world.extra:
        world.extra["app"] = new_app(world)
    return Call("GET", "/api/v1/me/apps?limit=200")


def lists_owner_app(world: World, call: Call, response: httpx.Response) -> None:
    assert world.extra["app"]["client_id"] in [a["client_id"] for a in data(response)]


def lists_no_owner_app(world: World, call: Call, response: httpx.Response) -> None:
    assert world.extra["app"]["client_id"] not in [a["client_id"] for a in data(response)]


def create_app_call(world: World) -> Call:
    return Call("POST", "/api/v1/me/apps", {"name": unique("app"), "redirect_uris": ["https://app.example/cb"],
                                            "client_type": "confidential"})


def owner_app_names(world: World) -> list[str]:
    return [a["name"] for a in data(world.owner_get("/api/v1/me/apps?limit=200"))]


def app_created(world: World, call: Call, response: httpx.Response) -> None:
    created = data(response, 201)
    assert created["client_secret"] and call.json["name"] in owner_app_names(world)


def no_owner_app_named(world: World, call: Call) -> None:
    assert call.json["name"] not in owner_app_names(world)


def other_app_created(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response, 201)["name"] == call.json["name"]
    assert call.json["name"] in [a["name"] for a in data(world.other_get("/api/v1/me/apps?limit=200"))]
    no_owner_app_named(world, call)


def app_call(method: str, suffix: str = "") -> Callable[[World], Call]:
    def build(world: World) -> Call:
        app = new_app(world)
        path = f"/api/v1/me/apps/{app['client_id']}"
        return Call(method, path + suffix, {"name": unique("renamed")} if method == "PATCH" else None,
                    keep={"app": app, "path": path})

    return build


def secret_works(world: World, app: dict) -> bool:
    """Whether the token endpoints accept the app's client secret (introspection answers 401 otherwise)."""
    response = httpx.post(f"{world.api.client.base_url}/oauth/introspect", data={"token": "unknown"},
                          auth=(app["client_id"], app["client_secret"]), timeout=30)
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def app_unchanged(world: World, call: Call) -> None:
    app = data(world.owner_get(call.keep["path"]))
    assert app["name"] == call.keep["app"]["name"] and secret_works(world, call.keep["app"])


def app_got(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["client_id"] == call.keep["app"]["client_id"]


def app_renamed(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["name"] == call.json["name"] == data(world.owner_get(call.keep["path"]))["name"]


def app_deleted(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    error(world.owner_get(call.keep["path"]), 404, "NOT_FOUND")


def secret_rotated(world: World, call: Call, response: httpx.Response) -> None:
    rotated = data(response)
    assert rotated["client_secret"] != call.keep["app"]["client_secret"]
    assert secret_works(world, rotated) and not secret_works(world, call.keep["app"])


def not_found_for_other(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 404, "NOT_FOUND")
    app_unchanged(world, call)


def authorize_app(world: World) -> dict:
    """A new app of the owner's, authorized through the consent page: its client id and access token."""
    from .oauth.common import Browser, exchange, get_code, register_app

    url = str(world.api.client.base_url)
    if "browser" not in world.extra:
        world.extra["browser"] = Browser(url, world.owner)
    app = register_app(world.api, world.owner, name=unique("authorized"))
    code, verifier = get_code(world.extra["browser"], app, "system:read")
    token = exchange(url, app, code, verifier).json()["access_token"]
    assert data(world.api.get("/api/v1/systems/@me", token))["id"] == world.owner.system_id
    return {"client_id": app.client_id, "token": token}


def list_authorizations_call(world: World) -> Call:
    if "authorization" not in world.extra:
        world.extra["authorization"] = authorize_app(world)
    return Call("GET", "/api/v1/me/authorizations?limit=200")


def lists_owner_authorization(world: World, call: Call, response: httpx.Response) -> None:
    assert world.extra["authorization"]["client_id"] in [a["client_id"] for a in data(response)]


def lists_no_owner_authorization(world: World, call: Call, response: httpx.Response) -> None:
    assert world.extra["authorization"]["client_id"] not in [a["client_id"] for a in data(response)]


def revoke_authorization_call(world: World) -> Call:
    authorization = authorize_app(world)
    return Call("DELETE", f"/api/v1/me/authorizations/{authorization['client_id']}", keep=authorization)


def authorization_revoked(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    error(world.api.get("/api/v1/systems/@me", call.keep["token"]), 401, "UNAUTHENTICATED")


def other_cannot_revoke_authorization(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 404, "NOT_FOUND")
    kept_token_still_works(world, call)


def oauth_metadata(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200
    assert {"issuer", "authorization_endpoint", "token_endpoint"} <= set(response.json())


ACCOUNT_APP_ROWS = [
    Row("GET", "/api/v1/me/apps", ACCOUNT, False, list_apps_call, check=lists_owner_app,
        as_other=lists_no_owner_app),
    Row("POST", "/api/v1/me/apps", ACCOUNT, False, create_app_call, 201, check=app_created,
        as_other=other_app_created, unchanged=no_owner_app_named),
    Row("GET", "/api/v1/me/apps/{client_id}", ACCOUNT, False, app_call("GET"), check=app_got,
        as_other=not_found_for_other),
    Row("PATCH", "/api/v1/me/apps/{client_id}", ACCOUNT, False, app_call("PATCH"), check=app_renamed,
        as_other=not_found_for_other, unchanged=app_unchanged),
    Row("DELETE", "/api/v1/me/apps/{client_id}", ACCOUNT, False, app_call("DELETE"), 204, check=app_deleted,
        as_other=not_found_for_other, unchanged=app_unchanged),
    Row("POST", "/api/v1/me/apps/{client_id}/secret", ACCOUNT, False, app_call("POST", "/secret"),
        check=secret_rotated, as_other=not_found_for_other, unchanged=app_unchanged),
    Row("GET", "/api/v1/me/authorizations", ACCOUNT, False, list_authorizations_call,
        check=lists_owner_authorization, as_other=lists_no_owner_authorization),
    Row("DELETE", "/api/v1/me/authorizations/{client_id}", ACCOUNT, False, revoke_authorization_call, 204,
        check=authorization_revoked, as_other=other_cannot_revoke_authorization, unchanged=kept_token_still_works),
    Row("GET", "/.well-known/oauth-authorization-server", None, True,
        simple("GET", "/.well-known/oauth-authorization-server"), check=oauth_metadata),
]


# --- events and webhooks ---------------------------------------------------------------------------------------

EVENTS = "/api/v1/systems/{sid}/events"
WEBHOOKS = "/api/v1/me/webhooks"
# A global address written as one: the URL check needs no DNS, and these webhooks never send (inactive, or their
# creating token revoked).
NOWHERE = "https://1.1.1.1/pluralspace-matrix"


def events_call(sid: Callable[[World], str]) -> Callable[[World], Call]:
    return lambda world: Call("GET", f"/api/v1/systems/{sid(world)}/events?types=front.*", stream=True)


def is_event_stream(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")


def new_webhook(world: World, token: str | None = None, **extra: Any) -> dict:
    return data(world.api.post(WEBHOOKS, token or world.owner.session, json={
        "url": NOWHERE, "event_types": ["system.updated"], "active": False, **extra}), 201)


def webhook_call(method: str, suffix: str = "") -> Callable[[World], Call]:
    def build(world: World) -> Call:
        hook = new_webhook(world)
        body = {"url": f"{NOWHERE}/{unique('moved')}"} if method == "PATCH" else None
        return Call(method, f"{WEBHOOKS}/{hook['id']}{suffix}", body, keep={"hook": hook})

    return build


def owner_webhooks(world: World) -> list[dict]:
    return data(world.owner_get(f"{WEBHOOKS}?limit=200"))


def webhook_unchanged(world: World, call: Call) -> None:
    assert call.keep["hook"]["id"] in {h["id"]: h for h in owner_webhooks(world)}
    shown = data(world.owner_get(f"{WEBHOOKS}/{call.keep['hook']['id']}"))
    assert shown["url"] == call.keep["hook"]["url"]


def webhook_not_found_for_other(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 404, "NOT_FOUND")
    webhook_unchanged(world, call)


def create_webhook_call(world: World) -> Call:
    return Call("POST", WEBHOOKS, {"url": f"{NOWHERE}/{unique('created')}", "event_types": ["system.updated"],
                                   "active": False})


def webhook_created_for(account_of: Callable[[World], Account]) -> Check:
    def check(world: World, call: Call, response: httpx.Response) -> None:
        created = data(response, 201)
        assert created["secret"].startswith("whsec_") and created["url"] == call.json["url"]
        mine = data(world.api.get(f"{WEBHOOKS}?limit=200", account_of(world).session))
        assert created["id"] in {h["id"] for h in mine}

    return check


def owner_has_no_webhook_at(world: World, call: Call) -> None:
    assert call.json["url"] not in {h["url"] for h in owner_webhooks(world)}


def lists_owner_webhook(world: World, call: Call, response: httpx.Response) -> None:
    assert call.keep["hook"]["id"] in {h["id"] for h in data(response)}


def lists_no_owner_webhook(world: World, call: Call, response: httpx.Response) -> None:
    assert call.keep["hook"]["id"] not in {h["id"] for h in data(response)}


def list_webhooks_call(world: World) -> Call:
    return Call("GET", f"{WEBHOOKS}?limit=200", keep={"hook": new_webhook(world)})


def delivered_webhook_call(world: World) -> Call:
    """A delivery to redeliver, made without sending anything: the webhook's creating token is revoked before its
    event, so the delivery ends as refused by the server itself."""
    made = data(world.api.post("/api/v1/me/tokens", world.owner.session,
                               json={"name": unique("hooks"), "scopes": ["webhooks", "system:read"]}), 201)
    hook = new_webhook(world, made["token"], active=True)
    assert world.api.delete(f"/api/v1/me/tokens/{made['id']}", world.owner.session).status_code == 204
    data(world.api.patch("/api/v1/systems/@me", world.owner.session, json={"tag": unique("t")[:20]}))
    deadline = time.monotonic() + 20
    while not (logged := data(world.owner_get(f"{WEBHOOKS}/{hook['id']}/deliveries"))):
        assert time.monotonic() < deadline, "no delivery was logged"
        time.sleep(0.05)
    return Call("POST", f"{WEBHOOKS}/{hook['id']}/deliveries/{logged[0]['id']}/redeliver", keep={"hook": hook})


def redelivery_queued(world: World, call: Call, response: httpx.Response) -> None:
    queued = data(response, 202)
    assert queued["status"] in ("pending", "failed") and queued["event_type"] == "system.updated"


def webhook_got(world: World, call: Call, response: httpx.Response) -> None:
    shown = data(response)
    assert shown["id"] == call.keep["hook"]["id"] and "secret" not in shown


def webhook_patched(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["url"] == call.json["url"]


def webhook_deleted(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 204
    error(world.owner_get(f"{WEBHOOKS}/{call.keep['hook']['id']}"), 404, "NOT_FOUND")


def deliveries_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response) == []  # an inactive webhook: nothing was sent


EVENT_ROWS = [
    Row("GET", EVENTS, "fronts:read", False, events_call(lambda w: "@me"), check=is_event_stream,
        as_other=is_event_stream, declared=(), variant="@me"),
    Row("GET", EVENTS, "fronts:read", True, events_call(lambda w: w.owner.system_id), check=is_event_stream,
        as_other=is_event_stream, declared=(), variant="short id"),
    Row("GET", WEBHOOKS, "webhooks", False, list_webhooks_call, check=lists_owner_webhook,
        as_other=lists_no_owner_webhook),
    Row("POST", WEBHOOKS, "webhooks", False, create_webhook_call, 201, check=webhook_created_for(lambda w: w.owner),
        as_other=webhook_created_for(lambda w: w.other), unchanged=owner_has_no_webhook_at,
        also=("system:read",), declared=("webhooks",)),  # a webhook's types are ones its creator reads
    Row("GET", WEBHOOKS + "/{webhook_id}", "webhooks", False, webhook_call("GET"), check=webhook_got,
        as_other=webhook_not_found_for_other),
    Row("PATCH", WEBHOOKS + "/{webhook_id}", "webhooks", False, webhook_call("PATCH"), check=webhook_patched,
        as_other=webhook_not_found_for_other, unchanged=webhook_unchanged),
    Row("DELETE", WEBHOOKS + "/{webhook_id}", "webhooks", False, webhook_call("DELETE"), 204, check=webhook_deleted,
        as_other=webhook_not_found_for_other, unchanged=webhook_unchanged),
    Row("GET", WEBHOOKS + "/{webhook_id}/deliveries", "webhooks", False, webhook_call("GET", "/deliveries"),
        check=deliveries_listed, as_other=webhook_not_found_for_other),
    Row("POST", WEBHOOKS + "/{webhook_id}/deliveries/{delivery_id}/redeliver", "webhooks", False,
        delivered_webhook_call, 202, check=redelivery_queued, as_other=webhook_not_found_for_other,
        unchanged=webhook_unchanged),
]


ROWS: list[Row] = [
    # Operations and documentation: public, no token.
    Row("GET", "/api/v1/health", None, True, simple("GET", "/api/v1/health"), check=envelope_equals({"status": "ok"})),
    Row("GET", "/api/v1/ready", None, True, simple("GET", "/api/v1/ready"),
        check=envelope_equals({"status": "ready"})),
    Row("GET", "/api/v1/version", None, True, simple("GET", "/api/v1/version"), check=version_check),
    *[row for prefix in ("/api/v1/system", "/system") for row in (  # the aliases of docs/API.md §8
        Row("GET", f"{prefix}/health", None, True, simple("GET", f"{prefix}/health"),
            check=envelope_equals({"status": "ok"})),
        Row("GET", f"{prefix}/ready", None, True, simple("GET", f"{prefix}/ready"),
            check=envelope_equals({"status": "ready"})),
        Row("GET", f"{prefix}/version", None, True, simple("GET", f"{prefix}/version"), check=version_check))],
    Row("GET", "/api/v1/openapi.json", None, True, simple("GET", "/api/v1/openapi.json"), check=openapi_document),
    Row("GET", "/api/docs", None, True, simple("GET", "/api/docs"), check=html_page),
    Row("GET", "/api/docs/oauth2-redirect", None, True, simple("GET", "/api/docs/oauth2-redirect"), check=html_page),
    Row("GET", "/api/docs/assets/{name}", None, True, simple("GET", "/api/docs/assets/swagger-ui.css"),
        check=stylesheet),
    # Signing in: public.
    Row("POST", "/api/v1/auth/register", None, True, register_call, 201, check=registered),
    Row("POST", "/api/v1/auth/login", None, True, login_call, check=signed_in_as_owner),
    Row("POST", "/api/v1/auth/refresh", None, True, refresh_call, check=signed_in_as_owner),
    Row("POST", "/api/v1/auth/logout", ACCOUNT, False, simple("POST", "/api/v1/auth/logout"), 204, check=logged_out,
        as_other=other_logged_out, unchanged=owner_still_signed_in, fresh="session"),
    # The account and its credentials: session tokens only.
    Row("GET", "/api/v1/me", ACCOUNT, False, simple("GET", "/api/v1/me"), check=is_owner_account,
        as_other=is_other_account),
    Row("PATCH", "/api/v1/me", ACCOUNT, False, patch_me_call, check=owner_email_changed,
        as_other=only_other_email_changed, unchanged=owner_email_unchanged),
    Row("DELETE", "/api/v1/me", ACCOUNT, False, delete_me_call, 204, check=owner_deleted,
        as_other=only_other_deleted, unchanged=owner_still_signed_in, fresh="account"),
    Row("GET", "/api/v1/me/security-log", ACCOUNT, False, simple("GET", "/api/v1/me/security-log?limit=200"),
        check=owner_security_log, as_other=other_security_log),
    Row("GET", "/api/v1/me/tokens", ACCOUNT, False, simple("GET", "/api/v1/me/tokens?limit=200"),
        check=lists_owner_token, as_other=lists_no_owner_token),
    Row("POST", "/api/v1/me/tokens", ACCOUNT, False, create_token_call, 201, check=token_for(lambda w: w.owner),
        as_other=other_token_created, unchanged=owner_has_no_token_named),
    Row("DELETE", "/api/v1/me/tokens/{token_id}", ACCOUNT, False, revoke_token_call, 204, check=token_revoked,
        as_other=other_cannot_revoke, unchanged=kept_token_still_works),
    # Systems.
    Row("GET", "/api/v1/systems/{sid}", "system:read", False, simple("GET", "/api/v1/systems/@me"),
        check=is_owner_system, as_other=is_other_system, variant="@me"),
    Row("GET", "/api/v1/systems/@me/export", "system:read", False, simple("GET", "/api/v1/systems/@me/export"),
        check=export_of(lambda w: w.owner), as_other=export_of(lambda w: w.other)),
    Row("POST", IMPORTS, "system:write", False, import_call, 202, check=import_into(lambda w: w.owner),
        as_other=import_into(lambda w: w.other)),
    Row("GET", IMPORTS, "system:write", False, list_jobs_call, check=owner_jobs_listed,
        as_other=owner_jobs_not_listed),
    Row("GET", IMPORTS + "/{job_id}", "system:write", False, owner_job_call, check=is_owner_job,
        as_other=is_not_found),
    Row("GET", "/api/v1/systems/{sid}", "system:read", True,
        lambda w: Call("GET", f"/api/v1/systems/{w.owner.system_id}"), check=is_owner_system,
        as_other=public_view_of_owner_system, as_public=public_view_of_owner_system, variant="short id"),
    Row("GET", "/api/v1/systems/{sid}", "system:read", True,
        lambda w: Call("GET", f"/api/v1/systems/{w.owner.system_uuid}"), check=is_owner_system,
        as_other=public_view_of_owner_system, as_public=public_view_of_owner_system, variant="uuid"),
    Row("PATCH", "/api/v1/systems/@me", "system:write", False, rename_system_call, check=owner_system_renamed,
        as_other=only_other_system_renamed, unchanged=owner_system_not_named),
    # Everything inside a system.
    *[row for resource in RESOURCES for row in resource.rows()],
    Row("GET", GROUP_MEMBERS, "groups:read", True, group_members_call("GET"), check=group_members_listed,
        as_other=is_forbidden, as_public=is_forbidden, also=("members:read",)),
    Row("POST", GROUP_MEMBERS, "groups:write", False, group_members_call("POST"), check=group_now_holds_member,
        as_other=refused_and_group_unchanged, unchanged=group_list_unchanged),
    Row("PUT", GROUP_MEMBERS, "groups:write", False, group_members_call("PUT"), check=group_now_holds_member,
        as_other=refused_and_group_unchanged, unchanged=group_list_unchanged),
    Row("DELETE", GROUP_MEMBERS, "groups:write", False, group_members_call("DELETE"), check=group_lost_member,
        as_other=refused_and_group_unchanged, unchanged=group_list_unchanged),
    *MORE_ROWS,
    *MEDIA_ROWS,
    *ACCOUNT_APP_ROWS,
    *EVENT_ROWS,
]

# Routes of the app that are deliberately not rows, and why. Anything else without a row fails the coverage test.
NOT_IN_MATRIX = {
    ("GET", "/metrics"): "its own PLURALSPACE_METRICS_TOKEN, not a scope: tests/ops/test_ops.py",
    **{route: "OAuth2 protocol: client authentication and the browser session, not bearer scopes: tests/oauth/"
       for route in [("POST", "/oauth/token"), ("POST", "/oauth/revoke"), ("POST", "/oauth/introspect"),
                     ("GET", "/oauth/authorize"), ("POST", "/oauth/authorize")]},
    **{route: "an HTML page with a cookie session, not the bearer API: tests/oauth/, tests/web/"
       for route in [("GET", "/login"), ("POST", "/login"), ("GET", "/register"), ("POST", "/register"),
                     ("POST", "/logout"), ("GET", "/settings"), ("POST", "/settings/tokens"),
                     ("POST", "/settings/tokens/{token_id}/revoke"), ("POST", "/settings/apps/{client_id}/revoke"),
                     ("POST", "/settings/password"), ("GET", "/reset-password/{token}"),
                     ("POST", "/reset-password/{token}")]},
    **{row.route: "a page of the signed-in system (a cookie session): tests/web/test_page_access.py"
       for row in PAGE_ROUTES},
    **{(method, route.path): "the admin token, not a scope (not system data): tests/admin/test_routes.py asks every "
                             "admin route for no token, a session, a PAT, wrong tokens and the right one"
       for route in admin_router.routes for method in route.methods},
    **{(method, route.path): "PluralKit's surface (its error format, raw tokens, unknown tokens read as the public): "
                             "tests/pk/test_access.py asks these questions of every /pk route"
       for router in (pk_v1_router, pk_v2_router) for route in router.routes for method in route.methods
       if method != "HEAD"},
}

TOKEN_ROWS = [row for row in ROWS if row.scope is not None]


def ids(rows: list[Row]) -> list[str]:
    return [row.id for row in rows]


# --- fixtures ----------------------------------------------------------------------------------------------------

@dataclass
class DeadTokens:
    """Tokens of the owner that once worked: revoked ones, and ones that expire EXPIRY_SECONDS after creation."""

    revoked_session: str
    revoked_pat: str
    expired_session: str
    expired_pat: str
    expire_at: float

    def token(self, state: str, row: Row) -> str:
        if state == "expired":
            time.sleep(max(0.0, self.expire_at - time.monotonic()))
        session, pat = ((self.revoked_session, self.revoked_pat) if state == "revoked"
                        else (self.expired_session, self.expired_pat))
        return session if row.scope == ACCOUNT else pat


@pytest.fixture(scope="module")
def client(server: RunningServer):
    api = server.api()
    yield api
    api.close()


@pytest.fixture(scope="module")
def world(client: Api, migrated):
    world = World.create(client)
    # The tokens that expire are made first, so that their wait overlaps the cases that run before (e).
    world.extra["dead"] = dead_tokens(world, migrated)
    setup_owner_data(world)
    yield world
    if "browser" in world.extra:
        world.extra["browser"].close()


@pytest.fixture
def dead(world: World) -> DeadTokens:
    return world.extra["dead"]


def dead_tokens(world: World, migrated) -> DeadTokens:
    api, owner = world.api, world.owner
    short_lived = RunningServer(replace(base_settings(migrated), session_ttl_seconds=EXPIRY_SECONDS))
    try:
        other_client = short_lived.api()
        expired_session = other_client.login(owner.email, PASSWORD)["access_token"]
        other_client.close()
    finally:
        short_lived.stop()
    soon = (datetime.now(UTC) + timedelta(seconds=EXPIRY_SECONDS)).isoformat()
    expired_pat = api.pat(owner, *GRANTABLE, expires_at=soon)
    expire_at = time.monotonic() + EXPIRY_SECONDS + 0.2
    assert session_works(world, expired_session)  # the same secret and database: the session is valid here
    data(api.get("/api/v1/systems/@me", expired_pat))

    revoked_session = api.login(owner.email, PASSWORD)["access_token"]
    assert session_works(world, revoked_session)
    assert api.post("/api/v1/auth/logout", revoked_session).status_code == 204
    created = data(api.post("/api/v1/me/tokens", owner.session, json={"name": "revoked", "scopes": GRANTABLE}), 201)
    data(api.get("/api/v1/systems/@me", created["token"]))
    assert api.delete(f"/api/v1/me/tokens/{created['id']}", owner.session).status_code == 204
    return DeadTokens(revoked_session, created["token"], expired_session, expired_pat, expire_at)


def world_for(row: Row, world: World, caller: str) -> World:
    """The world with a new session or account for the caller ("owner" or "other") when the row ends it."""
    if not row.fresh:
        return world
    account: Account = getattr(world, caller)
    if row.fresh == "session":
        account = replace(account, session=world.api.login(account.email, PASSWORD)["access_token"])
    else:
        account = world.api.register()
    return replace(world, **{caller: account})


def refused_call(world: World, row: Row) -> Call:
    """The request of the cases that must be refused: built once per row, since a refusal leaves it usable."""
    calls = world.extra.setdefault("refused_calls", {})
    if row.id not in calls:
        calls[row.id] = row.build(world)
    return calls[row.id]


def owner_token(world: World, row: Row) -> str:
    if row.scope in (None, ACCOUNT):
        return world.owner.session
    return world.pat(world.owner, row.scope, *row.also)


def assert_unauthenticated(response: httpx.Response) -> None:
    error(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"].startswith("Bearer"), response.headers


# --- the table covers the app --------------------------------------------------------------------------------------

def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers flattened (HEAD follows GET)."""
    found: set[tuple[str, str]] = set()
    for route in served_routes(app):
        methods = getattr(route, "methods", None)
        if methods is None:  # a mount or a websocket: a row must name it with method "*"
            found.add(("*", route.path))
            continue
        found |= {(method, route.path) for method in methods if method != "HEAD"}
    return found


def test_the_table_covers_every_endpoint(server, api):
    rows = {(row.method, row.path) for row in ROWS}
    spec = api.get("/api/v1/openapi.json").json()
    documented = {(method.upper(), path) for path, operations in spec["paths"].items() for method in operations}
    served = app_routes(server.app)
    assert documented <= served
    assert sorted(served - rows - set(NOT_IN_MATRIX)) == [], "endpoints without a row in the access matrix"
    assert sorted(rows - served) == [], "rows for endpoints the app does not serve"
    assert sorted(set(NOT_IN_MATRIX) - served) == [], "exclusions for endpoints the app does not serve"
    assert not set(NOT_IN_MATRIX) & rows
    documented_scopes = spec["components"]["securitySchemes"]["bearer"]["flows"]["authorizationCode"]["scopes"]
    assert sorted(documented_scopes) == GRANTABLE
    # Each row's declared scope is the one the OpenAPI document states for the operation.
    for row in ROWS:
        if (row.method, row.path) not in documented:
            continue
        security = spec["paths"][row.path][row.method.lower()].get("security")
        declared = sorted({scope for requirement in security or [] for scopes in requirement.values()
                           for scope in scopes})
        if row.scope is None:
            assert declared == [], (row.id, declared)
        elif row.scope == ACCOUNT:
            assert declared in ([], [ACCOUNT]), (row.id, declared)  # logout reads its token itself
        else:
            stated = [row.scope, *row.also] if row.declared is None else list(row.declared)
            assert declared == sorted(stated), (row.id, declared)


def test_every_token_row_says_what_another_account_sees():
    assert len(set(ids(ROWS))) == len(ROWS)
    for row in ROWS:
        assert row.check is not _unchecked, row.id
        assert (row.as_other is not None) == (row.scope is not None), row.id
        assert row.scope is not None or row.public, row.id
        assert row.scope in (None, ACCOUNT) or row.scope in GRANTABLE, row.id


# --- the five questions ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_a_owner_with_the_scope_succeeds(world, row):
    world = world_for(row, world, "owner")
    call = row.build(world)
    response = call.send(world.api, owner_token(world, row))
    assert response.status_code == row.status, response.text
    row.check(world, call, response)


@pytest.mark.parametrize("row", TOKEN_ROWS, ids=ids(TOKEN_ROWS))
def test_b_token_without_the_scope_is_403(world, row):
    if row.scope == ACCOUNT:
        held = GRANTABLE  # every scope a token can hold is still not the account
    else:
        implied_by = {row.scope, row.scope.replace(":read", ":write")}
        held = [scope for scope in GRANTABLE if scope not in implied_by]
    call = refused_call(world, row)
    failure = error(call.send(world.api, world.pat(world.owner, *held)), 403, "INSUFFICIENT_SCOPE")
    assert failure["details"] == {"required": [row.scope], "granted": held}
    row.unchanged(world, call)


@pytest.mark.parametrize("row", TOKEN_ROWS, ids=ids(TOKEN_ROWS))
def test_c_another_accounts_token(world, row):
    world = world_for(row, world, "other")
    call = row.build(world)
    token = world.other.session if row.scope == ACCOUNT else world.pat(world.other, row.scope, *row.also)
    row.as_other(world, call, call.send(world.api, token))


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_d_no_token(world, row):
    if row.public:
        call = row.build(world)
        response = call.send(world.api, None)
        if row.as_public is not None:
            row.as_public(world, call, response)  # the privacy-limited view, which may be 403 or 404
        else:
            assert response.status_code == row.status, response.text
            row.check(world, call, response)
        return
    call = refused_call(world, row)
    assert_unauthenticated(call.send(world.api, None))
    row.unchanged(world, call)


@pytest.mark.parametrize("row", TOKEN_ROWS, ids=ids(TOKEN_ROWS))
def test_e_revoked_and_expired_tokens_are_401(world, dead, row):
    call = refused_call(world, row)
    for state in ("revoked", "expired"):
        response = call.send(world.api, dead.token(state, row))
        assert response.status_code == 401, (state, response.text)
        assert_unauthenticated(response)
        row.unchanged(world, call)

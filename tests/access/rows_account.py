"""Rows of signing in, the account and its tokens (session only), and its developer and authorized apps."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from ..helpers import PASSWORD, Account, data, error
from .world import (
    ACCOUNT,
    Call,
    Check,
    Row,
    World,
    kept_token_still_works,
    new_email,
    owner_email_unchanged,
    owner_has_no_token_named,
    owner_still_signed_in,
    session_works,
    simple,
    unique,
)

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


ACCOUNT_ROWS = [
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
]


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
    from ..oauth.common import Browser, exchange, get_code, register_app

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

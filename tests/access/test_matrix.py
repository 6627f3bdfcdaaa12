"""Who may call what: one table row per endpoint, and the same five questions asked of every row.

    (a) the owner, holding the row's scope, succeeds;
    (b) the owner's personal access token without that scope is 403 INSUFFICIENT_SCOPE (details.required/granted);
    (c) another account's token sees only the public view of the owner's data, and changes only its own;
    (d) no token is 401 UNAUTHENTICATED with `WWW-Authenticate: Bearer`, except on public endpoints;
    (e) a revoked token and an expired token are 401 (expired: the server's clock is moved past it, no waiting).

`test_the_table_covers_every_endpoint` compares the table with the running app's routes and OpenAPI document, so an
endpoint added without a row fails the suite until someone says who may call it.

The rows live beside this module, one file per domain (`rows_*.py`), gathered in `table.py`; `world.py` holds the
vocabulary (`World`, `Call`, `Row`, shared checks) and `conftest.py` the owner's data and dead tokens.
"""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from ..helpers import PASSWORD, Account, error
from .table import NOT_IN_MATRIX, ROWS, TOKEN_ROWS, app_routes
from .world import ACCOUNT, GRANTABLE, Call, Row, World, _unchecked, ids


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
        with dead.token(state, row) as token:
            response = call.send(world.api, token)
        assert response.status_code == 401, (state, response.text)
        assert_unauthenticated(response)
        row.unchanged(world, call)

"""Who calls the PluralKit surface: `Authorization: <token>` (PluralKit's raw form) or `Bearer <token>`.

Any pluralspace token works as a PluralKit token (personal access token, OAuth access token, login session), but
ours are scoped where PluralKit's are all-powerful: reads need the area's `X:read` scope, writes `X:write`; a token
without it is 403 (code 0). As on PluralKit, a token that is not recognised (malformed, unknown, revoked or
expired) does not fail a request that the public may make: it is answered with the public view; endpoints that
need a system answer 401 (code 0).
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from ..auth.dependencies import bearer_token, check_scopes, principal_for_token
from ..auth.principal import Principal
from ..kit.errors import Unauthenticated


async def _principal(request: Request) -> Principal | None:
    try:
        token = bearer_token(request, allow_raw=True)
        return await principal_for_token(request, token) if token else None
    except Unauthenticated:
        return None


def _checked(principal: Principal, *scopes: str) -> Principal:
    check_scopes(principal, scopes)
    return principal


def PkViewer(*scopes: str) -> Any:
    """The caller, or None for the public view. An answer made of another area's objects (a group's members, the
    fronters, a switch with its members) names that area's scope too."""

    async def viewer(request: Request) -> Principal | None:
        principal = await _principal(request)
        return None if principal is None else _checked(principal, *scopes)

    return Depends(viewer)


def PkOwner(scope: str) -> Any:
    """The caller, who must be signed in (401 code 0 otherwise)."""

    async def owner(request: Request) -> Principal:
        principal = await _principal(request)
        if principal is None:
            raise Unauthenticated()
        return _checked(principal, scope)

    return Depends(owner)

"""The OAuth endpoints: `/oauth/authorize` (with the consent page), `/oauth/token`, `/oauth/revoke`,
`/oauth/introspect`, and the RFC 8414 metadata.

Each handler reads the request on the event loop, then runs the Authlib step inside one database unit of work
(`server.py` says why). Answers are RFC 6749 JSON, redirects, or HTML pages; never the native envelope, and not in
the OpenAPI document of the native API.
"""

from __future__ import annotations

from collections.abc import Callable

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from ..audit.security_log import client_of
from ..auth.principal import Principal
from ..auth.scopes import SCOPE_DESCRIPTIONS
from ..state import app_state
from ..web.session import csrf_matches, error_page, protect, render, session_csrf, signed_in, signed_in_page
from . import service
from .requests import PlainRequest
from .server import AuthServer, Context, metadata

router = APIRouter(include_in_schema=False)


def _context(request: Request) -> Context:
    settings = app_state(request).settings
    return Context(settings.secret_key, client_of(request), settings.base_url)


async def _protocol_step(request: Request, step: Callable[[AuthServer, PlainRequest], Response],
                         write: bool = True) -> Response:
    plain = await PlainRequest.read(request)
    context = _context(request)

    def run(session: Session) -> Response:
        server = AuthServer(session, context)
        try:
            return step(server, plain)
        except OAuth2Error as error:  # raised before Authlib's own handling, e.g. insecure_transport
            response: Response = server.handle_error_response(None, error)
            return response

    database = app_state(request).database
    return await (database.write(run) if write else database.read(run))


@router.post("/oauth/token")
async def token(request: Request) -> Response:
    return await _protocol_step(request, lambda server, plain: server.create_token_response(plain))


@router.post("/oauth/revoke")
async def revoke(request: Request) -> Response:
    return await _protocol_step(request, lambda server, plain: server.create_endpoint_response("revocation", plain))


@router.post("/oauth/introspect")
async def introspect(request: Request) -> Response:
    return await _protocol_step(
        request, lambda server, plain: server.create_endpoint_response("introspection", plain), write=False)


@router.get("/.well-known/oauth-authorization-server")
async def server_metadata(request: Request) -> Response:
    return JSONResponse(metadata(app_state(request).settings.base_url))


@router.get("/oauth/authorize")
async def authorize(request: Request) -> Response:
    return await _authorization_step(request, await signed_in_page(request), decision=None)


@router.post("/oauth/authorize")
async def authorize_decision(request: Request) -> Response:
    session = await signed_in(request)
    if session is None:
        return error_page("Signed out", "Your session ended. Start again from the app.", 401)
    return await _authorization_step(request, session, decision="")


async def _authorization_step(request: Request, session: tuple[Principal, str], decision: str | None) -> Response:
    principal, session_token = session
    state = app_state(request)
    plain = await PlainRequest.read(request)
    csrf = session_csrf(state.settings.secret_key, session_token)
    if decision is not None:  # the consent form: it must come from our page, for this session
        if not csrf_matches(csrf, plain.first("csrf_token")):
            return error_page("Please try again", "This form expired or did not come from this site. Start "
                              "again from the app.", 403)
        decision = plain.first("decision")
        if decision not in ("allow", "deny"):
            return error_page("Please choose", "Choose Allow or Deny.", 400)
    outcome = await state.database.write(service.authorize, _context(request), plain, principal.account_id,
                                         decision)
    if isinstance(outcome, service.Refused):
        return error_page("This request cannot be accepted",
                          f"The app sent an invalid authorization request ({outcome.error}): {outcome.description}",
                          400)
    if isinstance(outcome, service.ConsentNeeded):
        scopes = [(scope, SCOPE_DESCRIPTIONS[scope]) for scope in outcome.scopes]
        return render("consent.html", app=outcome, scopes=scopes, params=outcome.params, csrf_token=csrf)
    return protect(outcome)

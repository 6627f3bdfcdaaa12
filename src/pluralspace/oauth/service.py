"""Developer apps, the apps an account has authorized, and the authorization endpoint's decisions.

Services are synchronous `fn(session, ...)` run through `Database.read/write`; the Authlib steps build an
`AuthServer` on that same session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from authlib.oauth2 import OAuth2Error
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session
from starlette.responses import Response

from ..audit import security_log
from ..audit.security_log import Client
from ..auth import scopes as scope_set
from ..identity.credential import OAUTH, Credential
from ..kit.crypto import generate_token, token_hash
from ..kit.errors import Conflict, NotFound
from ..kit.pagination import PageRequest, keyset_page
from ..kit.timeutil import utcnow
from .models import CONFIDENTIAL, OAuthClient, OAuthCode, OAuthGrant
from .requests import PlainRequest
from .schemas import AppCreate, AppOut, AppPatch, AppWithSecret, AuthorizationOut
from .server import AuthServer, Context

CLIENT_ID_PREFIX = "ps_ci_"
CLIENT_SECRET_PREFIX = "ps_cs_"


# --- developer apps ------------------------------------------------------------------------------------------------

def _app_out(row: OAuthClient) -> AppOut:
    return AppOut.model_validate(row)


def _own_app(session: Session, account_id: uuid.UUID, client_id: str) -> OAuthClient:
    row = session.get(OAuthClient, client_id)
    if row is None or row.account_id != account_id:
        raise NotFound("No such app.")
    return row


def create_app(session: Session, secret_key: str, account_id: uuid.UUID, spec: AppCreate,
               client: Client) -> AppWithSecret:
    now = utcnow()
    secret = generate_token(CLIENT_SECRET_PREFIX) if spec.client_type == CONFIDENTIAL else None
    row = OAuthClient(
        client_id=generate_token(CLIENT_ID_PREFIX), account_id=account_id, name=spec.name,
        description=spec.description, homepage_url=spec.homepage_url, redirect_uris=spec.redirect_uris,
        client_type=spec.client_type, secret_hash=token_hash(secret_key, secret) if secret else None,
        created_at=now, updated_at=now,
    )
    session.add(row)
    session.flush()
    security_log.record(session, account_id, "oauth_app_created", client, client_id=row.client_id, name=row.name)
    return AppWithSecret(**_app_out(row).model_dump(), client_secret=secret)


def list_apps(session: Session, account_id: uuid.UUID, request: PageRequest) -> tuple[list[AppOut], str | None]:
    query = select(OAuthClient).where(OAuthClient.account_id == account_id)
    rows, cursor = keyset_page(query, [OAuthClient.created_at, OAuthClient.client_id], request, descending=True,
                               session=session, row_key=lambda row: (row[0].created_at, row[0].client_id))
    return [_app_out(row[0]) for row in rows], cursor


def get_app(session: Session, account_id: uuid.UUID, client_id: str) -> AppOut:
    return _app_out(_own_app(session, account_id, client_id))


def update_app(session: Session, account_id: uuid.UUID, client_id: str, patch: AppPatch) -> AppOut:
    row = _own_app(session, account_id, client_id)
    for key, value in patch.sent().items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    return _app_out(row)


def rotate_secret(session: Session, secret_key: str, account_id: uuid.UUID, client_id: str,
                  client: Client) -> AppWithSecret:
    row = _own_app(session, account_id, client_id)
    if row.client_type != CONFIDENTIAL:
        raise Conflict("public_client", "A public app has no secret.")
    secret = generate_token(CLIENT_SECRET_PREFIX)
    row.secret_hash, row.updated_at = token_hash(secret_key, secret), utcnow()
    security_log.record(session, account_id, "oauth_app_secret_rotated", client, client_id=client_id)
    return AppWithSecret(**_app_out(row).model_dump(), client_secret=secret)


def delete_app(session: Session, account_id: uuid.UUID, client_id: str, client: Client) -> None:
    row = _own_app(session, account_id, client_id)
    # Codes and remembered grants cascade; tokens live in `credentials`, so every account's are revoked here.
    _revoke_credentials(session, client_id, reason="app_deleted")
    session.delete(row)
    security_log.record(session, account_id, "oauth_app_deleted", client, client_id=client_id, name=row.name)


def _revoke_credentials(session: Session, client_id: str, reason: str, account_id: uuid.UUID | None = None) -> int:
    query = update(Credential).where(Credential.kind == OAUTH, Credential.client_id == client_id,
                                     Credential.revoked_at.is_(None))
    if account_id is not None:
        query = query.where(Credential.account_id == account_id)
    # An UPDATE answers with a cursor result, which has the row count.
    result = cast(CursorResult[Any], session.execute(query.values(revoked_at=utcnow(), revoke_reason=reason)))
    return result.rowcount


# --- apps an account has authorized --------------------------------------------------------------------------------

def list_authorizations(session: Session, account_id: uuid.UUID,
                        request: PageRequest) -> tuple[list[AuthorizationOut], str | None]:
    last_used = (select(func.max(Credential.last_used_at))
                 .where(Credential.account_id == OAuthGrant.account_id, Credential.client_id == OAuthGrant.client_id,
                        Credential.kind == OAUTH)
                 .correlate(OAuthGrant).scalar_subquery())
    query = (select(OAuthGrant, OAuthClient.name, OAuthClient.homepage_url, last_used.label("last_used_at"))
             .join(OAuthClient, OAuthClient.client_id == OAuthGrant.client_id)
             .where(OAuthGrant.account_id == account_id))
    rows, cursor = keyset_page(query, [OAuthGrant.granted_at, OAuthGrant.client_id], request, descending=True,
                               session=session, row_key=lambda row: (row[0].granted_at, row[0].client_id))
    items = [AuthorizationOut(client_id=grant.client_id, name=name, homepage_url=homepage,
                              scopes=sorted(scope_set.parse(grant.scope)), granted_at=grant.granted_at,
                              last_used_at=used)
             for grant, name, homepage, used in rows]
    return items, cursor


def revoke_authorization(session: Session, account_id: uuid.UUID, client_id: str, client: Client) -> None:
    """Everything the app holds for this account: its tokens, its unused codes and the remembered consent."""
    forgotten = cast(CursorResult[Any], session.execute(delete(OAuthGrant).where(
        OAuthGrant.account_id == account_id, OAuthGrant.client_id == client_id))).rowcount
    revoked = _revoke_credentials(session, client_id, reason="user_revoked", account_id=account_id)
    session.execute(update(OAuthCode).where(OAuthCode.account_id == account_id, OAuthCode.client_id == client_id,
                                            OAuthCode.used_at.is_(None)).values(used_at=utcnow()))
    if not forgotten and not revoked:
        raise NotFound("This app holds no authorization for your account.")
    security_log.record(session, account_id, "oauth_revoked", client, client_id=client_id,
                        name=_app_name(session, client_id), reason="user_revoked")


def _app_name(session: Session, client_id: str) -> str | None:
    """The app's name for the security log (the app may be gone since)."""
    return session.execute(select(OAuthClient.name).where(OAuthClient.client_id == client_id)).scalar_one_or_none()


# --- the authorization endpoint -----------------------------------------------------------------------------------

FORM_ONLY = {"csrf_token", "decision"}  # the consent form's own fields, not part of the OAuth request


@dataclass(frozen=True)
class ConsentNeeded:
    """The request is valid and the account has not yet approved these scopes for this app: ask."""

    client_id: str
    name: str
    description: str | None
    homepage_url: str | None
    scopes: list[str]
    params: list[tuple[str, str]]


@dataclass(frozen=True)
class Refused:
    """The request cannot be trusted to redirect anywhere (unknown app, unregistered redirect URI): say so here."""

    error: str
    description: str


def authorize(session: Session, context: Context, plain: PlainRequest, account_id: uuid.UUID,
              decision: str | None) -> Response | ConsentNeeded | Refused:
    """One step of the authorization endpoint for a signed-in account.

    decision None (GET): validate, then redirect with a code if a remembered grant covers the scopes, else ask.
    decision "allow" / "deny" (the consent form): validate the same request again, then redirect with a code or
    with error=access_denied.
    """
    server = AuthServer(session, context)
    try:
        request = server.create_oauth2_request(plain)
        grant = server.get_consent_grant(request, end_user=account_id)
    except OAuth2Error as error:
        if error.redirect_uri:  # set by Authlib only once the client and its redirect URI are known good
            redirect: Response = server.handle_error_response(None, error)
            return redirect
        return Refused(error.error, error.get_error_description() or "The request is invalid.")
    app, requested = grant.client.row, scope_set.parse(request.scope)
    if decision is None:
        remembered = session.get(OAuthGrant, (account_id, app.client_id))
        if remembered is None or not requested <= scope_set.parse(remembered.scope):
            params = [(key, value) for key, value in plain.params if key not in FORM_ONLY]
            return ConsentNeeded(app.client_id, app.name, app.description, app.homepage_url, sorted(requested),
                                 params)
    elif decision == "allow":
        _remember(session, account_id, app.client_id, requested, context.caller)
    response: Response = server.create_authorization_response(
        request, grant_user=account_id if decision != "deny" else None, grant=grant)
    return response


def _remember(session: Session, account_id: uuid.UUID, client_id: str, scopes: frozenset[str],
              client: Client) -> None:
    now = utcnow()
    grant = session.get(OAuthGrant, (account_id, client_id))
    if grant is None:
        session.add(OAuthGrant(account_id=account_id, client_id=client_id, scope=scope_set.serialize(scopes),
                               granted_at=now, updated_at=now))
    else:
        # What the account approved before stays approved; the page is skipped for any subset of the union.
        grant.scope, grant.updated_at = scope_set.serialize(scope_set.parse(grant.scope) | scopes), now
    security_log.record(session, account_id, "oauth_granted", client, client_id=client_id,
                        name=_app_name(session, client_id), scopes=sorted(scopes))

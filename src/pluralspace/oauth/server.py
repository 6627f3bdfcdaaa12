"""Authlib's AuthorizationServer bound to one synchronous SQLAlchemy Session.

Authlib is synchronous: its hooks query and write as they validate. So a server is built for each unit of work,
inside `await database.write(fn)` (`kit/db.py`): on SQLite that runs in the database's worker thread, on PostgreSQL
through asyncpg's greenlet bridge. Either way the event loop never blocks, one engine serves everything, and the
whole OAuth step (a code consumed, tokens saved, a replay's revocations) commits or rolls back as one transaction.

What Authlib leaves to an integration, written here: the client and token adapters, the request adapter
(`requests.py`), the grants (`grants.py`), revocation and introspection, responses as Starlette responses.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request, TokenMixin
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from .. import audit
from ..audit import security_log
from ..audit.security_log import Client
from ..auth import scopes as scope_set
from ..identity.account import Account
from ..identity.credential import OAUTH, Credential
from ..kit.crypto import OAUTH_ACCESS_PREFIX, REFRESH_PREFIX, generate_token, token_hash
from ..kit.timeutil import utcnow
from ..tokens.issue import revoke_family
from .grants import CodeGrant, RefreshGrant, StrictCodeChallenge
from .models import PUBLIC, OAuthClient, OAuthCode
from .redirects import redirect_uri_allowed
from .requests import PlainJsonRequest, PlainOAuth2Request, PlainRequest

log = logging.getLogger(__name__)

ACCESS_TTL = 3600
REFRESH_TTL = 30 * 24 * 3600
SECRET_METHODS = ["client_secret_basic", "client_secret_post"]
GRANT_TYPES = ("authorization_code", "refresh_token")
ACCESS, REFRESH = "access_token", "refresh_token"


@dataclass(frozen=True)
class Context:
    """What a server needs besides the session: the key of the token hashes, who is calling (for the log) and the
    issuer it names in authorization responses."""

    secret_key: str
    caller: Client
    issuer: str


@dataclass
class AppClient(ClientMixin):
    row: OAuthClient
    secret_key: str

    @property
    def client_id(self) -> str:
        return self.row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # every authorization request must name its redirect URI

    def get_allowed_scope(self, scope: str | None) -> str | None:
        # No default scope: a request that names none is refused (invalid_scope) rather than guessed.
        return scope_set.serialize(scope.split()) if scope and scope.strip() else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri_allowed(self.row.redirect_uris, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return self.row.secret_hash is not None and hmac.compare_digest(
            self.row.secret_hash, token_hash(self.secret_key, client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # A public app can only say who it is; a confidential one must always prove it with its secret.
        return method == "none" if self.row.client_type == PUBLIC else method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


@dataclass
class IssuedToken(TokenMixin):
    """A credentials row as Authlib sees it. `granted_scope` is the scope approved for the code that started the
    family: a refresh may ask for that or less, whatever an earlier refresh narrowed to (RFC 6749 §6)."""

    row: Credential
    granted_scope: str
    kind: str  # which of the row's two tokens was presented: ACCESS or REFRESH

    def check_client(self, client: AppClient) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.granted_scope

    def get_expires_in(self) -> int:
        assert self.expires_at is not None, "OAuth tokens expire"
        return int((self.expires_at - self.row.created_at).total_seconds())

    @property
    def expires_at(self) -> datetime | None:
        return self.row.refresh_expires_at if self.kind == REFRESH else self.row.expires_at

    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


class AuthServer(AuthorizationServer):
    def __init__(self, session: Session, context: Context) -> None:
        super().__init__(scopes_supported=sorted(scope_set.GRANTABLE_SCOPES))
        self.session = session
        self.context = context
        self.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda **_: generate_token(OAUTH_ACCESS_PREFIX),
            refresh_token_generator=lambda **_: generate_token(REFRESH_PREFIX),
            expires_generator=ACCESS_TTL,
        ))
        self.register_grant(CodeGrant, [StrictCodeChallenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def hash(self, token: str) -> str:
        return token_hash(self.context.secret_key, token)

    # --- Authlib's hooks -----------------------------------------------------------------------------------------

    def query_client(self, client_id: str) -> AppClient | None:
        row = self.session.get(OAuthClient, client_id) if isinstance(client_id, str) else None
        return AppClient(row, self.context.secret_key) if row is not None else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        if request.refresh_token is not None:
            family_id = request.refresh_token.row.family_id  # a rotation stays in its family
        else:
            family_id = uuid.uuid4()  # each code exchange starts one; a replayed code revokes it
            request.authorization_code.family_id = family_id
        now = utcnow()
        refresh = token.get("refresh_token")
        self.session.add(Credential(
            kind=OAUTH, account_id=request.user, family_id=family_id, client_id=request.client.client_id,
            access_hash=self.hash(token["access_token"]), refresh_hash=self.hash(refresh) if refresh else None,
            scopes=token["scope"], created_at=now, expires_at=now + timedelta(seconds=token["expires_in"]),
            refresh_expires_at=now + timedelta(seconds=REFRESH_TTL) if refresh else None,
        ))

    def create_oauth2_request(self, request: PlainRequest | OAuth2Request) -> OAuth2Request:
        return request if isinstance(request, OAuth2Request) else PlainOAuth2Request(request)

    def create_json_request(self, request: PlainRequest) -> PlainJsonRequest:
        return PlainJsonRequest(request)

    def handle_response(self, status: int, body: object, header_list: Iterable[tuple[str, str]]) -> Response:
        headers = dict(header_list)
        if status == 302:
            status = 303  # after the consent POST the browser must GET the redirect URI (RFC 9700 §4.12)
            # Every authorization response, success or error, names its issuer (RFC 9207), so a client that talks
            # to several servers can tell which one answered (mix-up attacks, RFC 9700 §4.4). Authlib's
            # IssuerParameter cannot set it on this adapter's responses.
            headers["Location"] = add_params_to_uri(headers["Location"], {"iss": self.context.issuer})
        content = json.dumps(body) if isinstance(body, (dict, list)) else (body or "")
        return Response(content, status_code=status, headers=headers)

    def send_signal(self, name: str, *args: object, **kwargs: object) -> None:
        log.debug("oauth signal %s", name)

    # --- shared by grants and endpoints --------------------------------------------------------------------------

    def find_token(self, text: str, kinds: tuple[str, ...] = (ACCESS, REFRESH),
                   lock: bool = False) -> IssuedToken | None:
        """The OAuth credential whose access or refresh token is `text` (the kinds are tried in order)."""
        digest = self.hash(text)
        for kind in kinds:
            column = Credential.access_hash if kind == ACCESS else Credential.refresh_hash
            query = (select(Credential, OAuthCode.scope)
                     .outerjoin(OAuthCode, OAuthCode.family_id == Credential.family_id)
                     .where(column == digest, Credential.kind == OAUTH))
            if lock:
                query = query.with_for_update(of=Credential)
            found = self.session.execute(query).first()
            if found is not None:
                credential, granted = found
                return IssuedToken(credential, granted or credential.scopes, kind)
        return None

    def enabled_account(self, account_id: uuid.UUID) -> uuid.UUID | None:
        """The account, unless the administrator disabled it: then no grant issues it tokens (Authlib refuses a
        grant without a user)."""
        disabled_at = self.session.execute(select(Account.disabled_at).where(Account.id == account_id)).scalar_one()
        return None if disabled_at is not None else account_id

    def revoke_family(self, account_id: uuid.UUID, client_id: str | None, family_id: uuid.UUID, reason: str) -> None:
        revoke_family(self.session, family_id, reason)
        security_log.record(self.session, account_id, "oauth_revoked", self.context.caller, actor=audit.APP,
                            client_id=client_id, reason=reason)


class _TokenLookup:
    server: AuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        # The hint decides which kind is tried first; the other is still tried (RFC 7009 §2.1, RFC 7662 §2.1).
        kinds = (REFRESH, ACCESS) if token_type_hint == REFRESH else (ACCESS, REFRESH)
        return self.server.find_token(token_string, kinds)


class Revocation(_TokenLookup, RevocationEndpoint):
    """RFC 7009. Public apps may revoke too (they can prove nothing but their id, and revoking is harmless)."""

    CLIENT_AUTH_METHODS = [*SECRET_METHODS, "none"]

    def authenticate_token(self, request: OAuth2Request, client: AppClient) -> IssuedToken | None:
        # Another app's token is answered like an unknown one (RFC 7009 §2.2): it is not revealed, nor revoked.
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.check_client(client) else None

    def revoke_token(self, token: IssuedToken, request: OAuth2Request) -> None:
        # Access and refresh token share a row and rotation keeps one live row per family: revoke the family.
        row = token.row
        if token.is_revoked():
            return
        self.server.revoke_family(row.account_id, row.client_id, row.family_id, "client_revoked")


class Introspection(_TokenLookup, IntrospectionEndpoint):
    """RFC 7662, for confidential apps, about their own tokens only: anything else is `{"active": false}`."""

    CLIENT_AUTH_METHODS = SECRET_METHODS

    def check_permission(self, token: IssuedToken, client: AppClient, request: OAuth2Request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: IssuedToken) -> dict[str, Any]:
        row = token.row
        assert token.expires_at is not None, "OAuth tokens expire"
        return {
            "active": True, "client_id": row.client_id, "scope": row.scopes, "token_type": "Bearer",
            "sub": str(row.account_id), "exp": int(token.expires_at.timestamp()),
            "iat": int(row.created_at.timestamp()),
        }


def metadata(base_url: str) -> dict[str, Any]:
    """RFC 8414 document, derived from the classes above so it cannot drift from what they accept."""
    return {
        "issuer": base_url,
        "authorization_endpoint": f"{base_url}/oauth/authorize",
        "token_endpoint": f"{base_url}/oauth/token",
        "revocation_endpoint": f"{base_url}/oauth/revoke",
        "introspection_endpoint": f"{base_url}/oauth/introspect",
        "scopes_supported": sorted(scope_set.GRANTABLE_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": list(StrictCodeChallenge.SUPPORTED_CODE_CHALLENGE_METHOD),
        "token_endpoint_auth_methods_supported": list(CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(Revocation.CLIENT_AUTH_METHODS),
        "introspection_endpoint_auth_methods_supported": list(Introspection.CLIENT_AUTH_METHODS),
        "authorization_response_iss_parameter_supported": True,
    }

"""The grants this server offers, as Authlib subclasses: authorization code with PKCE, and refresh token.

No implicit and no password grant (RFC 9700 §2.1.2, §2.4). The hooks run inside the server's unit of work
(`server.AuthServer`), so `self.server.session` is the request's synchronous Session.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from ..identity.credential import Credential
from ..kit.crypto import AUTH_CODE_PREFIX, generate_token
from ..kit.timeutil import utcnow
from .models import OAuthCode

if TYPE_CHECKING:
    from .server import AppClient, AuthServer, IssuedToken

CODE_TTL = 60
# Unused codes are purged a day after they expire; used ones stay while their family can still refresh, because
# they hold the scope the family was granted and let a replay be recognised.
CODE_RETENTION = timedelta(days=1)
TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


class StrictCodeChallenge(CodeChallenge):
    """PKCE for every client, confidential ones included, and only S256 (RFC 9700 §2.1.1, §4.8): Authlib's
    default also accepts `plain`, and requires PKCE from public clients only."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": CodeChallenge.CODE_CHALLENGE_METHODS["S256"]}

    def validate_code_challenge(self, grant: grants.AuthorizationCodeGrant, redirect_uri: str | None) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge and code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    server: AuthServer

    def generate_authorization_code(self) -> str:
        return generate_token(AUTH_CODE_PREFIX)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        session, now = self.server.session, utcnow()
        _purge_codes(session, now)
        data = request.payload.data
        session.add(OAuthCode(
            code_hash=self.server.hash(code), client_id=request.client.client_id, account_id=request.user,
            redirect_uri=request.payload.redirect_uri, scope=request.scope, code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"], created_at=now,
            expires_at=now + timedelta(seconds=CODE_TTL),
        ))

    def query_authorization_code(self, code: str, client: AppClient) -> OAuthCode | None:
        # Locked, so that of two simultaneous exchanges the second sees the code used (PostgreSQL; SQLite
        # serialises writes anyway).
        row = self.server.session.execute(
            select(OAuthCode).where(OAuthCode.code_hash == self.server.hash(code)).with_for_update()
        ).scalar_one_or_none()
        if row is None or row.client_id != client.client_id:
            return None  # unknown, or another app's code: invalid_grant
        if row.used_at is not None:
            # A replay: someone else may hold the code, so what it issued is revoked (RFC 6749 §4.1.2).
            if row.family_id is not None:
                self.server.revoke_family(row.account_id, row.client_id, row.family_id, "code_replay")
            return None
        return row if row.expires_at > utcnow() else None

    def delete_authorization_code(self, authorization_code: OAuthCode) -> None:
        authorization_code.used_at = utcnow()  # kept, marked, so that a replay is recognised

    def authenticate_user(self, authorization_code: OAuthCode) -> uuid.UUID | None:
        return self.server.enabled_account(authorization_code.account_id)


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: each refresh token works once
    server: AuthServer

    def authenticate_refresh_token(self, refresh_token: str) -> IssuedToken | None:
        token = self.server.find_token(refresh_token, ("refresh_token",), lock=True)
        if token is None:
            return None
        row = token.row
        if row.revoked_at is not None:
            if row.revoke_reason == "rotated":
                # A rotated token came back: two parties hold this grant, so neither keeps it.
                self.server.revoke_family(row.account_id, row.client_id, row.family_id, "refresh_reuse")
            return None
        return None if token.is_expired() else token

    def authenticate_user(self, refresh_token: IssuedToken) -> uuid.UUID | None:
        return self.server.enabled_account(refresh_token.row.account_id)

    def revoke_old_credential(self, refresh_token: IssuedToken) -> None:
        refresh_token.row.revoked_at, refresh_token.row.revoke_reason = utcnow(), "rotated"


def _purge_codes(session: Session, now: datetime) -> None:
    live_family = exists().where(Credential.family_id == OAuthCode.family_id, Credential.revoked_at.is_(None),
                                 Credential.refresh_expires_at > now)
    session.execute(delete(OAuthCode).where(OAuthCode.expires_at < now - CODE_RETENTION, ~live_family)
                    .execution_options(synchronize_session=False))

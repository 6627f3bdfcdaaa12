from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from ..kit.timeutil import Timestamp
from ..kit.validators import ABSENT, HttpsUrl, Model, OutModel, Text
from .redirects import check_redirect_uri


def _distinct(uris: list[str]) -> list[str]:
    return list(dict.fromkeys(uris))


RedirectUris = Annotated[
    list[Annotated[str, AfterValidator(check_redirect_uri)]], Field(min_length=1, max_length=10),
    AfterValidator(_distinct),
]
REDIRECT_HELP = ("Where the app receives codes, matched exactly: https://, http:// on a loopback host (any port "
                 "then matches), or a private-use scheme such as com.example.app:/callback.")


class AppCreate(Model):
    name: Annotated[str, Text(100, min_length=1)]
    description: Annotated[str, Text(1000)] | None = None
    homepage_url: HttpsUrl | None = None
    redirect_uris: RedirectUris = Field(description=REDIRECT_HELP)
    client_type: Literal["public", "confidential"] = Field(
        description="confidential: a server that keeps a secret; public: a native or browser app that cannot.")


class AppPatch(Model):
    name: Annotated[str, Text(100, min_length=1)] = ABSENT
    description: Annotated[str, Text(1000)] | None = None
    homepage_url: HttpsUrl | None = None
    redirect_uris: RedirectUris = Field(ABSENT, description=REDIRECT_HELP)


class AppOut(OutModel):
    client_id: str
    name: str
    description: str | None
    homepage_url: str | None
    redirect_uris: list[str]
    client_type: str
    created_at: Timestamp
    updated_at: Timestamp


class AppWithSecret(AppOut):
    client_secret: str | None = Field(
        description="The client secret of a confidential app (null for public apps). Shown only now: store it safely.")


class AuthorizationOut(OutModel):
    client_id: str
    name: str
    homepage_url: str | None
    scopes: list[str]
    granted_at: Timestamp
    last_used_at: Timestamp | None

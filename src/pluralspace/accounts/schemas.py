from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from ..kit.timeutil import Timestamp, TimestampIn
from ..kit.validators import ABSENT, Email, Model, OutModel, Text
from ..systems.schemas import SystemOut

PASSWORD_MIN = 10
PASSWORD_MAX = 1024


Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
AnyPassword = Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]


class RegisterIn(Model):
    email: Email
    password: Password = Field(description=f"At least {PASSWORD_MIN} characters.")
    system_name: Annotated[str, Text(100)] | None = None
    invite_code: Annotated[str, Text(100)] | None = Field(
        None, description="Needed when the server registers by invitation only.")


class LoginIn(Model):
    email: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    password: AnyPassword


class RefreshIn(Model):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class LogoutIn(Model):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class TokenPair(OutModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class AccountOut(OutModel):
    id: str
    email: str
    system_id: str
    created_at: Timestamp
    updated_at: Timestamp


class RegisteredOut(AccountOut):
    system: SystemOut


class AccountPatch(Model):
    email: Email = ABSENT
    password: Password = ABSENT
    current_password: AnyPassword = Field(description="Needed to change the email or the password.")


class AccountDelete(Model):
    current_password: AnyPassword = Field(description="The account's password: deleting cannot be undone.")


class SecurityEventOut(OutModel):
    id: str
    kind: str
    ip: str | None
    user_agent: str | None
    detail: dict[str, Any]
    created_at: Timestamp


class InviteCreate(Model):
    expires_at: TimestampIn | None = Field(None, description="Default: in 7 days; at most a year away.")
    note: Annotated[str, Text(200)] | None = Field(
        None, description="For the administrator: who the invitation is for.")


class InviteOut(OutModel):
    id: str
    note: str | None
    status: str = Field(description="active, used or expired.")
    created_at: Timestamp
    expires_at: Timestamp
    used_at: Timestamp | None
    used_by: str | None = Field(description="The id of the account registered with it.")


class InviteCreated(InviteOut):
    code: str = Field(description="Returned once, now: only a hash of it is kept.")
    url: str = Field(description="The register page with the code filled in.")

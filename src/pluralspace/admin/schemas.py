from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ..kit.timeutil import Timestamp
from ..kit.validators import Model, OutModel, Text


class AdminAccountOut(OutModel):
    """An account as the administrator sees it: never its password hash, never its system's content."""

    id: str
    email: str
    system_id: str = Field(description="The short id of the account's system.")
    system_uuid: str
    created_at: Timestamp
    updated_at: Timestamp
    disabled: bool
    disabled_at: Timestamp | None
    disabled_reason: str | None


class AccountUsage(OutModel):
    members: int
    groups: int
    fronts: int
    journal_entries: int
    active_sessions: int = Field(description="Login sessions not ended, revoked or expired.")
    active_tokens: int = Field(description="Personal access tokens not revoked or expired.")
    authorized_apps: int = Field(description="OAuth apps holding a live token for the account.")


class AdminAccountDetail(AdminAccountOut):
    last_login_at: Timestamp | None
    usage: AccountUsage


class DisableIn(Model):
    reason: Annotated[str, Text(500, min_length=1)] = Field(
        description="Why; kept with the account and in the audit log.")


class AuditEventOut(OutModel):
    id: str
    kind: str
    actor: str = Field(description="Who acted: account, anonymous, app, admin or operator (the command line).")
    account_id: str | None = Field(description="The account concerned; for an account's own actions, the actor.")
    ip: str | None
    user_agent: str | None
    request_id: str | None
    detail: dict[str, Any]
    created_at: Timestamp


class Counts(OutModel):
    accounts: int
    disabled_accounts: int
    systems: int
    members: int
    fronts: int
    journal_entries: int


class Overview(OutModel):
    counts: Counts
    database: dict[str, Any] = Field(description="`{engine, size_bytes}`.")
    version: str
    api_version: str
    registration: str = Field(description="open, closed or invite.")
    started_at: Timestamp = Field(description="When this server process started.")
    uptime_seconds: int

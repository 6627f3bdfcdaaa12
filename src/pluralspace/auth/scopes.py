"""Scopes: what a token may do. `X:write` implies `X:read`; a login session holds every scope plus `account`."""

from __future__ import annotations

from collections.abc import Iterable

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "system:read": "See your system's profile and settings",
    "system:write": "Change your system's profile and settings, and import data",
    "members:read": "See your members",
    "members:write": "Add, change and remove members",
    "groups:read": "See your groups",
    "groups:write": "Add, change and remove groups",
    "fields:read": "See your custom fields",
    "fields:write": "Add, change and remove custom fields",
    "relationships:read": "See relationships between members",
    "relationships:write": "Add, change and remove relationships",
    "fronts:read": "See who is fronting and your front history",
    "fronts:write": "Log switches and edit your front history",
    "journal:read": "Read your journal",
    "journal:write": "Write, change and delete journal entries",
    "polls:read": "See your polls and votes",
    "polls:write": "Create polls and vote",
    "thoughts:read": "See your thoughts of the day",
    "thoughts:write": "Set and delete thoughts of the day",
    "wrapped:read": "See your Wrapped recaps",
    "webhooks": "Manage webhooks that receive the events you can read",
}
GRANTABLE_SCOPES = frozenset(SCOPE_DESCRIPTIONS)

ACCOUNT_SCOPE = "account"
"""Managing the account and its credentials (`/me*`): held only by login sessions, never grantable to a token."""

SESSION_SCOPES = GRANTABLE_SCOPES | {ACCOUNT_SCOPE}


def expand(scopes: Iterable[str]) -> frozenset[str]:
    granted = set(scopes)
    for scope in list(granted):
        if scope.endswith(":write"):
            granted.add(scope[: -len("write")] + "read")
    return frozenset(granted)


def serialize(scopes: Iterable[str]) -> str:
    return " ".join(sorted(set(scopes)))


def parse(text: str) -> frozenset[str]:
    return frozenset(text.split())

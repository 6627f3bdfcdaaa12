"""Who may call the administration API: the holder of PLURALSPACE_ADMIN_TOKEN, and only at a bounded rate.

The token comes as `X-Admin-Token: <t>` or `Authorization: Bearer <t>` and is compared in constant time (of its
SHA-256, so not even its length shows). Wrong tokens are throttled per address like failed logins, and each one is
an audit record; every admin request also counts against a budget of its own.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from .. import audit
from ..audit.security_log import Client, client_of
from ..config import Settings
from ..kit.errors import AdminTokenNotConfigured, AdminTokenRequired, RateLimited
from ..state import AppState, app_state


def offered_admin_token(request: Request) -> str | None:
    """The token the request offers: X-Admin-Token, else a Bearer token (None when neither is there)."""
    header = request.headers.get("x-admin-token")
    if header is not None:
        return header.strip()
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def is_admin_token(settings: Settings, offered: str | None) -> bool:
    if not settings.admin_token or not offered:
        return False
    return hmac.compare_digest(hashlib.sha256(offered.encode()).digest(),
                               hashlib.sha256(settings.admin_token.encode()).digest())


def _failures_key(client: Client) -> str:
    return f"admin-fail:{client.ip or 'unknown'}"


async def verify_admin_token(request: Request) -> Client:
    """Refuses a request without the right admin token (and throttles wrong ones); returns where it came from."""
    state = app_state(request)
    settings = state.settings
    if not settings.admin_token:
        raise AdminTokenNotConfigured()
    client = client_of(request)
    # Counted before the comparison, as logins are (accounts/login.py): however many guesses race, at most the budget
    # of them are compared. The right token gives its attempt back, so only wrong ones spend the budget.
    key = _failures_key(client)
    attempt = await state.limiter.hit(key, settings.admin_failures_per_ip, settings.login_window)
    if not attempt.allowed:
        raise RateLimited(attempt.reset_in, "Too many wrong admin tokens from this address; wait before retrying.")
    if not is_admin_token(settings, offered_admin_token(request)):
        await _refused(state, client, request)
        raise AdminTokenRequired()
    await state.limiter.hit(key, settings.admin_failures_per_ip, settings.login_window, amount=-1)
    return client


async def require_admin(request: Request) -> Client:
    """The dependency of every admin route: the admin token, within the admin budget. Returns where the request
    came from, for the audit records."""
    client = await verify_admin_token(request)
    state = app_state(request)
    settings = state.settings
    if settings.rate_limit_enabled:
        budget = await state.limiter.hit(f"admin:{client.ip or 'unknown'}", settings.admin_rate_limit,
                                         settings.rate_limit_window)
        if not budget.allowed:
            raise RateLimited(budget.reset_in, "Too many admin requests; retry later.")
    return client


async def _refused(state: AppState, client: Client, request: Request) -> None:
    method, path = request.method, request.url.path
    await state.database.write(lambda session: audit.record(session, "admin_token_refused", audit.ANONYMOUS, client,
                                                            None, method=method, path=path))

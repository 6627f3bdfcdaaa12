"""Registration, account changes, and login with failed-attempt throttling per account and per address and
constant-time answers.

Shared by the API (`auth/router.py`) and the web pages (`web/router.py`)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from ..accounts.security_log import Client
from ..admin.invites import invite_for
from ..kit.errors import Forbidden, RateLimited, Unauthenticated
from ..state import AppState
from . import service
from .principal import Principal
from .schemas import AccountOut, AccountPatch, RegisteredOut, RegisterIn, TokenPair, normalize_email


async def register(state: AppState, spec: RegisterIn, client: Client) -> RegisteredOut:
    if not state.settings.registration_open:
        raise Forbidden("Registration is closed on this server.")
    invite = invite_for(state.settings, spec.invite_code)
    password_hash = await run_in_threadpool(state.passwords.hash, spec.password)
    return await state.database.write(service.register, spec.email, password_hash, spec.system_name, client, invite)


async def update_account(state: AppState, principal: Principal, patch: AccountPatch, client: Client) -> AccountOut:
    """A new email or password, given the current password; a new password ends every other login session."""
    stored = await state.database.read(service.stored_password_hash, principal.account_id)
    if not await run_in_threadpool(state.passwords.verify, stored, patch.current_password):
        raise service.wrong_current_password()
    new_hash = await run_in_threadpool(state.passwords.hash, patch.password) if patch.password else None
    return await state.database.write(service.update_account, principal.account_id, principal.family_id,
                                      patch.email, new_hash, client)


def _throttle_keys(email: str, client: Client) -> list[tuple[str, str]]:
    return [("account", f"login:acct:{email}"), ("ip", f"login:ip:{client.ip or 'unknown'}")]


async def login(state: AppState, policy: service.SessionPolicy, email: str, password: str,
                client: Client) -> TokenPair:
    settings = state.settings
    try:
        email = normalize_email(email)
    except ValueError:
        email = email.strip().lower()
    limits = {"account": settings.login_failures_per_account, "ip": settings.login_failures_per_ip}
    keys = _throttle_keys(email, client)
    for kind, key in keys:
        window = await state.limiter.peek(key, limits[kind], settings.login_window)
        if window.count >= window.limit:
            raise RateLimited(window.reset_in, "Too many failed logins; wait before trying again.")

    stored = await state.database.read(service.find_login, email)
    if stored is None:
        await run_in_threadpool(state.passwords.burn, password)
    elif await run_in_threadpool(state.passwords.verify, stored.password_hash, password):
        rehash = None
        if state.passwords.needs_rehash(stored.password_hash):
            rehash = await run_in_threadpool(state.passwords.hash, password)
        for _, key in keys[:1]:
            await state.limiter.reset(key)
        return await state.database.write(service.start_session, policy, stored.account_id, client, rehash)

    for kind, key in keys:
        await state.limiter.hit(key, limits[kind], settings.login_window)
    if stored is not None:
        await state.database.write(service.record_failed_login, stored.account_id, client)
    raise Unauthenticated("Wrong email or password.")

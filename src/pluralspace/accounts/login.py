"""Registration, account changes, and login with failed-attempt throttling per account and per address and
constant-time answers.

Shared by the API (`accounts/auth_router.py`) and the web pages (`accounts/sign_in_pages.py`)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from .. import audit
from ..audit.security_log import Client
from ..auth.principal import Principal
from ..kit.errors import Forbidden, RateLimited, Unauthenticated
from ..kit.validators import normalize_email
from ..state import AppState
from . import service
from .invites import invite_for
from .schemas import AccountDelete, AccountOut, AccountPatch, RegisteredOut, RegisterIn, TokenPair


def session_policy(state: AppState) -> service.SessionPolicy:
    settings = state.settings
    return service.SessionPolicy(settings.secret_key, settings.session_ttl_seconds, settings.refresh_ttl_seconds)


async def register(state: AppState, spec: RegisterIn, client: Client) -> RegisteredOut:
    """Every attempt from an address counts against its registration budget, and a taken email costs the same
    password hash as a new account, so the 409 for a taken email cannot be harvested quickly or told by timing."""
    settings = state.settings
    if not settings.registration_open:
        raise Forbidden("Registration is closed on this server.")
    window = await state.limiter.hit(f"register:ip:{client.ip or 'unknown'}", settings.registrations_per_ip,
                                     settings.registration_window)
    if not window.allowed:
        raise RateLimited(window.reset_in, "Too many registrations from this address; wait before trying again.")
    invite = invite_for(settings, spec.invite_code)
    password_hash = await run_in_threadpool(state.passwords.hash, spec.password)
    return await state.database.write(service.register, spec.email, password_hash, spec.system_name, client, invite)


async def _check_current_password(state: AppState, principal: Principal, password: str) -> None:
    stored = await state.database.read(service.stored_password_hash, principal.account_id)
    if not await run_in_threadpool(state.passwords.verify, stored, password):
        raise service.wrong_current_password()


async def update_account(state: AppState, principal: Principal, patch: AccountPatch, client: Client) -> AccountOut:
    """A new email or password, given the current password; a new password ends every other login session."""
    await _check_current_password(state, principal, patch.current_password)
    new_hash = await run_in_threadpool(state.passwords.hash, patch.password) if patch.password else None
    return await state.database.write(service.update_account, principal.account_id, principal.family_id,
                                      patch.email, new_hash, client)


async def delete_account(state: AppState, principal: Principal, spec: AccountDelete, client: Client) -> None:
    """The account and all its data, given the current password: a stolen session alone cannot wipe it."""
    await _check_current_password(state, principal, spec.current_password)
    await state.database.write(service.delete_account, principal.account_id, audit.ACCOUNT, client)


def _throttle_keys(email: str, client: Client) -> list[tuple[str, str]]:
    return [("account", f"login:acct:{email}"), ("ip", f"login:ip:{client.ip or 'unknown'}")]


async def login(state: AppState, policy: service.SessionPolicy, email: str, password: str,
                client: Client) -> TokenPair:
    """Each attempt is counted before its password is checked: the counter's increment is atomic (one Redis INCRBY,
    or one step of the event loop in memory), so however many attempts race, at most the budget of them reach
    the password check. A right password within the budget succeeds; it then clears the account's failures and
    gives the address back its attempt, so only failures spend budgets."""
    settings = state.settings
    try:
        email = normalize_email(email)
    except ValueError:
        email = email.strip().lower()
    limits = {"account": settings.login_failures_per_account, "ip": settings.login_failures_per_ip}
    keys = _throttle_keys(email, client)
    for kind, key in keys:
        window = await state.limiter.hit(key, limits[kind], settings.login_window)
        if not window.allowed:
            raise RateLimited(window.reset_in, "Too many failed logins; wait before trying again.")

    stored = await state.database.read(service.find_login, email)
    if stored is None:
        await run_in_threadpool(state.passwords.burn, password)
    elif await run_in_threadpool(state.passwords.verify, stored.password_hash, password):
        rehash = None
        if state.passwords.needs_rehash(stored.password_hash):
            rehash = await run_in_threadpool(state.passwords.hash, password)
        (_, account_key), (_, address_key) = keys
        await state.limiter.reset(account_key)
        await state.limiter.hit(address_key, limits["ip"], settings.login_window, amount=-1)
        return await state.database.write(service.start_session, policy, stored.account_id, client, rehash)

    if stored is not None:
        await state.database.write(service.record_failed_login, stored.account_id, client)
    raise Unauthenticated("Wrong email or password.")

"""Request budgets and failed-login throttling shared by several servers through Redis, and the window arithmetic.

The Redis is shared with other runs and is never flushed: every test counts against keys of its own (a new token, a
new account's email, a random limiter key), so earlier runs cannot spend its budget.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import types

import pytest

from pluralspace.kit import ratelimit
from pluralspace.kit.ratelimit import MemoryLimiter, RedisLimiter

from ..conftest import REDIS_ENV, service_url
from ..helpers import PASSWORD, data, error

BUDGET = 6
WINDOW = 3600  # long fixed windows, so that a test never straddles two of them (see `clear_of_window_edge`)


def clear_of_window_edge(window: int = WINDOW, margin: float = 5.0) -> None:
    """Fixed windows restart at multiples of `window`: wait out the few seconds before an edge."""
    left = window - time.time() % window
    if left < margin:
        time.sleep(left + 0.1)


def limited_servers(make_server, count: int, redis_url: str = ""):
    clear_of_window_edge()
    return [make_server(redis_url=redis_url, rate_limit_read=BUDGET, rate_limit_window=WINDOW).api()
            for _ in range(count)]


def test_the_read_budget_is_shared_by_servers_on_one_redis(make_server):
    first, second = limited_servers(make_server, 2, service_url(REDIS_ENV))
    account = first.register()
    token = first.pat(account, "system:read")  # a new token: a budget no earlier run has touched
    for spent in range(1, BUDGET + 1):
        response = (first, second)[spent % 2].get("/api/v1/systems/@me", token)
        assert data(response)["id"] == account.system_id
        assert response.headers["x-ratelimit-limit"] == str(BUDGET)
        assert response.headers["x-ratelimit-remaining"] == str(BUDGET - spent)
    for server in (first, second):
        refused = server.get("/api/v1/systems/@me", token)
        failure = error(refused, 429, "RATE_LIMITED")
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert 1 <= int(refused.headers["retry-after"]) <= WINDOW + 1
        assert 1 <= failure["details"]["retry_after"] <= WINDOW + 1
    # The budget is the token's: the account's session still reads, on either server.
    for server in (first, second):
        assert data(server.get("/api/v1/systems/@me", account.session))["id"] == account.system_id


def test_without_redis_each_server_counts_alone(make_server):
    """The control for the test above: servers without Redis do not share a budget."""
    first, second = limited_servers(make_server, 2)
    account = first.register()
    token = first.pat(account, "system:read")
    for _ in range(BUDGET):
        data(first.get("/api/v1/systems/@me", token))
    error(first.get("/api/v1/systems/@me", token), 429, "RATE_LIMITED")
    response = second.get("/api/v1/systems/@me", token)
    data(response)
    assert response.headers["x-ratelimit-remaining"] == str(BUDGET - 1)


FAILURES = 2  # failed logins per account before 429, on these servers


def login_servers(make_server, redis_url: str = ""):
    clear_of_window_edge(900)  # the default login window
    return [make_server(redis_url=redis_url, login_failures_per_account=FAILURES).api() for _ in range(2)]


def fail_login(server, email: str) -> None:
    error(server.post("/api/v1/auth/login", json={"email": email, "password": "not the password"}),
          401, "UNAUTHENTICATED")


def test_failed_logins_are_counted_across_servers_on_one_redis(make_server):
    first, second = login_servers(make_server, service_url(REDIS_ENV))
    account = first.register()  # a new email: a throttle key of its own
    fail_login(first, account.email)
    fail_login(second, account.email)
    for server in (first, second):
        refused = server.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
        error(refused, 429, "RATE_LIMITED")
        assert 1 <= int(refused.headers["retry-after"]) <= 901


def test_a_success_clears_the_shared_failures(make_server):
    first, second = login_servers(make_server, service_url(REDIS_ENV))
    account = first.register()
    fail_login(first, account.email)
    second.login(account.email, PASSWORD)  # clears the account's failures in Redis, for both servers
    fail_login(second, account.email)
    assert first.login(account.email, PASSWORD)["token_type"] == "Bearer"


def test_without_redis_failed_logins_are_counted_per_server(make_server):
    """The control: without Redis, one server's failures do not hold back another."""
    first, second = login_servers(make_server)
    account = first.register()
    for _ in range(FAILURES):
        fail_login(first, account.email)
    error(first.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}),
          429, "RATE_LIMITED")
    assert second.login(account.email, PASSWORD)["token_type"] == "Bearer"


# --- the limiters themselves -------------------------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """Fixes the limiter's clock (only the limiter's: the module's `time` is replaced, not the global one)."""
    now = types.SimpleNamespace(value=1_000_000.0)
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now.value))
    return now


def run(coroutine):
    return asyncio.run(coroutine)


def test_memory_window_counts_until_the_limit_and_restarts_at_the_edge(clock):
    limiter = MemoryLimiter()
    clock.value = 600.0  # the start of a 60 s window
    first = run(limiter.hit("k", 3, 60))
    assert (first.count, first.remaining, first.allowed, first.reset_in) == (1, 2, True, 61)
    clock.value = 630.25
    assert run(limiter.hit("k", 3, 60, amount=0)).count == 1  # an amount of 0 reads without spending
    second = run(limiter.hit("k", 3, 60))
    assert (second.count, second.remaining, second.reset_in) == (2, 1, 30)
    third = run(limiter.hit("k", 3, 60))
    assert (third.count, third.remaining, third.allowed) == (3, 0, True)
    clock.value = 659.9
    over = run(limiter.hit("k", 3, 60))
    assert (over.count, over.remaining, over.allowed, over.reset_in) == (4, 0, False, 1)
    assert run(limiter.hit("other", 3, 60)).count == 1  # keys count apart
    clock.value = 660.0  # the next window
    fresh = run(limiter.hit("k", 3, 60))
    assert (fresh.count, fresh.allowed, fresh.reset_in) == (1, True, 61)


def test_memory_amounts_and_reset(clock):
    limiter = MemoryLimiter()
    assert run(limiter.hit("k", 10, 60, amount=4)).count == 4
    assert run(limiter.hit("k", 10, 60, amount=7)).allowed is False
    run(limiter.reset("k"))
    assert run(limiter.hit("k", 10, 60, amount=0)).count == 0
    run(limiter.reset("never-seen"))  # resetting an unknown key is harmless


def test_memory_pruning_never_forgets_the_current_window(clock):
    limiter = MemoryLimiter(max_keys=2)
    clock.value = 60.0
    run(limiter.hit("old", 5, 60))
    clock.value = 120.0
    run(limiter.hit("a", 5, 60))
    run(limiter.hit("a", 5, 60))
    run(limiter.hit("b", 5, 60))  # over max_keys: the old window's key is pruned
    run(limiter.hit("c", 5, 60))  # over again, with nothing old left to prune
    assert run(limiter.hit("a", 5, 60)).count == 3  # flooding with new keys does not refill a budget
    assert run(limiter.hit("old", 5, 60)).count == 1


def test_redis_limiters_share_a_window(clock):
    url = service_url(REDIS_ENV)
    key = f"test:{secrets.token_hex(8)}"

    async def scenario():
        first, second = RedisLimiter(url), RedisLimiter(url)
        try:
            assert await first.ping() and await second.ping()
            clock.value = 7200.0
            assert (await first.hit(key, 3, 60)).count == 1
            clock.value = 7230.5
            shared = await second.hit(key, 3, 60, amount=2)
            assert (shared.count, shared.remaining, shared.reset_in) == (3, 0, 30)
            assert (await first.hit(key, 3, 60, amount=0)).count == 3
            assert (await second.hit(key, 3, 60)).allowed is False
            clock.value = 7260.0  # the next window has a key of its own
            assert (await first.hit(key, 3, 60)).count == 1
            await second.reset(key)
            assert (await first.hit(key, 3, 60, amount=0)).count == 0
        finally:
            await first.reset(key)
            await first.close()
            await second.close()

    run(scenario())


def test_concurrent_hits_go_to_redis_together_and_are_all_counted():
    url = service_url(REDIS_ENV)
    key = f"test:{secrets.token_hex(8)}"

    async def scenario():
        limiter = RedisLimiter(url, max_connections=1)
        round_trips = []
        send = limiter._counts

        async def counted_send(batch):
            round_trips.append(len(batch))
            return await send(batch)

        limiter._counts = counted_send
        try:
            windows = await asyncio.gather(*[limiter.hit(key, 1000, 3600) for _ in range(300)])
            assert sorted(w.count for w in windows) == list(range(1, 301))  # every hit counted, none failed
            assert sum(round_trips) == 300 and len(round_trips) <= 3, round_trips
            assert (await limiter.hit(key, 1000, 3600)).count == 301  # and later hits still go out
        finally:
            await limiter.reset(key)
            await limiter.close()

    run(scenario())


def test_an_unreachable_redis_lets_requests_through(make_server):
    server = make_server(redis_url="redis://127.0.0.1:1/0", rate_limit_read=5).api()
    for _ in range(3):
        assert data(server.get("/api/v1/version"))["api_version"] == "v1"
        response = server.get("/api/v1/systems/zzzzzz")
        error(response, 404, "NOT_FOUND")  # the request ran; the budget store being away is not the caller's fault
    account = server.register()  # logins reset and count failures in the same store
    error(server.post("/api/v1/auth/login", json={"email": account.email, "password": "wrong password"}),
          401, "UNAUTHENTICATED")

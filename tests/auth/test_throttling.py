"""Login and registration throttling under load: attempts are counted before the password is checked, so parallel
attempts cannot get more password checks than the budget, in memory and through Redis; registration has a budget
per address, and a taken email costs the same password hash as a new account."""

from __future__ import annotations

import threading

import httpx

from ..conftest import REDIS_ENV, service_url
from ..helpers import PASSWORD, at_once, data, error
from ..kit.test_ratelimit_redis import clear_of_window_edge

PARALLEL = 60
BUDGET = 5


class Counted:
    """Wraps one method of a server's password hasher, counting calls (the evidence: not timing, the calls)."""

    def __init__(self, server, method: str) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        original = getattr(server.state.passwords, method)

        def counted(*args):
            with self._lock:
                self.calls += 1
            return original(*args)

        setattr(server.state.passwords, method, counted)


def wrong_logins_at_once(servers, email: str, count: int) -> list[int]:
    statuses: list[int] = []

    def attempt(url: str) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            statuses.append(client.post("/api/v1/auth/login",
                                        json={"email": email, "password": "not the password"}).status_code)

    at_once(*[lambda url=servers[i % len(servers)].url: attempt(url) for i in range(count)])
    return statuses


def test_parallel_wrong_logins_get_at_most_the_budget_of_password_checks(make_server):
    clear_of_window_edge(900)
    server = make_server(login_failures_per_account=BUDGET)
    api = server.api()
    account = api.register()
    checks = Counted(server, "verify")
    statuses = wrong_logins_at_once([server], account.email, PARALLEL)
    assert checks.calls <= BUDGET, checks.calls
    assert sorted(set(statuses)) == [401, 429] and statuses.count(401) == checks.calls
    error(api.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}), 429, "RATE_LIMITED")
    assert checks.calls <= BUDGET  # a throttled attempt is not checked, not even with the right password


def test_parallel_wrong_logins_through_redis_share_one_budget(make_server):
    clear_of_window_edge(900)
    redis_url = service_url(REDIS_ENV)
    # Two servers and sixty clients share this process's GIL: a Redis answer can take seconds, and a timeout would
    # be taken for an outage (each server then counts alone), not the sharing tested here.
    servers = [make_server(redis_url=redis_url, redis_timeout=30.0, login_failures_per_account=BUDGET)
               for _ in range(2)]
    account = servers[0].api().register()  # a new email: a Redis key no earlier run has touched
    checks = [Counted(server, "verify") for server in servers]
    statuses = wrong_logins_at_once(servers, account.email, PARALLEL)
    total = sum(c.calls for c in checks)
    assert total <= BUDGET and statuses.count(401) == total, (total, statuses)
    assert statuses.count(429) == PARALLEL - total


def test_a_right_password_within_the_budget_succeeds_and_clears_the_failures(make_server):
    server = make_server(login_failures_per_account=3)
    api = server.api()
    account = api.register()
    for _ in range(2):
        error(api.post("/api/v1/auth/login", json={"email": account.email, "password": "nope nope"}), 401,
              "UNAUTHENTICATED")
    assert api.login(account.email, PASSWORD)["token_type"] == "Bearer"  # the third attempt, within the budget
    for _ in range(3):  # the success cleared the account's failures: a full budget again
        error(api.post("/api/v1/auth/login", json={"email": account.email, "password": "nope nope"}), 401,
              "UNAUTHENTICATED")
    error(api.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}), 429, "RATE_LIMITED")


def test_successful_logins_do_not_spend_the_address_budget(make_server):
    clear_of_window_edge(900)
    server = make_server(login_failures_per_ip=3, login_failures_per_account=100)
    api = server.api()
    account = api.register()
    for _ in range(6):  # twice the address budget, all successes
        assert api.login(account.email, PASSWORD)["token_type"] == "Bearer"
    for _ in range(3):
        error(api.post("/api/v1/auth/login", json={"email": account.email, "password": "nope nope"}), 401,
              "UNAUTHENTICATED")
    error(api.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD}), 429, "RATE_LIMITED")


def test_registration_is_throttled_per_address(make_server):
    clear_of_window_edge(3600)
    server = make_server(registrations_per_ip=3, registration_window=3600)
    api = server.api()
    taken = api.register()  # 1
    error(api.post("/api/v1/auth/register", json={"email": taken.email, "password": PASSWORD}), 409, "CONFLICT")  # 2
    api.register()  # 3
    refused = api.post("/api/v1/auth/register", json={"email": "late-comer@example.org", "password": PASSWORD})
    failure = error(refused, 429, "RATE_LIMITED")
    assert 1 <= int(refused.headers["retry-after"]) <= 3601 and failure["details"]["retry_after"] >= 1
    # Taken or not, every further answer is the same 429: the budget hides which emails have accounts.
    error(api.post("/api/v1/auth/register", json={"email": taken.email, "password": PASSWORD}), 429, "RATE_LIMITED")
    error(api.post("/api/v1/auth/login", json={"email": "late-comer@example.org", "password": PASSWORD}), 401,
          "UNAUTHENTICATED")  # nothing was created


def test_a_taken_email_costs_the_same_password_hash_as_a_new_account(make_server):
    server = make_server()  # its own, as the hasher gets wrapped
    api = server.api()
    owner = api.register()
    hashes = Counted(server, "hash")
    error(api.post("/api/v1/auth/register", json={"email": owner.email, "password": PASSWORD}), 409, "CONFLICT")
    assert hashes.calls == 1
    data(api.post("/api/v1/auth/register", json={"email": f"new-{owner.email}", "password": PASSWORD}), 201)
    assert hashes.calls == 2

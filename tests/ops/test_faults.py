"""Faults of the database, its storage and Redis: each is answered as the contract promises (503 with Retry-After,
507, in-process rate limits) within its bound, never a hang or a 500, and the server recovers by itself.

PostgreSQL and Redis faults go through tests/faultproxy.py (blackhole, reset, refuse); locks, killed backends and
read-only storage are made for real. Bounds are short here (1 s) so that the suite stays fast; the assertions allow
for a loaded machine.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy.engine import make_url

from ..conftest import POSTGRES_ENV, REDIS_ENV, _postgres_admin, service_url
from ..faultproxy import FaultProxy
from ..helpers import data, error, postgres_only

BOUND = 1.0  # each of the connect, pool and statement bounds of the servers below
SLACK = 3.0  # a loaded test machine answers late; a hang would be minutes, not seconds
FAST = dict(db_connect_timeout=BOUND, db_pool_timeout=BOUND, db_statement_timeout=BOUND, db_pool_size=2)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def unavailable(response) -> dict:
    body = error(response, 503, "SERVICE_UNAVAILABLE")
    assert int(response.headers["retry-after"]) >= 1
    return body


def eventually(check, seconds: float = 15.0):
    """Polls `check` until it returns something truthy: the server recovers by itself, without a restart."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
            if result:
                return result
        except (AssertionError, httpx.HTTPError):
            if time.monotonic() > deadline:
                raise
        assert time.monotonic() < deadline, "did not recover"
        time.sleep(0.2)


def answers(api, path: str, token: str, status: int = 200) -> bool:
    return api.get(path, token).status_code == status


@contextmanager
def proxied_postgres(migrated):
    url = make_url(migrated.database_url)
    proxy = FaultProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    finally:
        proxy.close()


def member_names(api, token: str) -> set[str]:
    return {m["name"] for m in data(api.get("/api/v1/systems/@me/members?limit=200", token))}


# --- PostgreSQL through the proxy --------------------------------------------------------------------------------

@postgres_only
def test_a_silent_database_is_503_within_its_bound_and_recovers(make_server, migrated):
    with proxied_postgres(migrated) as (proxy, url):
        api = make_server(database_url=url, **FAST).api()
        account = api.register()
        acknowledged = {data(api.post("/api/v1/systems/@me/members", account.session, json={"name": f"m{i}"}),
                             201)["name"] for i in range(3)}
        proxy.blackhole()
        ready, seconds = timed(lambda: api.get("/api/v1/ready"))
        assert unavailable(ready)["details"] == {"reason": "database_unreachable"}
        assert seconds < 2.0 + SLACK / 2, seconds
        # Pooled connections that hear nothing are cut off at the statement bound (plus a second's grace); new
        # ones at the connect bound; a full pool at the pool bound.
        for call in (lambda: api.get("/api/v1/systems/@me", account.session),
                     lambda: api.post("/api/v1/systems/@me/members", account.session, json={"name": "lost"}),
                     lambda: api.get("/api/v1/systems/@me/members", account.session)):
            response, seconds = timed(call)
            unavailable(response)
            assert seconds < 2 * BOUND + 1 + SLACK, seconds
        assert data(api.get("/api/v1/health")) == {"status": "ok"}
        proxy.heal()
        eventually(lambda: answers(api, "/api/v1/ready", account.session))
        acknowledged.add(data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "after"}),
                              201)["name"])
        assert acknowledged <= member_names(api, account.session)


@postgres_only
def test_refused_and_reset_connections_are_503_at_once_and_reads_survive_a_reset(make_server, migrated):
    with proxied_postgres(migrated) as (proxy, url):
        api = make_server(database_url=url, **FAST).api()
        account = api.register()
        data(api.get("/api/v1/systems/@me/members", account.session))
        proxy.reset()  # the database restarted: every pooled connection is dead; reads and writes get fresh ones
        data(api.get("/api/v1/systems/@me", account.session))
        data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "after reset"}), 201)
        proxy.refuse()
        for call in (lambda: api.get("/api/v1/systems/@me", account.session),
                     lambda: api.post("/api/v1/systems/@me/members", account.session, json={"name": "lost"}),
                     lambda: api.get("/api/v1/ready")):
            response, seconds = timed(call)
            unavailable(response)
            assert seconds < BOUND + SLACK, seconds
        proxy.heal()
        eventually(lambda: answers(api, "/api/v1/systems/@me", account.session))
        assert "after reset" in member_names(api, account.session)


@postgres_only
def test_killed_backends_are_never_a_500(make_server, migrated):
    api = make_server(**FAST).api()
    account = api.register()
    database = make_url(migrated.database_url).database
    stop = threading.Event()

    def kill_backends() -> None:
        statement = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     f"WHERE datname = '{database}' AND pid <> pg_backend_pid()")
        while not stop.is_set():
            asyncio.run(_postgres_admin(service_url(POSTGRES_ENV), statement))
            stop.wait(0.3)

    killer = threading.Thread(target=kill_backends)
    killer.start()
    statuses: list[int] = []
    acknowledged: set[str] = set()
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            name = f"m{len(statuses)}"
            created = api.post("/api/v1/systems/@me/members", account.session, json={"name": name})
            if created.status_code == 201:
                acknowledged.add(name)
            statuses += [created.status_code, api.get("/api/v1/systems/@me/members", account.session).status_code]
    finally:
        stop.set()
        killer.join()
    assert set(statuses) <= {200, 201, 503}, statuses
    eventually(lambda: answers(api, "/api/v1/ready", account.session))
    assert acknowledged <= member_names(api, account.session)


@postgres_only
def test_too_many_clients_is_503(make_server, migrated):
    role = f"pluralspace_one_{secrets.token_hex(4)}"
    admin_url = migrated.database_url
    asyncio.run(_postgres_admin(admin_url, f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 1'))
    try:
        asyncio.run(_postgres_admin(admin_url, f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"'))
        url = make_url(migrated.database_url).set(username=role).render_as_string(hide_password=False)
        api = make_server(database_url=url, **FAST).api()
        statuses = set()

        def read() -> None:
            statuses.add(api.get("/api/v1/systems/abcdef").status_code)

        readers = [threading.Thread(target=read) for _ in range(6)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        assert statuses <= {404, 503} and 503 in statuses, statuses
    finally:
        asyncio.run(_postgres_admin(admin_url, f'DROP OWNED BY "{role}"'))
        asyncio.run(_postgres_admin(admin_url, f'DROP ROLE "{role}"'))


# --- both engines ------------------------------------------------------------------------------------------------

@contextmanager
def write_lock_held_elsewhere(backend):
    """Another client holds the lock every write needs, as a backup tool or a long migration might."""
    if backend.name == "sqlite":
        other = sqlite3.connect(make_url(backend.database_url).database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    import asyncpg

    async def hold(ready: threading.Event, release: threading.Event) -> None:
        connection = await asyncpg.connect(backend.database_url)
        try:
            async with connection.transaction():
                await connection.execute("LOCK TABLE members IN EXCLUSIVE MODE")  # reads pass, writes wait
                ready.set()
                while not release.is_set():
                    await asyncio.sleep(0.05)
        finally:
            await connection.close()

    ready, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=lambda: asyncio.run(hold(ready, release)))
    holder.start()
    assert ready.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


def test_a_write_that_waits_on_a_lock_past_the_bound_is_503(make_server, backend):
    api = make_server(**FAST).api()
    account = api.register()
    data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "before"}), 201)
    with write_lock_held_elsewhere(backend):
        response, seconds = timed(
            lambda: api.post("/api/v1/systems/@me/members", account.session, json={"name": "waits"}))
        unavailable(response)
        assert seconds < 2 * BOUND + 1 + SLACK, seconds
        assert "before" in member_names(api, account.session)  # reads go on
    data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "after"}), 201)
    assert {"before", "after"} <= member_names(api, account.session)


@contextmanager
def read_only_database(backend):
    """A database that answers but takes no writes: a SQLite file opened read-only, a PostgreSQL role whose
    transactions are read-only (as on a standby). Yields the URL to serve from."""
    if backend.name == "sqlite":
        path = make_url(backend.database_url).database
        yield f"sqlite:///file:{path}?mode=ro&uri=true"
        return
    role = f"pluralspace_ro_{secrets.token_hex(4)}"
    url = backend.database_url
    for statement in (f'CREATE ROLE "{role}" LOGIN', f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"',
                      f'ALTER ROLE "{role}" SET default_transaction_read_only = on'):
        asyncio.run(_postgres_admin(url, statement))
    try:
        yield make_url(url).set(username=role).render_as_string(hide_password=False)
    finally:
        asyncio.run(_postgres_admin(url, f'DROP OWNED BY "{role}"'))
        asyncio.run(_postgres_admin(url, f'DROP ROLE "{role}"'))


def test_read_only_storage_is_507_and_ready_says_so(make_server, api, backend):
    account = api.register()
    data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "kept"}), 201)
    with read_only_database(backend) as url:
        read_only = make_server(database_url=url, **FAST).api()
        assert "kept" in member_names(read_only, account.session)  # reads are served
        refused = read_only.post("/api/v1/systems/@me/members", account.session, json={"name": "lost"})
        body = error(refused, 507, "STORAGE_FULL")
        assert "cannot store data" in body["message"]
        assert unavailable(read_only.get("/api/v1/ready"))["details"] == {"reason": "storage_full"}
        pk = read_only.post("/pk/v2/members", account.session, json={"name": "lost"})
        assert pk.status_code == 507 and pk.json()["code"] == 0
    assert "lost" not in member_names(api, account.session)


# --- Redis ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # Redis's faults do not depend on the engine
def test_a_silent_redis_costs_a_few_milliseconds_and_limits_go_on_in_process(make_server):
    target = make_url(service_url(REDIS_ENV).replace("redis://", "postgresql://"))  # only to parse host and port
    proxy = FaultProxy(target.host or "127.0.0.1", target.port or 6379)
    try:
        redis_url = f"redis://127.0.0.1:{proxy.port}/{target.database or 0}"
        budget, timeout = 12, 0.5
        # A short timeout, though not the default's: this process hosts several servers, and a stall here must not
        # pass for a Redis fault before the test makes one.
        api = make_server(redis_url=redis_url, redis_timeout=timeout, redis_retry_seconds=0.5,
                          rate_limit_read=budget, rate_limit_window=3600).api()
        account = api.register()
        token = api.pat(account, "system:read")  # a budget of its own, in Redis

        def spend(count: int) -> tuple[list[str], list[float]]:
            answered = [timed(lambda: api.get("/api/v1/systems/@me", token)) for _ in range(count)]
            return [r.headers["x-ratelimit-remaining"] for r, _ in answered], [seconds for _, seconds in answered]

        remaining, before = spend(2)
        assert remaining == [str(budget - 1), str(budget - 2)]
        proxy.blackhole()
        remaining, during = spend(budget)
        # Before, each request waited seconds for Redis; now one batch waits the timeout and the rest do not.
        assert sum(during) < timeout + budget * (2 * max(before) + 0.05) + SLACK, (before, during)
        # Counted in this process meanwhile: a budget of its own, which runs out like any other.
        assert remaining == [str(budget - spent) for spent in range(1, budget + 1)], remaining
        error(api.get("/api/v1/systems/@me", token), 429, "RATE_LIMITED")
        proxy.heal()

        def counted_in_redis_again() -> bool:  # Redis holds the 2 spent before the fault (and any held meanwhile)
            return api.get("/api/v1/systems/@me", token).headers.get("x-ratelimit-remaining") in {
                str(budget - spent) for spent in range(3, budget)}  # not 0: the in-process count is spent

        eventually(counted_in_redis_again)
    finally:
        proxy.close()


# --- storage: a full disk, a read-only data dir (SQLite, in a mount namespace of the server's own) -------------------

def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def own_mounts_available() -> bool:
    import subprocess

    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_own_mounts = pytest.mark.skipif(not own_mounts_available(),
                                      reason="needs unshare -m (root) to give the server a small tmpfs of its own")


def serve_on_own_tmpfs(tmp_path, mount_point, setup: str, port: int = 0):
    """`pluralspace serve` in a mount namespace of its own where `setup` (shell) has mounted tmpfs; the mounts go
    away with the process."""
    import os
    import subprocess
    import sys

    pluralspace = os.path.join(os.path.dirname(sys.executable), "pluralspace")
    env = {**os.environ, "PLURALSPACE_DATA_DIR": str(mount_point / "data"), "PLURALSPACE_RATE_LIMIT_ENABLED": "false",
           "PLURALSPACE_ARGON2_TIME_COST": "1", "PLURALSPACE_ARGON2_MEMORY_KIB": "1024",
           "PLURALSPACE_ARGON2_PARALLELISM": "1", "PLURALSPACE_LOG_LEVEL": "warning"}
    env.pop("PLURALSPACE_DATABASE_URL", None)
    env.pop("PLURALSPACE_REDIS_URL", None)
    script = f"{setup} && exec {pluralspace} serve --port {port or _free_port()}"
    return subprocess.Popen(["unshare", "-m", "sh", "-c", script], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@needs_own_mounts
def test_serve_refuses_a_read_only_data_dir_with_one_line(tmp_path):
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    read_only_data_dir = (f"mount -t tmpfs -o size=4m tmpfs {mount_point} && "
                          f"mkdir {mount_point}/data && mount -o remount,ro {mount_point}")
    process = serve_on_own_tmpfs(tmp_path, mount_point, read_only_data_dir)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert stderr.strip() == (f"pluralspace: cannot start: the data dir {mount_point / 'data'} is not writable: "
                              "Read-only file system"), stderr


@needs_own_mounts
def test_a_full_disk_is_507_then_recovers_when_room_is_made(tmp_path):
    import subprocess

    from ..helpers import Api

    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    port = _free_port()
    filler = mount_point / "filler"
    process = serve_on_own_tmpfs(tmp_path, mount_point, f"mount -t tmpfs -o size=4m tmpfs {mount_point} && "
                                                        f"head -c 2097152 /dev/zero > {filler}", port)
    api = Api(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30))
    try:
        eventually(lambda: process.poll() is None and api.get("/api/v1/health").status_code == 200, seconds=60)
        account = api.register()
        acknowledged, refused = set(), None
        for number in range(400):  # under 2 MiB of room: far fewer members of 10 kB
            created = api.post("/api/v1/systems/@me/members", account.session,
                               json={"name": f"m{number}", "description": "x" * 10_000})
            if created.status_code != 201:
                refused = created
                break
            acknowledged.add(f"m{number}")
        assert refused is not None, "the disk never filled"
        assert "cannot store data" in error(refused, 507, "STORAGE_FULL")["message"]
        assert unavailable(api.get("/api/v1/ready"))["details"] == {"reason": "storage_full"}
        assert acknowledged <= member_names(api, account.session)  # reads go on, every acknowledged write there
        subprocess.run(["nsenter", "-t", str(process.pid), "-m", "rm", str(filler)], check=True)
        data(api.post("/api/v1/systems/@me/members", account.session, json={"name": "after"}), 201)
        eventually(lambda: answers(api, "/api/v1/ready", account.session))
        assert acknowledged | {"after"} <= member_names(api, account.session)
    finally:
        api.close()
        process.terminate()
        process.communicate(timeout=30)

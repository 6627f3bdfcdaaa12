"""Bench data: N accounts (each registration creates a system), each with personal access tokens.

Starts the real server (`pluralspace serve`, rate limiting off so one address may register many accounts) on a free
loopback port with PLURALSPACE_DATA_DIR=<data-dir>, and goes through its public HTTP API only:

    POST /api/v1/auth/register   -> account + system (argon2 hash, ~50-100 ms)
    POST /api/v1/auth/login      -> session token
    POST /api/v1/me/tokens       -> PAT with --scopes (default system:read; --tokens-per-account of them)

The tokens go to <data-dir>/tokens.json with the expected system id of each, so the load driver can check that a
server answers with the right row. The data dir (pluralspace.db + secret_key) is then what every bench server
reads.

    python bench/generate.py --accounts 256 [--data-dir bench/.data] [--fresh]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DATA_DIR, code_env, code_snapshot, free_port, real_server

PASSWORD = "bench password 0123456789"


async def make_account(client: httpx.AsyncClient, index: int, tokens_per_account: int,
                       scopes: list[str]) -> list[dict]:
    email = f"bench-{index:05d}-{secrets.token_hex(3)}@example.org"
    registered = await client.post("/api/v1/auth/register",
                                   json={"email": email, "password": PASSWORD, "system_name": f"Bench system {index}"})
    registered.raise_for_status()
    system = registered.json()["data"]["system"]
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    login.raise_for_status()
    session = login.json()["data"]["access_token"]
    out = []
    for n in range(tokens_per_account):
        created = await client.post("/api/v1/me/tokens", headers={"Authorization": f"Bearer {session}"},
                                    json={"name": f"bench {n}", "scopes": scopes})
        created.raise_for_status()
        out.append({"token": created.json()["data"]["token"], "system_id": system["id"],
                    "system_uuid": system["uuid"], "email": email})
    return out


async def generate(base_url: str, accounts: int, tokens_per_account: int, concurrency: int,
                   scopes: list[str]) -> list[dict]:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        async def one(index: int) -> list[dict]:
            async with limit:
                return await make_account(client, index, tokens_per_account, scopes)

        results = await asyncio.gather(*(one(i) for i in range(accounts)))
    return [entry for group in results for entry in group]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--accounts", type=int, default=256)
    parser.add_argument("--tokens-per-account", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4, help="registrations in flight (argon2 is CPU-bound)")
    parser.add_argument("--scopes", default="system:read",
                        help="comma-separated scopes of every token (bench/lists.py needs the areas' read scopes)")
    parser.add_argument("--fresh", action="store_true", help="delete the database, key and tokens first")
    parser.add_argument("--code", default="HEAD",
                        help="git ref of the app code to run (exported to bench/.data), or `worktree`")
    args = parser.parse_args()

    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        for name in ("pluralspace.db", "pluralspace.db-wal", "pluralspace.db-shm", "secret_key", "tokens.json"):
            (data_dir / name).unlink(missing_ok=True)
    code, src = code_snapshot(args.code)
    tokens_path = data_dir / "tokens.json"
    previous = json.loads(tokens_path.read_text())["clients"] if tokens_path.exists() else []

    port = free_port()
    started = time.monotonic()
    # One address registers every account: its registration budget is lifted too.
    with real_server(data_dir, port, rate_limit=False, log_path=data_dir / "generate-server.log",
                     extra_env={**code_env(src), "PLURALSPACE_REGISTRATIONS_PER_IP": str(args.accounts + 1)}
                     ) as server:
        server.wait_ready()
        clients = asyncio.run(generate(server.url, args.accounts, args.tokens_per_account, args.concurrency,
                                       args.scopes.split(",")))
    clients = previous + clients
    tokens_path.write_text(json.dumps(
        {"database": str(data_dir / "pluralspace.db"), "code": code, "clients": clients}, indent=1))
    print(f"{len(clients)} tokens ({len(clients) - len(previous)} new, {args.accounts} accounts x "
          f"{args.tokens_per_account}) in {tokens_path} [{time.monotonic() - started:.1f}s]")


if __name__ == "__main__":
    main()

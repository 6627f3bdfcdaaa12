"""Events through the real server (`pluralspace serve`, one worker): fan-out to many streams, and what streams and
webhooks cost a write.

1. `subscribers`: N Server-Sent Events streams (default 1,000) of one system on one worker; the owner switches
   fronters (PUT /fronters) R times; for each stream, the time from the request being sent to its `fronters.changed`
   event arriving. Reported: p50 / p99 / max over N x R deliveries.
2. `write cost`: p50 / p99 of PUT /fronters (K sequential switches per side) on two servers running side by side,
   one with nothing attached, one with 10 webhooks (to a receiver on loopback answering 200) and 100 streams
   attached, in alternating blocks, so that both meet the same load from the rest of the machine.

The streams are raw asyncio connections (a line reader each), so the client costs little next to the server; both
share the machine. Run:  python -m bench.events [--subscribers 1000] [--rounds 5] [--writes 300]
[--blocks 6] [--code REF] [--database-url URL --bare-database-url URL]. Without them the databases are SQLite in
bench/.data/events/{attached,bare}/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from .common import DEFAULT_DATA_DIR, HOST, code_env, code_snapshot, free_port, real_server

PASSWORD = "bench password 123"
SECRET = "bench-events-secret-key-not-for-production-0123456789"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 0.5) * 1000:.1f} ms, p99 {percentile(values, 0.99) * 1000:.1f} ms, "
            f"max {max(values) * 1000:.1f} ms over {len(values)}")


async def open_stream(port: int, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
    writer.write((f"GET /api/v1/systems/@me/events?types=fronters.changed HTTP/1.1\r\nHost: {HOST}\r\n"
                  f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    status = await reader.readline()
    assert b" 200 " in status, status
    while (await reader.readline()) not in (b"\r\n", b""):
        pass  # the headers
    return reader, writer


async def next_change(reader: asyncio.StreamReader) -> float:
    """Waits for the next `fronters.changed` event; returns when it arrived (monotonic)."""
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("the stream ended")
        if line.startswith(b"event: fronters.changed"):
            return time.monotonic()


async def fan_out(port: int, token: str, members: list[str], subscribers: int, rounds: int) -> list[float]:
    streams = []
    for start in range(0, subscribers, 100):  # opened in batches, so the server's accept queue keeps up
        streams += await asyncio.gather(*(open_stream(port, token) for _ in range(start, min(subscribers,
                                                                                            start + 100))))
    await asyncio.sleep(1.0)
    delays: list[float] = []
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=30) as client:
        for index in range(rounds):
            waiting = [asyncio.ensure_future(next_change(reader)) for reader, _ in streams]
            sent = time.monotonic()
            response = await client.put("/api/v1/systems/@me/fronters", json={"member_ids": [members[index % 2]]},
                                        headers={"Authorization": f"Bearer {token}"})
            response.raise_for_status()
            arrived = await asyncio.gather(*waiting)
            delays += [moment - sent for moment in arrived]
    for _, writer in streams:
        writer.close()
    return delays


async def receiver(port: int) -> asyncio.Server:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if not line:
                    return
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, HOST, port)


async def switch_latencies(client: httpx.AsyncClient, token: str, members: list[str], writes: int) -> list[float]:
    latencies = []
    for index in range(writes):
        started = time.monotonic()
        response = await client.put("/api/v1/systems/@me/fronters", json={"member_ids": [members[index % 2]]},
                                    headers={"Authorization": f"Bearer {token}"})
        latencies.append(time.monotonic() - started)
        response.raise_for_status()
    return latencies


async def write_cost(bare: Target, attached: Target, writes: int, blocks: int) -> tuple[list[float], list[float]]:
    """PUT /fronters on the server with nothing attached and on the one with 10 webhooks and 100 streams, in
    alternating blocks (so both sides meet the same load from the rest of the machine); the first writes of each
    block are a warm-up."""
    hook_port = free_port()
    server = await receiver(hook_port)
    async with httpx.AsyncClient(base_url=attached.url, timeout=30) as client:
        for _ in range(10):
            made = await client.post("/api/v1/me/webhooks", headers={"Authorization": f"Bearer {attached.token}"},
                                     json={"url": f"http://{HOST}:{hook_port}/hook",
                                           "event_types": ["front.*", "fronters.changed"]})
            made.raise_for_status()
    streams = [await open_stream(attached.port, attached.token) for _ in range(100)]
    drains = [asyncio.ensure_future(drain(reader)) for reader, _ in streams]
    measured: dict[str, list[float]] = {"bare": [], "attached": []}
    per_block = max(1, writes // blocks)
    async with httpx.AsyncClient(base_url=bare.url, timeout=30) as bare_client, \
            httpx.AsyncClient(base_url=attached.url, timeout=30) as attached_client:
        for block in range(blocks):
            order = [("bare", bare, bare_client), ("attached", attached, attached_client)]
            for name, target, client in order if block % 2 == 0 else order[::-1]:
                await switch_latencies(client, target.token, target.members, 10)  # warm-up
                measured[name] += await switch_latencies(client, target.token, target.members, per_block)
    for task in drains:
        task.cancel()
    for _, writer in streams:
        writer.close()
    server.close()
    return measured["bare"], measured["attached"]


async def drain(reader: asyncio.StreamReader) -> None:
    while await reader.readline():
        pass


@dataclass(frozen=True)
class Target:
    port: int
    token: str
    members: list[str]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


def set_up(port: int) -> Target:
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=30) as client:
        client.post("/api/v1/auth/register", json={"email": "bench@example.org", "password": PASSWORD}
                    ).raise_for_status()
        token = client.post("/api/v1/auth/login", json={"email": "bench@example.org", "password": PASSWORD}
                            ).json()["data"]["access_token"]
        members = [client.post("/api/v1/systems/@me/members", headers={"Authorization": f"Bearer {token}"},
                               json={"name": name}).json()["data"]["id"] for name in ("A", "B")]
    return Target(port, token, members)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=1000, help="0 skips the fan-out measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--writes", type=int, default=300, help="per side, for the write cost")
    parser.add_argument("--blocks", type=int, default=6, help="alternations between the two servers")
    parser.add_argument("--database-url", default="", help="PostgreSQL: the server with the attachments")
    parser.add_argument("--bare-database-url", default="", help="PostgreSQL: the server without them")
    parser.add_argument("--code", default="worktree", help="the app code both servers run: worktree or a git ref")
    args = parser.parse_args()
    code, src = code_snapshot(args.code)
    print(f"code: {code}")
    if bool(args.database_url) != bool(args.bare_database_url):
        raise SystemExit("PostgreSQL needs two scratch databases: --database-url and --bare-database-url")
    engine = "PostgreSQL" if args.database_url else "SQLite"
    with contextlib.ExitStack() as stack:
        targets = []
        for name, url in (("attached", args.database_url), ("bare", args.bare_database_url)):
            data_dir = DEFAULT_DATA_DIR / "events" / name
            shutil.rmtree(data_dir, ignore_errors=True)
            Path(data_dir).mkdir(parents=True)
            port = free_port()
            env = {"PLURALSPACE_SECRET_KEY": SECRET, "PLURALSPACE_WEBHOOK_ALLOW_PRIVATE": "true",
                   "PLURALSPACE_ARGON2_TIME_COST": "1", "PLURALSPACE_ARGON2_MEMORY_KIB": "1024",
                   "PLURALSPACE_ARGON2_PARALLELISM": "1", **({"PLURALSPACE_DATABASE_URL": url} if url else {}),
                   **code_env(src)}
            server = stack.enter_context(real_server(data_dir, port, rate_limit=False,
                                                     log_path=data_dir / "server.log", extra_env=env))
            server.wait_ready()
            targets.append(set_up(port))
        attached, bare = targets
        if args.subscribers:
            delays = asyncio.run(fan_out(attached.port, attached.token, attached.members, args.subscribers,
                                         args.rounds))
            print(f"{engine}: {args.subscribers} streams, {args.rounds} switches: PUT sent -> event received: "
                  f"{summary(delays)}")
        alone, with_attachments = asyncio.run(write_cost(bare, attached, args.writes, args.blocks))
        print(f"{engine}: PUT /fronters, nothing attached: {summary(alone)}")
        print(f"{engine}: PUT /fronters, 10 webhooks + 100 streams: {summary(with_attachments)}")
        print(f"{engine}: p99 ratio {percentile(with_attachments, 0.99) / percentile(alone, 0.99):.2f}, "
              f"p50 ratio {percentile(with_attachments, 0.5) / percentile(alone, 0.5):.2f}")


if __name__ == "__main__":
    main()

"""A large Simply Plural import through the real server: time, the server's peak memory, and what another system's
requests cost meanwhile.

The file is generated (fixed seed): by default 2,000 members with descriptions and custom field values, 40 nested
groups, 6 custom fields and 300,000 front rows (each member's fronts one after another, about 60 MB). One account
POSTs it to /api/v1/systems/@me/imports and polls the job until it has finished; meanwhile a second account, on the
same server, reads its fronters and its member list and switches fronters (PUT /fronters) in a loop, and the
latency of each of those requests is recorded. The server's peak RSS is its VmHWM from /proc when the job is done.

Before the import the same neighbour requests run alone for `--baseline-seconds` (15): on a machine busy with
other work, that is what the import's figures compare with.

Run:  python -m bench.imports [--members 2000] [--fronts 300000] [--database-url URL] [--baseline-seconds 15]
Without --database-url the database is SQLite in bench/.data/imports/. With a PostgreSQL URL that database is used
as given (it is migrated to head; use a scratch database).
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import threading
import time
from pathlib import Path

import httpx

from .common import DEFAULT_DATA_DIR, free_port, real_server

PASSWORD = "bench password 123"
SECRET = "bench-imports-secret-key-not-for-production-0123456789"
START_MS = 1_420_070_400_000  # 2015-01-01


def generate(path: Path, members: int, fronts: int, seed: int = 13) -> None:
    """A Simply Plural export of the given size, written as it is generated (never whole in memory)."""
    rng = random.Random(seed)
    words = ["river", "stone", "lantern", "moss", "ember", "willow", "quiet", "storm", "harbour", "thread"]

    def text(count: int) -> str:
        return " ".join(rng.choice(words) for _ in range(count))

    fields = [{"_id": f"cf{i}", "name": f"Field {i}", "type": i % 3, "order": f"0|{i}"} for i in range(6)]
    with open(path, "w") as out:
        out.write('{"users": [{"_id": "uid", "username": "Bench system"}], "private": [{"_id": "uid", '
                  '"location": "Europe/Berlin"}], "customFields": ' + json.dumps(fields) + ', "members": [')
        for index in range(members):
            member = {"_id": f"m{index}", "name": f"Member {index}", "desc": text(40), "pronouns": "they/them",
                      "color": f"#{rng.randrange(0x1000000):06x}", "private": True,
                      "info": {"cf0": text(3), "cf1": f"#{rng.randrange(0x1000000):06x}", "cf2": "2020-01-01"}}
            out.write(("," if index else "") + json.dumps(member))
        groups = [{"_id": f"g{i}", "name": f"Group {i}", "parent": "root" if i < 8 else f"g{i % 8}",
                   "members": [f"m{j}" for j in range(i, members, 40)]} for i in range(40)]
        out.write('], "groups": ' + json.dumps(groups) + ', "frontHistory": [')
        per_member = max(1, fronts // members)
        written = 0
        for index in range(members):
            moment = START_MS + rng.randrange(3_600_000)
            for _ in range(per_member if index < members - 1 else fronts - written):
                length = rng.randrange(600_000, 14_400_000)
                row = {"_id": secrets.token_hex(12), "member": f"m{index}", "custom": False, "live": False,
                       "startTime": moment, "endTime": moment + length}
                if rng.random() < 0.05:
                    row["customStatus"] = text(3)
                out.write(("," if written else "") + json.dumps(row))
                written += 1
                moment += length + rng.randrange(60_000, 86_400_000)
        out.write('], "notes": [], "polls": [], "chatMessages": [], "friends": [], "tokens": []}')


def register(client: httpx.Client, name: str) -> str:
    email = f"{name}-{secrets.token_hex(4)}@bench.example"
    client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}).raise_for_status()
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return login.raise_for_status().json()["data"]["access_token"]


def neighbour_load(url: str, token: str, stop: threading.Event, phase: list[dict[str, list[float]]],
                   unavailable: list[str]) -> None:
    """Requests of another system until `stop`; each one's latency goes to the current phase's latencies
    (`phase[0]`, under "read" or "write"), and each 503 (the database did not answer within the server's statement
    bound) also to `unavailable`: a finding."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        member_ids = [client.post("/api/v1/systems/@me/members", json={"name": f"N{i}"}).json()["data"]["id"]
                      for i in range(3)]
        turn = 0
        while not stop.is_set():
            for method, path, body in (("GET", "/api/v1/systems/@me/fronters", None),
                                       ("GET", "/api/v1/systems/@me/members", None),
                                       ("PUT", "/api/v1/systems/@me/fronters",
                                        {"member_ids": [member_ids[turn % 3]]})):
                kind = phase[0]["read" if method == "GET" else "write"]
                started = time.perf_counter()
                try:
                    response = client.request(method, path, json=body)
                except httpx.TimeoutException:  # counted at the timeout: waiting that long is the finding
                    kind.append(time.perf_counter() - started)
                    continue
                kind.append(time.perf_counter() - started)
                if response.status_code == 503:
                    unavailable.append(f"{method} {path}")
                    continue
                assert response.status_code == 200, response.text
            turn += 1
            time.sleep(0.05)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def scratch_server(name: str, database_url: str) -> tuple[Path, dict[str, str]]:
    """The data dir `bench/.data/<name>/` with no SQLite database left from a run before, and the server's settings:
    cheap password hashing, a fixed secret, `database_url` when given (else SQLite in that dir)."""
    data_dir = DEFAULT_DATA_DIR / name
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in data_dir.glob("pluralspace.db*"):
        stale.unlink()
    env = {"PLURALSPACE_SECRET_KEY": SECRET, "PLURALSPACE_ARGON2_TIME_COST": "1",
           "PLURALSPACE_ARGON2_MEMORY_KIB": "1024", "PLURALSPACE_ARGON2_PARALLELISM": "1"}
    if database_url:
        env["PLURALSPACE_DATABASE_URL"] = database_url
    return data_dir, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--fronts", type=int, default=300_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    args = parser.parse_args()
    data_dir, env = scratch_server("imports", args.database_url)
    source = data_dir / f"sp-{args.members}-{args.fronts}.json"
    if not source.exists():
        generate(source, args.members, args.fronts)
    print(f"file: {source.stat().st_size / 1e6:.1f} MB, {args.members:,} members, {args.fronts:,} front rows")
    with real_server(data_dir, free_port(), rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=600) as client:
            importer, neighbour = register(client, "importer"), register(client, "neighbour")
            baseline_rss = peak_rss_mib(server.pid)
            before: dict[str, list[float]] = {"read": [], "write": []}
            latencies: dict[str, list[float]] = {"read": [], "write": []}
            phase = [before]
            unavailable: list[str] = []
            stop = threading.Event()
            load = threading.Thread(target=neighbour_load, args=(server.url, neighbour, stop, phase, unavailable))
            load.start()
            time.sleep(args.baseline_seconds)  # the same requests without an import: what the machine gives now
            phase[0] = latencies
            started = time.monotonic()
            with open(source, "rb") as body:
                sent = client.post("/api/v1/systems/@me/imports", content=body,
                                   headers={"Authorization": f"Bearer {importer}",
                                            "Content-Type": "application/json"})
            uploaded = time.monotonic() - started
            job = sent.raise_for_status().json()["data"]
            while job["status"] not in ("succeeded", "failed"):
                time.sleep(0.25)
                job = client.get(f"/api/v1/systems/@me/imports/{job['id']}",
                                 headers={"Authorization": f"Bearer {importer}"}).json()["data"]
            elapsed = time.monotonic() - started
            stop.set()
            load.join()
            peak = peak_rss_mib(server.pid)
    print(json.dumps({
        "engine": "postgresql" if args.database_url else "sqlite", "status": job["status"],
        "counts": {k: v["created"] for k, v in job["counts"].items()}, "error": job["error"],
        "upload_seconds": round(uploaded, 2), "total_seconds": round(elapsed, 2),
        "server_peak_rss_mib": round(peak, 1), "server_rss_before_mib": round(baseline_rss, 1),
        "neighbour_503s": len(unavailable),
        **{f"neighbour_{kind}s": summary(times) for kind, times in latencies.items()},
        **{f"neighbour_{kind}s_without_import": summary(times) for kind, times in before.items()},
    }, indent=2))


def summary(latencies: list[float]) -> dict[str, float | int | None]:
    """Count, p50, p99 and max in milliseconds."""
    ordered = sorted(latencies)
    if not ordered:
        return {"requests": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return {"requests": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(p99 * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


if __name__ == "__main__":
    main()

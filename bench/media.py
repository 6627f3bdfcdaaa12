"""Avatars through the real server: what an upload (decode, re-encode, store) and a download of `/media/<key>`
cost, and the server's peak memory.

Each upload is a photo-like picture (noise, so neither PNG nor JPEG can shrink it much) of `--size` pixels square,
sent as PNG or JPEG in turn to a member's avatar; every stored picture is then fetched `--reads` times, by the owner
and by a viewer without a token (the member is public). The server's peak RSS is its VmHWM from /proc.

Run:  python -m bench.media [--uploads 40] [--size 1024] [--reads 5] [--database-url URL]
Without --database-url the database is SQLite in bench/.data/media/; pictures are files in that data dir.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time

import httpx
from PIL import Image

from .common import free_port, real_server
from .imports import PASSWORD, peak_rss_mib, scratch_server


def picture(size: int, fmt: str) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(out, fmt)
    return out.getvalue()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(values) * 1000, 1), "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=40)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--reads", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    data_dir, env = scratch_server("media", args.database_url)
    bodies = [(picture(args.size, fmt), f"image/{fmt.lower()}") for fmt in ("PNG", "JPEG")]
    uploads: list[float] = []
    reads: list[float] = []
    with real_server(data_dir, free_port(), rate_limit=False, extra_env=env) as server:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=120) as client:
            email = f"media-{time.time_ns()}@example.org"
            client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD}).raise_for_status()
            token = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}
                                ).raise_for_status().json()["data"]["access_token"]
            owner = {"Authorization": f"Bearer {token}"}
            keys = []
            baseline_rss = peak_rss_mib(server.pid)
            for number in range(args.uploads):
                member = client.post("/api/v1/systems/@me/members", headers=owner, json={
                    "name": f"Pictured {number}", "privacy": {"visibility": "public", "avatar": "public"}}
                ).raise_for_status().json()["data"]
                content, content_type = bodies[number % 2]
                started = time.perf_counter()
                shown = client.put(f"/api/v1/systems/@me/members/{member['id']}/avatar", content=content,
                                   headers={**owner, "Content-Type": content_type}).raise_for_status().json()
                uploads.append(time.perf_counter() - started)
                keys.append(shown["data"]["avatar_url"].rsplit("/", 1)[-1])
            for _ in range(args.reads):
                for key in keys:
                    for headers in (owner, {}):
                        started = time.perf_counter()
                        client.get(f"/media/{key}", headers=headers).raise_for_status()
                        reads.append(time.perf_counter() - started)
            peak = peak_rss_mib(server.pid)
    print(json.dumps({
        "engine": "postgresql" if args.database_url else "sqlite", "picture_pixels": f"{args.size}x{args.size}",
        "upload_bytes": {content_type: len(content) for content, content_type in bodies},
        "uploads": len(uploads), "upload": summary(uploads), "reads": len(reads), "read": summary(reads),
        "server_peak_rss_mib": round(peak, 1), "server_rss_before_mib": round(baseline_rss, 1),
    }, indent=2))


if __name__ == "__main__":
    main()

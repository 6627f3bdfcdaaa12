"""A low-overhead closed-loop HTTP/1.1 load driver: C concurrent clients, each with its own token and its own
keep-alive connection, each sending its next request as soon as the previous response is read.

Raw asyncio streams on uvloop with pre-built request bytes and a minimal response parser (status line,
Content-Length, body): about 30-40 us of driver CPU per request, so on a 2-core machine the driver takes a small
and equal share from every server it measures. Only loopback targets are accepted, and every run is bounded: by
--duration (plus --warmup) or by --requests per client, and always by --max-time.

Errors: any non-2xx status, a connection error or reset, a timeout (--timeout per request), an unparsable
response, and, on each client's first response, a body that is not the envelope of that client's own system
(`data.id` is the system id generate.py recorded for the token; `request_id` equals `meta.request_id` and the
`x-request-id` header).

    python bench/load.py --url http://127.0.0.1:8000 --clients 64 --duration 10 --warmup 2
    python bench/load.py --url http://127.0.0.1:8000 --clients 256 --requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_TOKENS, load_tokens

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class ResponseError(Exception):
    pass


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests in the window
    connect_latencies: list[float] = field(default_factory=list)  # requests that opened a connection first
    tcp_connect: list[float] = field(default_factory=list)  # open_connection alone
    errors: Counter = field(default_factory=Counter)
    window: float = 0.0
    sent: int = 0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ResponseError("bad status line")
    status = int(parts[1])
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    if b"content-length" in headers:
        body = await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(chunk[:-2])
        body = b"".join(chunks)
    else:
        raise ResponseError("no content-length")
    return status, headers, body


def check_body(headers: dict[bytes, bytes], body: bytes, expected_system: str | None) -> None:
    payload = json.loads(body)
    if isinstance(payload, list):
        return  # PluralKit's answers (/pk) are bare lists, without the envelope
    request_id = payload["request_id"]
    if payload["meta"]["request_id"] != request_id or headers.get(b"x-request-id", b"").decode() != request_id:
        raise ResponseError("request id mismatch")
    if expected_system is not None and payload["data"]["id"] != expected_system:
        raise ResponseError("wrong system")


async def client(host: str, port: int, raw_request: bytes, expected_system: str | None, result: Result,
                 start: asyncio.Event, times: dict, per_client: int | None, timeout: float) -> None:
    reader = writer = None
    checked = False
    done = 0
    await start.wait()
    while True:
        now = time.perf_counter()
        if now >= times["end"] or (per_client is not None and done >= per_client):
            break
        began = now
        connected = writer is None
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
                result.tcp_connect.append(time.perf_counter() - began)
            writer.write(raw_request)
            result.sent += 1
            status, headers, body = await asyncio.wait_for(read_response(reader), timeout)
            finished = time.perf_counter()
            done += 1
            if not 200 <= status < 300:  # counted in the warm-up too: an error is an error
                result.errors[f"http {status}"] += 1
                continue
            if not checked:
                check_body(headers, body, expected_system)
                checked = True
            if headers.get(b"connection", b"").lower() == b"close":
                writer.close()
                reader = writer = None
            if began >= times["measure_from"] and finished <= times["end"]:
                result.latencies.append(finished - began)
                if connected:
                    result.connect_latencies.append(finished - began)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ResponseError,
                ValueError, KeyError) as exc:
            done += 1
            result.errors[type(exc).__name__ + (f": {exc}" if isinstance(exc, ResponseError) else "")] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


async def run(url: str, tokens: list[dict], clients: int, duration: float | None, warmup: float,
              per_client: int | None, timeout: float, max_time: float, path: str) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load {host}: loopback only")
    if clients > len(tokens):
        raise SystemExit(f"{clients} clients but only {len(tokens)} tokens: run generate.py with more accounts")
    result = Result()
    start = asyncio.Event()
    times = {"measure_from": 0.0, "end": float("inf")}
    tasks = []
    for i in range(clients):
        # A path may name the client's own objects, e.g. /members/{member_id} (ids that bench/lists.py recorded).
        raw = (f"GET {path.format(**tokens[i])} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"Authorization: Bearer {tokens[i]['token']}\r\n"
               f"User-Agent: pluralspace-bench\r\n\r\n").encode()
        expected = tokens[i].get("system_id") if path.endswith("/@me") else None
        tasks.append(asyncio.create_task(client(host, port, raw, expected, result, start, times, per_client,
                                                timeout)))
    await asyncio.sleep(0)  # every client is waiting on the start line
    t0 = time.perf_counter()
    if duration is not None:
        times["measure_from"] = t0 + warmup
        times["end"] = t0 + warmup + duration
    else:
        times["measure_from"] = t0
        times["end"] = t0 + max_time
    start.set()
    await asyncio.wait(tasks, timeout=max_time + timeout + 5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    t1 = time.perf_counter()
    window = duration if duration is not None else (t1 - t0)
    latencies = sorted(result.latencies)
    errors = sum(result.errors.values())
    if per_client is not None:
        unfinished = clients * per_client - len(latencies) - errors
        if unfinished > 0:
            result.errors["not finished in max-time"] += unfinished
            errors += unfinished
    return {
        "url": url, "path": path, "clients": clients, "duration": duration, "warmup": warmup,
        "requests_per_client": per_client, "ok": len(latencies), "errors": errors, "sent": result.sent,
        "error_kinds": dict(result.errors), "seconds": round(window, 3),
        "rps": round(len(latencies) / window, 1) if window > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round((latencies[-1] if latencies else float("nan")) * 1000, 2),
        # Requests that had to open their connection first (the first of each client): TCP accept included.
        "connect_requests": len(result.connect_latencies),
        "connect_p50_ms": round(percentile(sorted(result.connect_latencies), 0.5) * 1000, 2),
        "connect_max_ms": round(max(result.connect_latencies, default=float("nan")) * 1000, 2),
        "tcp_connect_max_ms": round(max(result.tcp_connect, default=float("nan")) * 1000, 2),
    }


def summary_line(label: str, report: dict) -> str:
    return (f"{label:<22} c={report['clients']:<4} {report['rps']:>8.1f} req/s  p50 {report['p50_ms']:>7.2f} ms  "
            f"p95 {report['p95_ms']:>7.2f} ms  p99 {report['p99_ms']:>7.2f} ms  ok {report['ok']:>6}  "
            f"errors {report['errors']}{'  ' + json.dumps(report['error_kinds']) if report['errors'] else ''}")


def drive(url: str, tokens: list[dict], clients: int, *, duration: float | None = None, warmup: float = 0.0,
          requests: int | None = None, timeout: float = 30.0, max_time: float = 90.0,
          path: str = "/api/v1/systems/@me") -> dict:
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        runner = asyncio.run
    return runner(run(url, tokens, clients, duration, warmup, requests, timeout, max_time, path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="http://127.0.0.1:PORT (loopback only)")
    parser.add_argument("--tokens", type=Path, default=DEFAULT_TOKENS)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, help="seconds measured (after --warmup)")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--requests", type=int, help="requests per client (instead of --duration)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request")
    parser.add_argument("--max-time", type=float, default=90.0, help="hard bound on the whole run")
    parser.add_argument("--path", default="/api/v1/systems/@me")
    parser.add_argument("--label", default="load")
    parser.add_argument("--json", type=Path, help="write the report here too")
    args = parser.parse_args()
    if (args.duration is None) == (args.requests is None):
        parser.error("give exactly one of --duration or --requests")
    if args.duration is not None and args.duration + args.warmup > args.max_time:
        parser.error("--duration + --warmup exceeds --max-time")
    tokens = load_tokens(args.tokens)["clients"]
    report = drive(args.url, tokens, args.clients, duration=args.duration, warmup=args.warmup if args.duration else 0,
                   requests=args.requests, timeout=args.timeout, max_time=args.max_time, path=args.path)
    report["label"] = args.label
    print(summary_line(args.label, report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    sys.exit(1 if report["errors"] else 0)


if __name__ == "__main__":
    main()

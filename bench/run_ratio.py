"""The data-access comparison: the real app against plain sqlite3 and the naive async path, same read, same load.

Servers (each its own process, one uvicorn worker, 127.0.0.1, on the same bench database):

    real        `pluralspace serve`, PLURALSPACE_RATE_LIMIT_ENABLED=false (the baselines have no limiter either;
                see run_256.py for the default configuration)
    plain       bench/baseline_sqlite3.py, BENCH_BASELINE_MODE=direct (sqlite3 on the event loop)
    plain-tp    bench/baseline_sqlite3.py, BENCH_BASELINE_MODE=threadpool (sqlite3 on FastAPI's thread pool)
    naive       bench/naive_async.py (AsyncSession + aiosqlite, two ORM queries)
    real-rl     `pluralspace serve` with its default configuration (rate limiting on, in-memory budgets); only
                when asked for with --servers, for the limiter's cost

For each round, each concurrency, each server (order rotated every round): start, wait for /api/v1/health, load
GET /api/v1/systems/@me (or, with --reads, each list read of bench/lists.py in turn) with C clients (own token and
connection each) for --warmup + --duration seconds, stop. The table gives the median over rounds; ratios are
median real / median plain, per read. Results go to
bench/results/ratio-<time>.json, server logs to bench/results/*.log (scanned for tracebacks and
"database is locked").

    python bench/run_ratio.py --rounds 3 --concurrency 32 64
    python bench/run_ratio.py --data-dir bench/.data/lists --servers real,plain --reads all --concurrency 32
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    BENCH_DIR,
    DEFAULT_DATA_DIR,
    code_env,
    code_snapshot,
    exit_on_sigterm,
    free_port,
    load_tokens,
    real_server,
    uvicorn_server,
)
from lists import READS
from load import drive, summary_line
from machine import CpuMeter, describe, wait_quiet

SERVERS = ("real", "plain", "plain-tp", "naive", "real-rl")
ME_PATH = "/api/v1/systems/@me"
BAD_LOG_MARKERS = ("Traceback", "database is locked", "ERROR", "Exception")


def start(name: str, data_dir: Path, port: int, cpus: str | None, log_path: Path, env: dict[str, str],
          real_env: dict[str, str] | None = None):
    if name == "real":
        return real_server(data_dir, port, rate_limit=False, cpus=cpus, log_path=log_path,
                           extra_env={**env, **(real_env or {})})
    if name == "real-rl":
        return real_server(data_dir, port, rate_limit=True, cpus=cpus, log_path=log_path,
                           extra_env={**env, **(real_env or {})})
    if name == "plain":
        return uvicorn_server(name, "bench.baseline_sqlite3:create_app", data_dir, port, cpus=cpus,
                              log_path=log_path, extra_env={**env, "BENCH_BASELINE_MODE": "direct"})
    if name == "plain-tp":
        return uvicorn_server(name, "bench.baseline_sqlite3:create_app", data_dir, port, cpus=cpus,
                              log_path=log_path, extra_env={**env, "BENCH_BASELINE_MODE": "threadpool"})
    if name == "naive":
        return uvicorn_server(name, "bench.naive_async:create_app", data_dir, port, cpus=cpus, log_path=log_path,
                              extra_env=env)
    raise SystemExit(f"unknown server {name}")


def log_problems(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(errors="replace").splitlines()
            if any(marker in line for marker in BAD_LOG_MARKERS)][:5]


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--servers", default="real,plain,plain-tp,naive",
                        help=f"comma-separated, of {', '.join(SERVERS)}")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--pin", action="store_true",
                        help="pin each server to CPU 0 and this driver to CPU 1 (taskset / sched_setaffinity)")
    parser.add_argument("--max-foreign", type=float, default=0.15,
                        help="before each run wait until other processes use at most this many cores")
    parser.add_argument("--max-wait", type=float, default=120.0, help="longest wait for a quiet machine, s")
    parser.add_argument("--real-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the real servers (e.g. PLURALSPACE_DB_POOL_SIZE=4); repeatable")
    parser.add_argument("--code", default="HEAD",
                        help="git ref of the app code to run (exported to bench/.data), or `worktree`")
    parser.add_argument("--path", default=ME_PATH,
                        help="what every client GETs; the baselines serve only the default (e.g. "
                             "/api/v1/systems/<another system's id> prices a read that needs a unit of work)")
    parser.add_argument("--reads", help=f"comma-separated names of bench/lists.py READS, or all ({', '.join(READS)});"
                                         " plain serves them too (needs a data dir filled by bench/lists.py)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    baselines = {"plain", "plain-tp", "naive"} & set(args.servers.split(","))
    if args.path != ME_PATH and baselines:
        parser.error(f"{', '.join(sorted(baselines))} serve only {ME_PATH}")
    if args.reads:
        names = list(READS) if args.reads == "all" else args.reads.split(",")
        unknown = [name for name in names if name not in READS]
        if unknown or baselines - {"plain"}:
            parser.error(f"unknown reads {unknown}" if unknown else "only plain serves the list reads")
        targets = [(name, READS[name]) for name in names]
    else:
        targets = [("me", args.path)]
    exit_on_sigterm()
    code, src = code_snapshot(args.code)
    env = code_env(src)
    real_env = dict(item.split("=", 1) for item in args.real_env)
    print(f"app code: {code}" + (f"; real servers with {real_env}" if real_env else ""), flush=True)

    data_dir = args.data_dir.resolve()
    generated = load_tokens(data_dir / "tokens.json")
    tokens = generated["clients"]
    if generated.get("code") != code:
        print(f"warning: the data was generated by {generated.get('code')}; run generate.py --fresh --code "
              f"{args.code} if the schema differs", file=sys.stderr, flush=True)
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    results_dir = BENCH_DIR / "results"
    results_dir.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    server_cpus = None
    if args.pin:
        server_cpus = "0"
        os.sched_setaffinity(0, {1})

    runs: list[dict] = []
    problems: dict[str, list[str]] = {}
    for round_no in range(args.rounds):
        order = servers[round_no % len(servers):] + servers[:round_no % len(servers)]
        for clients in args.concurrency:
            for name in order:
                log_path = results_dir / f"{stamp}-{name}-c{clients}-r{round_no}.log"
                server = start(name, data_dir, free_port(), server_cpus, log_path, env, real_env)
                try:
                    server.wait_ready()
                    for read, path in targets:
                        quiet = wait_quiet(args.max_foreign, args.max_wait)
                        meter = CpuMeter(server.pid).start()
                        report = drive(server.url, tokens, clients, duration=args.duration, warmup=args.warmup,
                                       max_time=args.duration + args.warmup + 30, path=path)
                        report.update(meter.stop())
                        # Server CPU per request (warm-up included on both sides): robust to other load.
                        report["server_cpu_us_per_req"] = round(report["server_cpu_s"] / max(1, report["sent"]) * 1e6,
                                                                1)
                        report.update({"server": name, "read": read, "round": round_no,
                                       "foreign_before": round(quiet, 2)})
                        runs.append(report)
                        print(f"r{round_no} {read:<16} " + summary_line(name, report)
                              + f"  [cpu server {report['server_cpu']} ({report['server_cpu_us_per_req']:.0f} us/req)"
                                f" driver {report['driver_cpu']} other {report['foreign_cpu']}]", flush=True)
                finally:
                    server.stop()
                found = log_problems(log_path)
                if found:
                    problems[log_path.name] = found
                else:
                    log_path.unlink(missing_ok=True)

    table = []
    for (read, _), clients, name in itertools.product(targets, args.concurrency, servers):
        mine = [r for r in runs if r["server"] == name and r["clients"] == clients and r["read"] == read]
        table.append({"read": read, "server": name, "clients": clients, "rps": median([r["rps"] for r in mine]),
                      "rps_runs": [r["rps"] for r in mine],
                      "p50_ms": median([r["p50_ms"] for r in mine]), "p95_ms": median([r["p95_ms"] for r in mine]),
                      "p99_ms": median([r["p99_ms"] for r in mine]), "errors": sum(r["errors"] for r in mine),
                      "server_cpu": median([r["server_cpu"] for r in mine]),
                      "cpu_us_per_req": median([r["server_cpu_us_per_req"] for r in mine]),
                      "foreign_cpu_max": max(r["foreign_cpu"] for r in mine)})

    print("\n| read | server | clients | req/s (median) | req/s per round | p50 ms | p95 ms | p99 ms | errors"
          " | server CPU (cores) | server CPU us/req | other procs (cores, max) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in table:
        per_round = ', '.join(f'{x:.0f}' for x in row['rps_runs'])
        print(f"| {row['read']} | {row['server']} | {row['clients']} | {row['rps']:.0f} | {per_round}"
              f" | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | {row['errors']} | {row['server_cpu']}"
              f" | {row['cpu_us_per_req']:.0f} | {row['foreign_cpu_max']} |")
    ratios = []
    print()
    for (read, _), clients in itertools.product(targets, args.concurrency):
        mine = [row for row in table if row["clients"] == clients and row["read"] == read]
        by_name = {row["server"]: row["rps"] for row in mine}
        for base in ("plain", "plain-tp"):
            if base not in by_name:
                continue
            for name in servers:
                if name in (base, "plain", "plain-tp"):
                    continue
                # A server that finished nothing in the window (a slow read under load) has no req/s to compare.
                ratio = round(by_name[name] / by_name[base], 3) if by_name[base] else float("nan")
                cost = {row["server"]: row["cpu_us_per_req"] for row in mine}
                cpu_ratio = round(cost[base] / cost[name], 3)
                ratios.append({"read": read, "clients": clients, "server": name, "baseline": base, "ratio": ratio,
                               "cpu_cost_ratio": cpu_ratio})
                print(f"{read} c={clients}: {name} / {base} = {ratio:.3f} req/s"
                      f"  (CPU per request: {base} / {name} = {cpu_ratio:.3f})")
    if problems:
        print("\nserver log lines that look wrong:")
        for log_name, lines in problems.items():
            print(f"  {log_name}: {lines}")

    out = args.out or results_dir / f"ratio-{stamp}.json"
    out.write_text(json.dumps({"machine": describe(), "code": code, "real_env": real_env,
                                "args": {k: str(v) for k, v in vars(args).items()},
                               "runs": runs, "table": table, "ratios": ratios, "log_problems": problems},
                              indent=1))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()

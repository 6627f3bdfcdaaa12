"""Sample a bench server under load with py-spy and summarise where its time goes.

Needs py-spy (`pip install py-spy`; sampling another process needs root or ptrace permission). Starts the server
(same options as run_ratio.py), drives --clients for --seconds, records with `py-spy record --gil` (only the thread
holding the GIL, i.e. Python work; waiting is not counted) and writes bench/results/profile-<server>.raw
(collapsed stacks, for flamegraph.pl or speedscope) plus a summary: the share of samples under chosen frames.

    python bench/profile_server.py --server real --clients 32 --seconds 8

Since the token look-up runs on the event loop and GET /systems/@me needs no unit of work of its own, this
request runs entirely on the loop thread, so --gil sees all of it. Requests that do run a unit of work on a worker
thread are under-reported by --gil (the worker's time is partly spent waiting for the GIL); use CPU accounting
(run_ratio.py us/req, micro.py) to say how much they cost.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_DIR, DEFAULT_DATA_DIR, code_env, code_snapshot, exit_on_sigterm, free_port, load_tokens
from load import drive, summary_line
from run_ratio import start

# Each GIL-holding sample goes to the first of these found walking its stack from the innermost frame outwards
# (substrings of py-spy's "function (file:line)"), so the shares add up to 100 %.
CATEGORIES = [
    ("data access: a unit of work on a worker thread (SQLAlchemy Session/ORM/Core, BEGIN/COMMIT, pool)",
     ("work (pluralspace/kit/db.py",)),
    ("thread hand-off on the event loop (executor submit, future callbacks)",
     ("concurrent/futures/", "asyncio/futures.py", "run_in_executor", "_run_sqlite (pluralspace/kit/db.py")),
    ("pydantic (response model, envelope)", ("pydantic/", "serialize_response (fastapi/")),
    ("auth dependency outside the database (token checks, scopes)", ("pluralspace/auth/",)),
    ("EdgeMiddleware itself (request id, meter)", ("EdgeMiddleware",)),
    ("FastAPI/Starlette routing, dependency solving, middleware stack", ("fastapi/", "starlette/")),
    ("uvicorn HTTP protocol (parse, send, transport)", ("uvicorn/",)),
    ("asyncio event loop / uvloop", ("asyncio/", "uvloop")),
]


def summarise(raw: Path) -> list[tuple[str, float]]:
    total = 0
    shares: collections.Counter = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        label = "other"
        for frame in reversed(stack.split(";")):
            found = next((name for name, needles in CATEGORIES if any(x in frame for x in needles)), None)
            if found:
                label = found
                break
        shares[label] += n
    return [(label, 100.0 * shares[label] / total if total else 0.0)
            for label in [name for name, _ in CATEGORIES] + ["other"]] + [("samples", total)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="real", help="real, plain, plain-tp, naive, real-rl")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--code", default="HEAD")
    args = parser.parse_args()
    exit_on_sigterm()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    code, src = code_snapshot(args.code)
    data_dir = args.data_dir.resolve()
    tokens = load_tokens(data_dir / "tokens.json")["clients"]
    results = BENCH_DIR / "results"
    results.mkdir(exist_ok=True)
    raw = results / f"profile-{args.server}.raw"
    server = start(args.server, data_dir, free_port(), None, results / f"profile-{args.server}.log", code_env(src))
    try:
        server.wait_ready()
        report: dict = {}
        load = threading.Thread(target=lambda: report.update(
            drive(server.url, tokens, args.clients, duration=args.seconds + 2, warmup=1,
                  max_time=args.seconds + 40)))
        load.start()
        subprocess.run([py_spy, "record", "-p", str(server.pid), "-d", str(int(args.seconds)), "-r", str(args.rate),
                        "--gil", "-f", "raw", "-o", str(raw)], check=True, capture_output=True)
        load.join()
    finally:
        server.stop()
    print(f"app code: {code}")
    print(summary_line(args.server, report))
    print(f"py-spy --gil: share of samples of {args.server}, innermost category wins; stacks in {raw}:")
    for label, share in summarise(raw):
        print(f"  {label:<98} {share:6.1f}{'' if label == 'samples' else ' %'}")


if __name__ == "__main__":
    main()

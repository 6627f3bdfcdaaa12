#!/usr/bin/env bash
# Everything in docs/BENCHMARKS.md, in order. PYTHON defaults to `python` (the interpreter the project is
# installed in, e.g. PYTHON=.venv/bin/python). The app code measured is the committed HEAD (see --code).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"

# 1. Data: 256 accounts/systems, one system:read PAT each (45 s on an idle machine: argon2 on every
#    registration and login). Redone when HEAD is not the code that generated it.
"$PY" bench/generate.py --accounts 256 --fresh

# 2. The project rule: 256 token clients x 50 requests on the default configuration, no errors (3 server starts).
"$PY" bench/run_256.py --clients 256 --requests 50 --rounds 3

# 3. real vs plain sqlite3 vs naive async: 3 rounds x 2 concurrencies x 4 servers x 12 s (5-8 min).
"$PY" bench/run_ratio.py --rounds 3 --concurrency 32 64 --duration 10 --warmup 2 --max-wait 30

# 4. Where the time goes: pieces timed in process, then the limiter's cost over HTTP.
"$PY" bench/micro.py --n 2000
"$PY" bench/run_ratio.py --servers real,real-rl,plain-tp --rounds 2 --concurrency 32 64 \
    --duration 10 --warmup 2 --max-wait 30

"""/metrics with several worker processes: every worker's requests are counted, whichever worker answers."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import httpx

from ..helpers import wait_until_serving

VERSION_COUNT = re.compile(
    r'^pluralspace_http_requests_total\{method="GET",route="/api/v1/version",status="200"\} (\S+)$', re.M)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_metrics_add_up_every_worker(server, own_database, tmp_path):
    port = _free_port()
    env = {**os.environ, "PLURALSPACE_DATABASE_URL": own_database,
           "PLURALSPACE_DATA_DIR": str(tmp_path / "data"), "PLURALSPACE_SECRET_KEY": server.settings.secret_key,
           "PLURALSPACE_METRICS_ENABLED": "true", "PLURALSPACE_RATE_LIMIT_ENABLED": "false",
           "PLURALSPACE_LOG_LEVEL": "warning"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = os.path.join(os.path.dirname(sys.executable), "pluralspace")  # the console script beside python
    process = subprocess.Popen([command, "serve", "--port", str(port), "--workers", "2"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base)
        for _ in range(30):  # a new connection each time, so both workers take some
            assert httpx.get(base + "/api/v1/version", timeout=10).status_code == 200
        for _ in range(6):
            counted = VERSION_COUNT.search(httpx.get(base + "/metrics", timeout=10).text)
            assert counted is not None and float(counted.group(1)) == 30
    finally:
        process.terminate()
        process.wait(timeout=30)

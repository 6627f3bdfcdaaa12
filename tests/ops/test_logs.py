"""The server's log: a timestamp and a level on every line, the request id inside a request, JSON lines on demand,
and a dependency outage told once rather than once per request."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys

import httpx
import pytest

from pluralspace.kit.context import request_id_var
from pluralspace.kit.logs import RequestIdFilter, logging_config

from ..helpers import wait_until_serving

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+ \[(\S+)\] ")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_and_log(server, tmp_path, log_format: str, requests: int) -> list[str]:
    """Serves with Redis away (nothing listens on port 1), sends `requests` requests, and returns stderr's lines."""
    port = _free_port()
    env = {**os.environ, "PLURALSPACE_DATABASE_URL": server.settings.resolved_database_url,
           "PLURALSPACE_DATA_DIR": str(tmp_path / "data"), "PLURALSPACE_SECRET_KEY": server.settings.secret_key,
           "PLURALSPACE_REDIS_URL": "redis://127.0.0.1:1/0", "PLURALSPACE_LOG_FORMAT": log_format,
           "PLURALSPACE_LOG_LEVEL": "info"}
    command = os.path.join(os.path.dirname(sys.executable), "pluralspace")
    process = subprocess.Popen([command, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base)
        for number in range(requests):
            response = httpx.get(base + "/api/v1/systems/abcdef", headers={"X-Request-ID": f"logs-{number}"})
            assert response.status_code == 404  # Redis away: the request is counted in-process and served
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # logging is the same on either engine
def test_json_lines_have_time_level_and_request_id_and_an_outage_is_told_once(server, tmp_path):
    lines = serve_and_log(server, tmp_path, "json", requests=20)
    records = [json.loads(line) for line in lines]
    assert all(re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z$", record["time"]) and record["level"] for record in records)
    outage = [record for record in records if record["message"].startswith("redis unavailable")]
    assert len(outage) == 1, lines  # not one per request
    assert outage[0]["request_id"] == "logs-0" and outage[0]["level"] == "WARNING"
    assert not any("Traceback" in line for line in lines), lines


def test_text_lines_have_time_level_and_request_id():
    config = logging_config("info", "text")
    formatter = config["formatters"]["line"]["()"](config["formatters"]["line"]["fmt"])
    record = logging.LogRecord("pluralspace.test", logging.WARNING, __file__, 1, "database unavailable: %s",
                               ("refused",), None)
    token = request_id_var.set("req_abc")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = formatter.format(record)
    assert TEXT_LINE.match(line) and line.endswith("[req_abc] database unavailable: refused"), line
    with pytest.raises(ValueError):
        logging_config("info", "xml")

"""Sending import files to a test server and waiting for their jobs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..helpers import Api, data

FIXTURES = Path(__file__).parent / "fixtures"
IMPORTS = "/api/v1/systems/@me/imports"
FINISHED = ("succeeded", "failed")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def body_of(source: Any) -> bytes:
    return source if isinstance(source, bytes) else json.dumps(source, ensure_ascii=False).encode()


def send(api: Api, token: str, source: Any, *, content_type: str = "application/json", **params: Any):
    query = {key: str(value).lower() if isinstance(value, bool) else value for key, value in params.items()}
    return api.post(IMPORTS, token, content=body_of(source), params=query, headers={"Content-Type": content_type})


def wait(api: Api, token: str, job_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = data(api.get(f"{IMPORTS}/{job_id}", token))
        if job["status"] in FINISHED:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def run_import(api: Api, token: str, source: Any, **params: Any) -> dict:
    job = data(send(api, token, source, **params), 202)
    assert job["status"] in ("queued", "running", *FINISHED)
    return wait(api, token, job["id"])


def imported(api: Api, token: str, source: Any, **params: Any) -> dict:
    """A job that must succeed."""
    job = run_import(api, token, source, **params)
    assert job["status"] == "succeeded", job
    return job


def everything(api: Api, token: str, path: str, **params: Any) -> list[dict]:
    items, cursor = [], None
    while True:
        query = {"limit": 200, **params, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, token, params=query)
        assert response.status_code == 200, response.text
        items += response.json()["data"]
        cursor = response.json()["pagination"]["cursor"]
        if cursor is None:
            return items


def created(job: dict, kind: str) -> int:
    return job["counts"].get(kind, {}).get("created", 0)


def warned(job: dict, code: str) -> int:
    return sum(w["count"] for w in job["warnings"] if w["code"] == code)

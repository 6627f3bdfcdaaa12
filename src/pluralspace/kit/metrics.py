"""Prometheus metrics: request counts and latencies by route template (never by raw path, which holds ids).

With several worker processes (`pluralspace serve --workers N`), each process counts into files in
PROMETHEUS_MULTIPROC_DIR (set by `serve` before the workers start) and /metrics adds up every worker's, whichever
worker answers; one process counts in memory.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from starlette.types import Scope

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("pluralspace_http_requests_total", "HTTP requests served.", ["method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("pluralspace_http_request_duration_seconds", "Time to serve HTTP requests.",
                    ["method", "route"], registry=REGISTRY,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def observe(scope: Scope, status: int, seconds: float) -> None:
    route = route_template(scope)
    REQUESTS.labels(scope["method"], route, str(status)).inc()
    LATENCY.labels(scope["method"], route).observe(seconds)


MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def render() -> bytes:
    if not os.environ.get(MULTIPROCESS_DIR_ENV):
        return generate_latest(REGISTRY)
    every_worker = CollectorRegistry()
    multiprocess.MultiProcessCollector(every_worker)
    return generate_latest(every_worker)

"""Prometheus metrics: request counts and latencies by route template (never by raw path, which holds ids).

With several worker processes (`pluralspace serve --workers N`), each process counts into files in
PROMETHEUS_MULTIPROC_DIR (set by `serve` before the workers start) and /metrics adds up every worker's, whichever
worker answers; one process counts in memory.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from starlette.types import Scope

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("pluralspace_http_requests_total", "HTTP requests served.", ["method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("pluralspace_http_request_duration_seconds", "Time to serve HTTP requests.",
                    ["method", "route"], registry=REGISTRY,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

# Dependencies (database, storage, redis): kit/outage.py keeps them. With several workers, "up" is the lowest of the
# live workers' values: any worker seeing an outage shows it.
DEPENDENCY_UP = Gauge("pluralspace_dependency_up", "1 while a dependency answers, 0 during an outage.",
                      ["dependency"], registry=REGISTRY, multiprocess_mode="livemin")
DEPENDENCY_FAILURES = Counter("pluralspace_dependency_failures_total",
                              "Calls that failed because a dependency was away.", ["dependency"], registry=REGISTRY)


def dependency_up(dependency: str, up: bool) -> None:
    DEPENDENCY_UP.labels(dependency).set(1 if up else 0)


def dependency_failed(dependency: str) -> None:
    DEPENDENCY_FAILURES.labels(dependency).inc()


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
    multiprocess.MultiProcessCollector(every_worker)  # type: ignore[no-untyped-call]  # untyped in prometheus_client
    return generate_latest(every_worker)

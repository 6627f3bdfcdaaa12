"""Prometheus metrics: request counts and latencies by route template (never by raw path, which holds ids)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
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


def render() -> bytes:
    return generate_latest(REGISTRY)

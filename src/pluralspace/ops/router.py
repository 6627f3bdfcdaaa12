"""Operations: liveness, readiness, version, metrics. Public, no token (metrics: its own token when set, else the
admin token). Health, ready and version also answer at /api/v1/system/* and /system/* (docs/API.md §8's aliases)."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from .. import API_VERSION, __version__
from ..admin.guard import verify_admin_token
from ..kit import metrics
from ..kit.envelope import Envelope, ok
from ..kit.errors import FeatureDisabled, Unauthenticated
from ..kit.openapi import errors
from ..state import app_state

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Version(BaseModel):
    version: str
    api_version: str
    compat: list[str]


@router.get("/api/v1/health", response_model=Envelope[Health],
            summary="The process is up")
async def health() -> Envelope[Any]:
    return ok(Health(status="ok"))


@router.get("/api/v1/ready", response_model=Envelope[Health], responses=errors(503),
            summary="The database answers and can store data (503 otherwise, within 2 s)")
async def ready(request: Request) -> Envelope[Any]:
    problem = await app_state(request).database.readiness()
    if problem is not None:
        raise problem
    return ok(Health(status="ready"))


@router.get("/api/v1/version", response_model=Envelope[Version],
            summary="Server and API versions")
async def version() -> Envelope[Any]:
    return ok(Version(version=__version__, api_version=API_VERSION, compat=["pk/v1", "pk/v2"]))


ALIAS_PREFIXES = ("/api/v1/system", "/system")
for _prefix in ALIAS_PREFIXES:
    for _endpoint in (health, ready, version):
        router.add_api_route(f"{_prefix}/{_endpoint.__name__}", _endpoint, methods=["GET"], include_in_schema=False,
                             name=f"{_endpoint.__name__}_at{_prefix.replace('/', '_')}")


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    settings = app_state(request).settings
    if not settings.metrics_enabled:
        raise FeatureDisabled("Metrics are off (PLURALSPACE_METRICS_ENABLED).")
    if settings.metrics_token:
        offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(offered.encode(), settings.metrics_token.encode()):
            raise Unauthenticated("Metrics need PLURALSPACE_METRICS_TOKEN as a Bearer token.")
    elif settings.admin_token:
        await verify_admin_token(request)
    return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

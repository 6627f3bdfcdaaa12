"""Rows of the operational and documentation endpoints: public, no token."""

from __future__ import annotations

import httpx

from ..helpers import data
from .world import Call, Row, World, envelope_equals, simple


def html_page(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


def stylesheet(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


def openapi_document(world: World, call: Call, response: httpx.Response) -> None:
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.1")


def version_check(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    assert body["api_version"] == "v1" and body["compat"] == ["pk/v1", "pk/v2"]


OPS_ROWS = [
    # Operations and documentation: public, no token.
    Row("GET", "/api/v1/health", None, True, simple("GET", "/api/v1/health"), check=envelope_equals({"status": "ok"})),
    Row("GET", "/api/v1/ready", None, True, simple("GET", "/api/v1/ready"),
        check=envelope_equals({"status": "ready"})),
    Row("GET", "/api/v1/version", None, True, simple("GET", "/api/v1/version"), check=version_check),
    *[row for prefix in ("/api/v1/system", "/system") for row in (  # the aliases of docs/API.md §8
        Row("GET", f"{prefix}/health", None, True, simple("GET", f"{prefix}/health"),
            check=envelope_equals({"status": "ok"})),
        Row("GET", f"{prefix}/ready", None, True, simple("GET", f"{prefix}/ready"),
            check=envelope_equals({"status": "ready"})),
        Row("GET", f"{prefix}/version", None, True, simple("GET", f"{prefix}/version"), check=version_check))],
    Row("GET", "/api/v1/openapi.json", None, True, simple("GET", "/api/v1/openapi.json"), check=openapi_document),
    Row("GET", "/api/docs", None, True, simple("GET", "/api/docs"), check=html_page),
    Row("GET", "/api/docs/oauth2-redirect", None, True, simple("GET", "/api/docs/oauth2-redirect"), check=html_page),
    Row("GET", "/api/docs/assets/{name}", None, True, simple("GET", "/api/docs/assets/swagger-ui.css"),
        check=stylesheet),
]

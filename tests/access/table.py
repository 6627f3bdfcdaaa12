"""The table: every endpoint's row, in one list, and the routes deliberately left out of it (with why)."""

from __future__ import annotations

from pluralspace.admin.router import router as admin_router
from pluralspace.pk.v1 import router as pk_v1_router
from pluralspace.pk.v2 import router as pk_v2_router

from ..helpers import served_routes
from ..web.page_routes import PAGE_ROUTES  # the system's pages: one list, checked by tests/web/test_page_access.py
from .rows_account import ACCOUNT_APP_ROWS, ACCOUNT_ROWS
from .rows_events import EVENT_ROWS
from .rows_media import MEDIA_ROWS
from .rows_ops import OPS_ROWS
from .rows_resources import RESOURCE_ROWS
from .rows_systems import SYSTEM_ROWS
from .world import Row

ROWS: list[Row] = [*OPS_ROWS, *ACCOUNT_ROWS, *SYSTEM_ROWS, *RESOURCE_ROWS, *MEDIA_ROWS, *ACCOUNT_APP_ROWS, *EVENT_ROWS]

# Routes of the app that are deliberately not rows, and why. Anything else without a row fails the coverage test.
NOT_IN_MATRIX = {
    ("GET", "/metrics"): "its own PLURALSPACE_METRICS_TOKEN, not a scope: tests/ops/test_ops.py",
    **{route: "OAuth2 protocol: client authentication and the browser session, not bearer scopes: tests/oauth/"
       for route in [("POST", "/oauth/token"), ("POST", "/oauth/revoke"), ("POST", "/oauth/introspect"),
                     ("GET", "/oauth/authorize"), ("POST", "/oauth/authorize")]},
    **{route: "an HTML page with a cookie session, not the bearer API: tests/oauth/, tests/web/"
       for route in [("GET", "/login"), ("POST", "/login"), ("GET", "/register"), ("POST", "/register"),
                     ("POST", "/logout"), ("GET", "/settings"), ("POST", "/settings/tokens"),
                     ("POST", "/settings/tokens/{token_id}/revoke"), ("POST", "/settings/apps/{client_id}/revoke"),
                     ("POST", "/settings/password"), ("GET", "/reset-password/{token}"),
                     ("POST", "/reset-password/{token}")]},
    **{row.route: "a page of the signed-in system (a cookie session): tests/web/test_page_access.py"
       for row in PAGE_ROUTES},
    **{(method, route.path): "the admin token, not a scope (not system data): tests/admin/test_routes.py asks every "
                             "admin route for no token, a session, a PAT, wrong tokens and the right one"
       for route in admin_router.routes for method in route.methods},
    **{(method, route.path): "PluralKit's surface (its error format, raw tokens, unknown tokens read as the public): "
                             "tests/pk/test_access.py asks these questions of every /pk route"
       for router in (pk_v1_router, pk_v2_router) for route in router.routes for method in route.methods
       if method != "HEAD"},
}

TOKEN_ROWS = [row for row in ROWS if row.scope is not None]


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers flattened (HEAD follows GET)."""
    found: set[tuple[str, str]] = set()
    for route in served_routes(app):
        methods = getattr(route, "methods", None)
        if methods is None:  # a mount or a websocket: a row must name it with method "*"
            found.add(("*", route.path))
            continue
        found |= {(method, route.path) for method in methods if method != "HEAD"}
    return found

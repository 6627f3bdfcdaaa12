"""The API docs UI at /api/docs, served with its own copy of Swagger UI.

FastAPI's default page loads Swagger UI's script and styles from a public CDN, which tells a third party whenever
someone opens this server's docs, and fails where that CDN is not reachable. The files come from the
`fastapi-swagger` distribution (MIT, a current Swagger UI build) and are served from here.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Path
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

from ..kit.errors import NotFound

router = APIRouter(include_in_schema=False)

DOCS_PATH = "/api/docs"
OAUTH2_REDIRECT_PATH = f"{DOCS_PATH}/oauth2-redirect"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
_ASSET_DIR = files("fastapi_swagger") / "resources"


@router.get(DOCS_PATH)
async def docs_page() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/api/v1/openapi.json", title="pluralspace API",
        swagger_js_url=f"{DOCS_PATH}/assets/swagger-ui-bundle.js", swagger_css_url=f"{DOCS_PATH}/assets/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_PATH}/assets/favicon-32x32.png", oauth2_redirect_url=OAUTH2_REDIRECT_PATH,
        init_oauth={"usePkceWithAuthorizationCodeGrant": True},
    )


@router.get(OAUTH2_REDIRECT_PATH)
async def docs_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(f"{DOCS_PATH}/assets/{{name}}")
async def docs_asset(name: str = Path(max_length=64)) -> FileResponse:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound("No such file.")
    return FileResponse(str(_ASSET_DIR / name), media_type=media_type,
                        headers={"Cache-Control": "public, max-age=86400"})

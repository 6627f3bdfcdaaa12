"""The ASGI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.routing import APIRoute

from . import __version__, audit
from .accounts.auth_router import router as auth_router
from .accounts.reset_page import router as reset_page_router
from .accounts.router import router as account_router
from .accounts.settings_page import router as settings_page_router
from .accounts.sign_in_pages import router as sign_in_pages_router
from .admin.router import router as admin_router
from .config import Settings, ensure_data_dir, settings_from_env
from .events.fanout import Hub
from .exports.router import router as exports_router
from .fields.router import router as fields_router
from .fronts.router import router as fronts_router
from .groups.router import router as groups_router
from .identity.usage import UsageRecorder
from .imports import service as imports_service
from .imports.router import PATH as IMPORTS_PATH
from .imports.router import router as imports_router
from .jobs.worker import Worker
from .journal.router import router as journal_router
from .kit import handlers
from .kit.crypto import Passwords
from .kit.db import Database, database_for
from .kit.middleware import EdgeMiddleware
from .kit.ratelimit import create_limiter
from .kit.storage import storage_for
from .media import router as media_routes
from .media import service as media_service
from .media.service import ImageTarget, Sweeper
from .members.router import router as members_router
from .oauth.apps_router import apps_router, authorizations_router
from .oauth.router import router as oauth_router
from .ops.docs import router as docs_router
from .ops.router import router as ops_router
from .pk.errors import SURFACE as PLURALKIT_SURFACE
from .pk.errors import install_pluralkit_errors
from .pk.v1 import router as pk_v1_router
from .pk.v2 import router as pk_v2_router
from .polls.router import router as polls_router
from .relationships.router import router as relationships_router
from .relationships.router import types_router as relationship_types_router
from .state import AppState
from .subscriptions import delivery
from .subscriptions import webhooks as webhooks_service
from .subscriptions.router import hooks as webhooks_router
from .subscriptions.router import router as events_router
from .systems.router import router as systems_router
from .thoughts.router import router as thoughts_router
from .tokens.router import router as tokens_router
from .web.routes import ROUTERS as PAGE_ROUTERS
from .web.session import install as install_pages
from .wrapped.router import router as wrapped_router

ROUTERS = (
    ops_router, docs_router, auth_router, account_router, tokens_router, apps_router, authorizations_router,
    systems_router, members_router, fields_router, groups_router, relationship_types_router, relationships_router,
    fronts_router, journal_router, polls_router, thoughts_router, wrapped_router, exports_router, imports_router,
    media_routes.router, oauth_router, pk_v2_router, pk_v1_router, sign_in_pages_router, settings_page_router,
    admin_router, reset_page_router, events_router, webhooks_router, *PAGE_ROUTERS,
)

DESCRIPTION = """
The pluralspace API: members, fronts, journal, polls and more for plural systems.

Every response is an envelope: `{data, meta: {request_id}, request_id}`; lists add `pagination`
(`?limit=` 1..200, `?cursor=` from the previous page). Errors are `{error: {code, message, details, request_id}}`.
Authenticate with `Authorization: Bearer <token>`: a personal access token, an OAuth access token, or a session
token from `/api/v1/auth/login`. Each operation lists the scope it needs.
"""


def operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or settings_from_env()
    ensure_data_dir(settings.data_dir)
    settings = settings.with_secret()
    database = database_for(settings)
    limiter = create_limiter(settings.redis_url, settings.redis_timeout, settings.redis_retry_seconds)
    usage = UsageRecorder(database, settings.usage_flush_seconds)
    passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
    media = storage_for(settings)
    importer = imports_service.Importer(database, settings.max_import_bytes, media, ImageTarget.of(settings, media))
    # The queue's own connection: its polling never takes a request's pooled connection (nor shows in their counts).
    sender = delivery.Sender(settings.webhook_allow_private, settings.webhook_timeout)
    retries = delivery.RetryPolicy(settings.webhook_retry_seconds, settings.webhook_retry_window)
    jobs = Worker(Database(settings.resolved_database_url, pool_size=1, bounds=database.bounds,
                           sqlite_synchronous=settings.sqlite_synchronous),
                  {imports_service.KIND: imports_service.import_handler(settings.data_dir, importer),
                   webhooks_service.KIND: delivery.delivery_handler(database, sender, retries)},
                  on_abandoned=imports_service.recovery(settings.data_dir, importer),
                  stale_after=timedelta(seconds=settings.job_stale_seconds))
    events = Hub(database, settings.events_poll_seconds, settings.redis_url)
    dispatcher = delivery.Dispatcher(database, jobs, settings.events_poll_seconds, settings.events_retention_days)
    events.also_poke(dispatcher.poke)
    state = AppState(settings=settings, database=database, limiter=limiter, usage=usage, passwords=passwords,
                     jobs=jobs, media=media, member_pictures=media_service.member_keys, events=events)
    media_sweep = Sweeper(database, media)

    audit_retention = audit.Retention(database, settings.audit_retention_days)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.usage.start()
        audit_retention.start()
        await state.jobs.start()
        media_sweep.start()
        await events.start()
        dispatcher.start()
        try:
            yield
        finally:
            await dispatcher.stop()
            await events.stop()
            await media_sweep.stop()
            await state.jobs.stop()
            await sender.close()
            await audit_retention.stop()
            await state.usage.stop()
            await limiter.close()
            await database.dispose()

    app = FastAPI(
        title="pluralspace", version=__version__, description=DESCRIPTION, lifespan=lifespan,
        openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.pluralspace = state
    handlers.install(app)
    install_pluralkit_errors(app)  # /pk/* answers in PluralKit's format, not the envelope
    install_pages(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(EdgeMiddleware, settings=settings, limiter=limiter, surfaces=(PLURALKIT_SURFACE,),
                       streamed=frozenset({IMPORTS_PATH}), body_limit_for=media_routes.body_limit(settings),
                       media_type_exempt=media_routes.is_upload_path)
    logging.getLogger("pluralspace").setLevel(settings.log_level.upper())
    return app

"""The "naive async path": GET /api/v1/systems/@me the way a typical FastAPI + SQLAlchemy tutorial writes it.

* `create_async_engine("sqlite+aiosqlite:///...")` with its defaults (pool_size 5 + overflow 10);
* a `get_session` dependency yielding an `AsyncSession` per request;
* a `current_credential` dependency: HMAC the bearer token, `await session.execute(select(Credential)...)` (ORM
  entity), check revoked/expired/scope in Python;
* the endpoint loads the system with a second ORM query and returns it through `response_model` (pydantic
  validation + serialization of the same Envelope[SystemOut] the real app uses).

Every `await` on aiosqlite is a hop to aiosqlite's own thread and back (a future per statement, plus the
connection checkout, BEGIN-less execute, fetch, and rollback/close on return to the pool).

The models are the app's own (pluralspace.identity.credential.Credential, pluralspace.identity.system.System), so the
rows, types and output are identical; nothing from pluralspace.kit.db's Database is used.

    BENCH_DATA_DIR=bench/.data python -m uvicorn bench.naive_async:create_app --factory \
        --host 127.0.0.1 --port 8002 --no-access-log
"""

# No `from __future__ import annotations`: FastAPI must see the closures' Annotated dependencies as objects.
import hashlib
import hmac
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from pluralspace.identity.credential import Credential
from pluralspace.identity.system import System
from pluralspace.kit.envelope import Envelope, Meta
from pluralspace.systems.schemas import SystemOut


def create_app() -> FastAPI:
    data_dir = Path(os.environ.get("BENCH_DATA_DIR", "bench/.data")).resolve()
    key = (data_dir / "secret_key").read_text().strip().encode()
    engine = create_async_engine(f"sqlite+aiosqlite:///{data_dir / 'pluralspace.db'}")
    session_factory = async_sessionmaker(engine, expire_on_commit=False)

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with session_factory() as session:
            yield session

    async def current_credential(request: Request,
                                 session: Annotated[AsyncSession, Depends(get_session)]) -> Credential:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "This needs a token.")
        access_hash = hmac.new(key, token.strip().encode(), hashlib.sha256).hexdigest()
        result = await session.execute(select(Credential).where(Credential.access_hash == access_hash))
        credential = result.scalar_one_or_none()
        if credential is None or credential.revoked_at is not None:
            raise HTTPException(401, "The token is expired, revoked or unknown.")
        if credential.expires_at is not None and credential.expires_at <= datetime.now(UTC):
            raise HTTPException(401, "The token is expired, revoked or unknown.")
        if "system:read" not in credential.scopes.split() and "system:write" not in credential.scopes.split():
            raise HTTPException(403, "The token lacks system:read.")
        return credential

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        await engine.dispose()

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)

    @app.get("/api/v1/health")
    async def health() -> dict:
        return {"data": {"status": "ok"}}

    @app.get("/api/v1/systems/@me", response_model=Envelope[SystemOut])
    async def get_my_system(request: Request, response: Response,
                            credential: Annotated[Credential, Depends(current_credential)],
                            session: Annotated[AsyncSession, Depends(get_session)]) -> Envelope:
        result = await session.execute(select(System).where(System.account_id == credential.account_id))
        system = result.scalar_one()
        request_id = request.headers.get("x-request-id") or "req_" + secrets.token_hex(12)
        response.headers["x-request-id"] = request_id
        out = SystemOut(
            id=system.hid, uuid=str(system.uuid), name=system.name, description=system.description,
            tag=system.tag, pronouns=system.pronouns, color=f"#{system.color}" if system.color else None,
            avatar_url=system.avatar_url, banner_url=system.banner_url, timezone=system.timezone,
            privacy=system.privacy, created_at=system.created_at, updated_at=system.updated_at,
        )
        return Envelope(data=out, meta=Meta(request_id=request_id), request_id=request_id)

    return app

"""A what-if, NOT the app: the real app with the two SQL look-ups of GET /systems/@me rewritten, nothing else.

Everything of the real app stays (EdgeMiddleware, FastAPI routing, the Security dependency, Database with its thread
pool, pooled connections, BEGIN/COMMIT, a Session per unit of work, two units of work per request, the response
model). Only the two service functions on the hot path are swapped, at start-up, for versions that execute
statements built ONCE at import through Core (`session.connection().execute(prebuilt, params)`):

* auth.principal.resolve_access_token: the same credential-join-system select, prebuilt, with a bind parameter,
  instead of `session.execute(select(...).join(...).where(...))` built on every call (statement construction +
  cache-key generation + the ORM execute path are most of its cost);
* systems.service.get_system for `@me`: a prebuilt Core select of the system row, mapped straight to SystemOut,
  instead of `session.get(System, ...)` (ORM identity load). Other `sid`s go to the original.

This prices recommendation 1 of docs/BENCHMARKS.md over HTTP. Run by run_ratio.py as server `proto`:

    python bench/run_ratio.py --servers real,proto,plain --rounds 3
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from pluralspace.auth import dependencies
from pluralspace.auth import principal as principal_module
from pluralspace.auth import scopes as scope_set
from pluralspace.kit.timeutil import utcnow
from pluralspace.kit.validators import color_out
from pluralspace.systems import service
from pluralspace.systems.models import System
from pluralspace.systems.schemas import SystemOut
from pluralspace.tokens.models import SESSION, Credential

RESOLVE = (
    select(Credential.id, Credential.kind, Credential.account_id, Credential.scopes, Credential.expires_at,
           Credential.revoked_at, Credential.family_id, Credential.client_id, Credential.last_used_at,
           System.uuid, System.hid)
    .join(System, System.account_id == Credential.account_id)
    .where(Credential.access_hash == bindparam("access_hash"))
)
SYSTEMS = System.__table__
SYSTEM_BY_UUID = select(SYSTEMS).where(SYSTEMS.c.uuid == bindparam("system_uuid"))
_original_get_system = service.get_system


def resolve_access_token(session: Session, access_hash: str):
    row = session.connection().execute(RESOLVE, {"access_hash": access_hash}).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    granted = scope_set.parse(row.scopes)
    effective = scope_set.SESSION_SCOPES if row.kind == SESSION else scope_set.expand(granted)
    return principal_module.Principal(
        credential_id=row.id, kind=row.kind, account_id=row.account_id, system_uuid=row.uuid,
        system_hid=row.hid, scopes=effective, granted=tuple(sorted(effective if row.kind == SESSION else granted)),
        family_id=row.family_id, client_id=row.client_id, last_used_at=row.last_used_at,
    )


def get_system(session: Session, sid: str, principal):
    if sid != service.ME or principal is None:
        return _original_get_system(session, sid, principal)
    row = session.connection().execute(SYSTEM_BY_UUID, {"system_uuid": principal.system_uuid}).one()
    return SystemOut(
        id=row.hid, uuid=str(row.uuid), name=row.name, description=row.description, tag=row.tag,
        pronouns=row.pronouns, color=color_out(row.color), avatar_url=row.avatar_url, banner_url=row.banner_url,
        timezone=row.timezone, privacy=row.privacy, created_at=row.created_at, updated_at=row.updated_at,
    )


def create_app():
    # dependencies.py imported resolve_access_token by name; the systems router looks up service.get_system.
    dependencies.resolve_access_token = resolve_access_token
    service.get_system = get_system
    from pluralspace.app import create_app as create_real_app

    return create_real_app()


class _AnswersFromMemory:
    """Wraps the app's Database: the two reads of GET /systems/@me are answered from a dict filled at start-up
    (every credential and its system, resolved once by the app's own functions); anything else goes through."""

    def __init__(self, database, principals: dict, systems: dict) -> None:
        self._database = database
        self._principals = principals
        self._systems = systems

    async def read(self, fn, *args):
        if fn is principal_module.resolve_access_token:
            return self._principals.get(args[0])
        if fn is _original_get_system and args[0] == service.ME and args[1] is not None:
            return self._systems[args[1].system_uuid]
        return await self._database.read(fn, *args)

    def __getattr__(self, name):
        return getattr(self._database, name)


def create_stub_app():
    """The real app with ZERO data-access cost on the hot path: the ceiling its framework layers allow."""
    from sqlalchemy.orm import Session as SyncSession

    from pluralspace.app import create_app as create_real_app

    app = create_real_app()
    state = app.state.pluralspace
    principals, systems = {}, {}
    with state.database._sync_engine.connect() as connection, SyncSession(bind=connection) as session:
        for (access_hash,) in connection.exec_driver_sql("SELECT access_hash FROM credentials"):
            principal = principal_module.resolve_access_token(session, access_hash)
            if principal is not None:
                principals[access_hash] = principal
                systems[principal.system_uuid] = _original_get_system(session, service.ME, principal)
    state.database = _AnswersFromMemory(state.database, principals, systems)
    return app

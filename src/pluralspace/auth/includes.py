"""`?include=`: optional expansions of a read, each behind its own area's read scope.

    include: Annotated[frozenset[str], Includes("members:read", {"fields": "fields:read", ...})]

The endpoint's own scope lets a token read the object; an expansion shows another area's data (a member's field
values, group ids, relationships; a front's member), so a token asking for it must hold that area's read scope too:
403 INSUFFICIENT_SCOPE naming the missing scopes otherwise. Viewers without a token need no scope; what they are
shown is still limited by the system's privacy settings, which the services apply to each expansion.
"""

# No `from __future__ import annotations`: FastAPI reads the dependency's annotations at runtime, and they use
# this call's arguments.
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Query

from ..kit.errors import ValidationFailed
from ..kit.validators import comma_list
from .dependencies import Viewer, check_scopes
from .principal import Principal

NO_INCLUDES: frozenset[str] = frozenset()


def expands(viewer: Principal | None, scope: str) -> bool:
    """Whether an answer that always carries another area's objects (a fronter's member, a message's member) fills
    them for this viewer: the public view needs no scope (the privacy settings limit what it shows), a token needs
    that area's read scope; otherwise they read null."""
    return viewer is None or viewer.holds(scope)


def held_includes(viewer: Principal | None, expansions: Mapping[str, str]) -> frozenset[str]:
    """Every expansion this viewer may have (`expands`), for reads that expand as far as they may without being
    asked (the export, /fronters)."""
    return frozenset(name for name, scope in expansions.items() if expands(viewer, scope))


def Includes(read_scope: str, expansions: Mapping[str, str]) -> Any:
    """The checked `?include=` of an endpoint whose viewer is `Viewer(read_scope)` (resolved once per request:
    FastAPI caches a dependency asked for twice with the same scopes). `async def` although it does no I/O: a plain
    `def` dependency would be run on the thread pool."""
    names = ", ".join(sorted(expansions))

    async def checked_include(viewer: Annotated[Principal | None, Viewer(read_scope)],
                        include: Annotated[str | None, Query(
                            max_length=100, description=f"Comma list of {names}; each needs its own area's read "
                            "scope.", json_schema_extra={"pattern": comma_list(expansions, skips_empty=True)})] = None,
                        ) -> frozenset[str]:
        wanted = frozenset(part.strip() for part in (include or "").split(",") if part.strip())
        unknown = wanted - expansions.keys()
        if unknown:
            raise ValidationFailed.field("include", f"unknown: {', '.join(sorted(unknown))}; use {names}")
        if viewer is not None:
            check_scopes(viewer, sorted({expansions[name] for name in wanted}))
        return wanted

    return Depends(checked_include)

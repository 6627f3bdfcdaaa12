"""Recording events in the transaction of the change, and reading them back for a subscriber.

Every write path of the domain services calls `record` once, with a function that renders the object for a given
`Access`: the very rendering (and visibility rule) its own read endpoint uses. The event keeps the owner's rendering
and the public one; a render that raises NotFound or Forbidden (the object or its area is hidden) leaves the public
rendering empty, and the event is then never shown to anyone but the owner.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from ..identity.access import Access
from ..identity.system import System
from ..kit.errors import Forbidden, NotFound, ValidationFailed
from ..kit.timeutil import format_timestamp, utcnow
from .models import Event

# Each event type and the read scope a token needs to receive it.
EVENT_SCOPES: dict[str, str] = {
    **{f"front.{what}": "fronts:read" for what in ("started", "ended", "updated", "deleted")},
    "fronters.changed": "fronts:read",
    **{f"{area}.{what}": f"{area}s:read" for area in ("member", "group", "field", "poll")
       for what in ("created", "updated", "deleted")},
    **{f"journal.{what}": "journal:read" for what in ("created", "updated", "deleted")},
    "poll.voted": "polls:read",
    "poll.vote_deleted": "polls:read",
    "thought.set": "thoughts:read",
    "thought.deleted": "thoughts:read",
    "system.updated": "system:read",
    "import.finished": "system:read",
}
EVENT_TYPES = tuple(EVENT_SCOPES)

RECORDED = "pluralspace_events_recorded"  # on a connection: its transaction recorded events
ONCE = "pluralspace_events_once"  # on a session: the events recorded with `once`

Rendered = BaseModel | Sequence[BaseModel] | dict[str, Any]
Render = Callable[[Access], Rendered]


def _plain(rendered: Rendered) -> Any:
    if isinstance(rendered, BaseModel):
        return rendered.model_dump(mode="json")
    if isinstance(rendered, Sequence):
        return [_plain(item) for item in rendered]
    return rendered


def record(session: Session, system: System, type_: str, render: Render, *, once: bool = False) -> None:
    """Stores one event about `system`, rendered for its owner and for everyone else (see the module docstring).
    It commits or rolls back with the change itself.

    `once`: a unit of work that records this type again (PluralKit's switch edits end and start several fronts)
    refreshes its first such event instead of adding another, so `fronters.changed` is announced once, with the
    final set."""
    owner_data = _plain(render(Access(system, owner=True)))
    try:
        public_data = _plain(render(Access(system, owner=False)))
    except (NotFound, Forbidden):
        public_data = None
    recorded: dict[tuple[uuid.UUID, str], Event] = session.info.setdefault(ONCE, {})
    earlier = recorded.get((system.uuid, type_)) if once else None
    if earlier is not None:
        earlier.owner_data, earlier.public_data, earlier.occurred_at = owner_data, public_data, utcnow()
        return
    event = Event(system_uuid=system.uuid, type=type_, occurred_at=utcnow(), owner_data=owner_data,
                  public_data=public_data, dispatched=False)
    session.add(event)
    if once:
        recorded[(system.uuid, type_)] = event
    # Read by the fan-out's commit listener: this transaction's commit has events to announce.
    session.connection().info[RECORDED] = True


# What `expand_types` takes: every type, and every area (`member.*`, the types up to a dot and a star).
TYPE_NAMES = sorted({*EVENT_TYPES, *(t[:i + 1] + "*" for t in EVENT_TYPES for i, c in enumerate(t) if c == ".")})


def expand_types(items: Iterable[str]) -> frozenset[str]:
    """Exact types (`member.updated`) or areas (`member.*`) as the exact types they name; ValueError for others."""
    wanted: set[str] = set()
    for item in items:
        matches = [t for t in EVENT_TYPES if t == item or (item.endswith(".*") and t.startswith(item[:-1]))]
        if not matches:
            raise ValueError(f"{item!r} is not an event type")
        wanted.update(matches)
    return frozenset(wanted)


def parse_types(raw: str | None) -> frozenset[str] | None:
    """`?types=member.updated,front.*`; None (every type) when absent."""
    if raw is None:
        return None
    try:
        return expand_types(part.strip() for part in raw.split(","))
    except ValueError as exc:
        raise ValidationFailed.field("types", str(exc)) from None


@dataclass(frozen=True)
class Audience:
    """Who an event is rendered for: the owner (with the types their credential may read) or anyone else."""

    owner: bool
    types: frozenset[str]

    def shown(self, event: Event, system_hid: str) -> dict[str, Any] | None:
        """The event as this audience receives it; None when it must not be sent at all."""
        if event.type not in self.types:
            return None
        data = event.owner_data if self.owner else event.public_data
        if data is None:
            return None
        return event_out(event, system_hid, data)


def readable_types(scopes: Iterable[str]) -> frozenset[str]:
    held = set(scopes)
    return frozenset(t for t, scope in EVENT_SCOPES.items() if scope in held)


def event_out(event: Event, system_hid: str, data: Any) -> dict[str, Any]:
    return {"id": str(event.id), "type": event.type, "occurred_at": format_timestamp(event.occurred_at),
            "system_id": system_hid, "data": data}


def events_after(session: Session, system_uuid: uuid.UUID, after: int, limit: int) -> list[Event]:
    """This system's stored events after `after`, oldest first (a resumed stream's catch-up)."""
    return list(session.execute(select(Event).where(Event.system_uuid == system_uuid, Event.id > after)
                                .order_by(Event.id).limit(limit)).scalars())


def newest_id(session: Session) -> int:
    return session.execute(select(Event.id).order_by(Event.id.desc()).limit(1)).scalar_one_or_none() or 0


def recent(session: Session, after: int, limit: int) -> list[Event]:
    """Every system's events after `after`, oldest first: what the fan-out hands to this process's streams."""
    return list(session.execute(select(Event).where(Event.id > after).order_by(Event.id).limit(limit)).scalars())


def prune(session: Session, retention_days: int, now: datetime | None = None) -> int:
    """Removes the events older than the retention (their webhook deliveries go with them)."""
    if retention_days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    removed: CursorResult[Any] = session.execute(delete(Event).where(Event.occurred_at < cutoff))  # type: ignore[assignment]
    return removed.rowcount or 0

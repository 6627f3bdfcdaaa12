"""What the running app holds: settings, the database, the rate limiter, the usage recorder, the job queue, the
media storage and the clock tokens expire by."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from .config import Settings
from .events.fanout import Hub
from .identity.usage import UsageRecorder
from .jobs.worker import Worker
from .kit.crypto import Passwords
from .kit.db import Database
from .kit.ratelimit import Limiter
from .kit.storage import MediaStorage
from .kit.timeutil import Clock


@dataclass
class AppState:
    settings: Settings
    database: Database
    limiter: Limiter
    usage: UsageRecorder
    passwords: Passwords
    jobs: Worker
    media: MediaStorage
    # The keys of a member's stored pictures, read before the member is deleted (media.service.member_keys).
    member_pictures: Callable[[Session, uuid.UUID], list[str]]
    events: Hub
    clock: Clock


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.pluralspace
    return state

"""What the running app holds: settings, the database, the rate limiter and the usage recorder."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from .config import Settings
from .identity.usage import UsageRecorder
from .jobs.worker import Worker
from .kit.crypto import Passwords
from .kit.db import Database
from .kit.ratelimit import Limiter


@dataclass
class AppState:
    settings: Settings
    database: Database
    limiter: Limiter
    usage: UsageRecorder
    passwords: Passwords
    jobs: Worker


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.pluralspace
    return state

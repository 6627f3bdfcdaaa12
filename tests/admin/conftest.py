from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from ..conftest import RunningServer, base_settings
from ..helpers import Api
from .common import ADMIN_TOKEN


@pytest.fixture(scope="module")
def admin_server(migrated) -> Iterator[RunningServer]:
    """A server with the admin token set; its admin budgets are out of reach here (the throttles have their own
    test)."""
    running = RunningServer(replace(base_settings(migrated), admin_token=ADMIN_TOKEN,
                                    admin_failures_per_ip=1_000_000, admin_rate_limit=1_000_000))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin_api(admin_server: RunningServer) -> Iterator[Api]:
    api = admin_server.api()
    yield api
    api.close()

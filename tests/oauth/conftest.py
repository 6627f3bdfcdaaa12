from __future__ import annotations

import pytest

from ..helpers import Account, Api
from .common import App, Browser, register_app


@pytest.fixture
def owner(api: Api) -> Account:
    return api.register()


@pytest.fixture
def browser(server, owner: Account):
    signed_in = Browser(server.url, owner)
    yield signed_in
    signed_in.close()


@pytest.fixture
def app(api: Api, owner: Account) -> App:
    return register_app(api, owner)

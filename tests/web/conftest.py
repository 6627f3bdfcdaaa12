"""One headless Chromium per test module and engine, driven by Playwright: Debian's /usr/bin/chromium, never a
downloaded browser. Without it (or the playwright package) browser tests are skipped, except in CI, where they
fail."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium(migrated) -> Iterator:
    """Started after the database is migrated and stopped when the module's tests are done: Playwright's sync API
    keeps an event loop running in this thread while the browser lives, and preparing PostgreSQL's test database
    (and other tests' helpers) must run one of their own."""
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()

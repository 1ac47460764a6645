"""Playwright in the system's Chromium against pytest-django's live server.

Skipped only when no `chromium` is on PATH (CI installs it with scripts/install-system-packages.sh).
"""

from __future__ import annotations

import os
import shutil

import pytest

# the sync Playwright API runs an event loop in this thread; the ORM calls of the test are still sync
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip(
            "no chromium on PATH: install it (scripts/install-system-packages.sh) to run browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser tests last: a transactional test empties the database when it ends, data
    migrations included (the network services), and other transactional tests expect that data."""
    browser = [item for item in items if item.nodeid.startswith("tests/browser/")]
    if browser:
        items[:] = [item for item in items if not item.nodeid.startswith("tests/browser/")] + browser

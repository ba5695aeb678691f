"""Playwright for Python driving Debian's chromium (never `playwright install`: it downloads a browser)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import _service_missing
from tests.members.ghost_exports.helpers import stripe_http  # noqa: F401

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _service_missing("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are synchronous on
    # purpose. Scoped to the browser's lifetime so it never leaks into the rest of the run.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            yield browser
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def world(settings, live_server):
    """The demo newsroom with a paying member, a donor with a monthly gift and a guest donor (tests/e2e/pages.py).

    Hero images go where `make run` keeps the demo's (MEDIA_ROOT, var/media by default): the live server serves
    them from there, and a second build reuses them instead of drawing them again."""
    from tests.e2e.pages import build_world

    settings.SITE_URL = live_server.url  # the provider's return addresses are built from it
    return build_world(live_server.url)

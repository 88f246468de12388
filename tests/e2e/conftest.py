"""Browser tests: Playwright drives Debian's chromium against a real gunicorn server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.processes import start_gunicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("LANET_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and browser tests are required")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def live_server(service_env, app, tmp_path_factory):
    """gunicorn serving the test database; tables are emptied by the `db` fixture per test."""
    log = tmp_path_factory.mktemp("logs") / "gunicorn.log"
    process, url = start_gunicorn(
        {**service_env, "LANET_DEV_PAGES": "1"}, log, workers=1, threads=4
    )
    yield url
    process.stop()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()

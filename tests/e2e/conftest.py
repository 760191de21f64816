"""Browser tests: the served app (real HTTP) driven by headless Chromium through Playwright.

Chromium is Debian's package (`/usr/bin/chromium`, installed by `make test`/`.ci/run`); Playwright
only drives it and never downloads a browser. Screenshots go to artifacts/screenshots/.
"""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from api import create_app
from sandbox.server import serve_in_thread

CHROMIUM = os.environ.get("HCCPAY_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("HCCPAY_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium is required for the browser tests and is missing at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package (make test does when it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def served(test_settings, db, tokens):
    """The app on a real port, its public URL pointing at itself."""
    port = _free_port()
    settings = test_settings.with_overrides(public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    server = serve_in_thread(app, port=port)
    yield server.url, settings
    server.stop()
    app.extensions["hccpay"].engine.dispose()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]

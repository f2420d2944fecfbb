"""Browser tests: the web app served by a real WSGI server in a thread, driven by Playwright in
Debian's Chromium (never Playwright's own browser download), with axe-core injected from npm.

Set ``APPORTION_SCREENSHOTS`` to a folder to keep a screenshot of every page checked."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from service import accounts
from service.app import create_app
from service.ledger import tokens as ledger_tokens

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery staple"
#: Ports tried for the server (this machine's share), then any free port.
PORTS = range(int(os.environ.get("APPORTION_BROWSER_PORT", "8130")),
              int(os.environ.get("APPORTION_BROWSER_PORT", "8130")) + 10)


@attrs.define
class Site:
    """The running app: its base URL and the app itself (for the database)."""

    url: str
    app: Flask

    def email(self, role: str) -> str:
        return f"{role}@example.org"


def _server(app: Flask) -> BaseWSGIServer:
    for port in [*PORTS, 0]:
        try:
            return make_server("127.0.0.1", port, app, threaded=True)
        except (OSError, SystemExit):
            continue
    raise RuntimeError("no free port")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser")
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'ledger.sqlite3'}",
                      "SECRET_KEY": "browser tests"})
    with app.extensions["apportion.db"].session() as session:
        for role in ledger_tokens.ROLES:
            accounts.create_user(session, f"{role}@example.org", f"Test {role.capitalize()}",
                                 role, "test", PASSWORD)
        session.commit()
    server = _server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    app.extensions["apportion.db"].dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    assert Path(CHROMIUM).exists(), "Chromium is installed by scripts/ensure-tools.sh"
    assert AXE.exists(), "axe-core is installed by scripts/ensure-frontend.sh (npm ci)"
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield launched
    launched.close()


@pytest.fixture()
def context(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    # bypass_csp only so the test can inject axe-core; the app's own pages need no exception
    made = browser.new_context(base_url=site.url, bypass_csp=True, accept_downloads=True)
    yield made
    made.close()


@pytest.fixture()
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, role: str, path: str = "/") -> None:
    """Sign in through the form (as a person would: typing, then pressing Enter)."""
    page.goto(path)
    if "/sign-in" not in page.url:
        return
    page.get_by_label("Email address").fill(f"{role}@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_load_state()
    assert "/sign-in" not in page.url, page.content()[:2000]


#: Every page checked with axe: title -> serious/critical violations (written at the end).
AXE_RESULTS: dict[str, dict[str, Any]] = {}


def check_page(page: Page, name: str) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0-2.2 A and AA rules) on the page; keep a screenshot if asked.
    Returns the serious and critical violations."""
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    AXE_RESULTS[name] = {"title": page.title(), "path": page.url.split("//", 1)[1]
                         .split("/", 1)[-1], "violations": violations, "serious": serious}
    folder = os.environ.get("APPORTION_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
    return serious


def pytest_sessionfinish(session: pytest.Session) -> None:
    folder = os.environ.get("APPORTION_SCREENSHOTS")
    if AXE_RESULTS and folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "axe.json").write_text(json.dumps(AXE_RESULTS, indent=1))


class Timer:
    """Wall-clock seconds of a journey (printed, never a pass mark)."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.start

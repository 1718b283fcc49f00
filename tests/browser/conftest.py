"""Browser tests: the real app served on a real port, driven by Python Playwright in Debian's
headless chromium. Every page visited is checked for console errors and with axe-core.

The app runs in a thread of the test process on its own SQLite file, with the server clock
fixed at NOW; the browser's clock is fixed to the same instant. Screenshots of each step go to
`build/screenshots/<viewport>/` (README: "Browser tests").
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from gongjian import create_app
from gongjian.extensions import db

from ..conftest import NOW

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("GONGJIAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("GONGJIAN_REQUIRE_BROWSER") == "1"
# As the workplace's probe starts it: no sandbox (root), no GPU, no calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
BLOCKING = {"serious", "critical"}

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2},
}


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extras install it
        pytest.fail("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return sync_playwright


class LiveServer:
    """The app on 127.0.0.1:<free port>, in a thread, until the session ends."""

    def __init__(self, app) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("browser") / "browser.db"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "SECRET_KEY": "browser-test-secret",
        "CLOCK": lambda: NOW,
    })
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def chromium():
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """One browser context (one person on one device) with its checks and screenshots."""

    page: object
    base_url: str
    shots: Path
    console_errors: list[str] = field(default_factory=list)
    step: int = 0

    def goto(self, path: str):
        return self.page.goto(self.base_url + path)

    def check(self, name: str) -> None:
        """The page as it stands: screenshot, no console error so far, axe finds nothing
        serious or critical, nothing scrolls sideways."""
        self.step += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.page.screenshot(path=str(self.shots / f"{self.step:02d}-{slug}.png"), full_page=True)
        assert self.console_errors == [], f"console errors on {name}: {self.console_errors}"
        violations = axe_violations(self.page)
        assert violations == [], f"axe on {name}:\n" + "\n".join(violations)
        width = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert width <= 0, f"{name} scrolls sideways by {width}px"


def axe_violations(page) -> list[str]:
    results = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))")
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
            for v in results if v["impact"] in BLOCKING]


@pytest.fixture
def visit_factory(chromium, live_server, request):
    """visit(viewport, person) → a fresh context (own cookies) with checks attached."""
    contexts = []

    def visit(viewport: str = "desktop", person: str = "resident",
              timezone_id: str = "Asia/Shanghai", locale: str = "zh-CN") -> Visit:
        context = chromium.new_context(locale=locale, timezone_id=timezone_id,
                                       **VIEWPORTS[viewport])
        contexts.append(context)
        # An init script is not subject to the page's Content-Security-Policy; a script tag is.
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.clock.set_fixed_time(NOW)
        shots = SCREENSHOTS / viewport / request.node.name / person
        shutil.rmtree(shots, ignore_errors=True)
        shots.mkdir(parents=True)
        result = Visit(page=page, base_url=live_server.url, shots=shots)
        page.on("console", lambda message: message.type == "error"
                and result.console_errors.append(f"{message.text} @ {message.location}"))
        page.on("pageerror", lambda error: result.console_errors.append(str(error)))
        return result

    yield visit
    for context in contexts:
        context.close()

"""Browser journeys: Playwright for Python drives Debian's chromium against pytest-django's live server.

Chromium is the `chromium` apt package at /usr/bin/chromium, never a Playwright browser download. On a machine
without it the journeys are not collected (`make test` says so); in CI a missing chromium fails the run instead.
"""

import io
import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 900}
# Addresses the accessibility check does not open again: the Django admin (not ours), sign-out, downloads, and
# links that act when opened (a satisfaction link records the rating).
AXE_SKIPPED = ("/admin/", "/accounts/logout", "csv", "/attachments/", "/satisfaction/", "/api/v1/", "/api/schema")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


if not chromium_available() and not _in_ci():
    # Skipping silently would look like a pass: these files are not collected at all, and `make test` prints why.
    collect_ignore_glob = ["test_*.py"]


_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, so a failed journey leaves screenshots of where it stopped."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def browser(monkeypatch):
    """Headless chromium for one journey, started after the test database is set up and stopped before its flush.

    Playwright's sync API runs an asyncio loop in the main thread for as long as it is started. Meanwhile Django
    (1) takes every ORM call of the test for a call from async code and raises SynchronousOnlyOperation, hence
    DJANGO_ALLOW_ASYNC_UNSAFE, the standard practice for pytest-django with Playwright: the tests are plain
    synchronous code and the live server answers from its own thread; and (2) keeps its connections in asgiref's
    Local, which inside a running loop hands out other connection objects than outside it. pytest-django's set-up,
    flush and serialized rollback use the connection made outside; so the browser lives only inside each test (a
    session-wide one lost the data migrations' rows once other tests had run first).
    """
    if not chromium_available():
        pytest.fail(f"{CHROMIUM} is missing: CI installs it with apt-get (see .ci/run); the journeys must run there.")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()  # the connections the test made while the loop ran


@pytest.fixture
def demo(settings):
    """The demo data of `manage.py seed_demo`, in the transactional test database the live server reads."""
    from django.core.management import call_command

    # Every journey signs in from 127.0.0.1; allauth's per-IP limits (kept in the shared cache, Redis in CI)
    # must not turn a fast run into "too many attempts".
    settings.ACCOUNT_RATE_LIMITS = False
    call_command("seed_demo", stdout=io.StringIO())


class Portal:
    """The live portal as a person meets it: one browser context (its own cookies) per person."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url.rstrip("/")
        self.pages = []

    def url(self, path: str) -> str:
        return self.base_url + path

    def new_page(self, viewport=None):
        context = self.browser.new_context(
            viewport=viewport or VIEWPORT, locale="en-US", timezone_id="America/Los_Angeles"
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        self.track(page)
        return page

    def menu(self, page):
        """The main navigation, opened first when it is folded behind the menu button (staff with many entries)."""
        toggle = page.get_by_role("button", name="Toggle navigation")
        if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        return page.get_by_role("navigation", name="Main navigation")

    def track(self, page) -> None:
        """Keeps the page for screenshots on failure, and every address it shows for the accessibility check."""
        self.pages.append(page)
        self.visited = getattr(self, "visited", [])

        def shown(frame, page=page):
            if frame == page.main_frame and frame.url.startswith(self.base_url):
                self.visited.append((page.context, frame.url))

        page.on("framenavigated", shown)

    def accessibility_problems(self) -> list[str]:
        """axe-core on every page the journey showed (each address once, with the cookies of the person who saw
        it): the serious and critical violations, as 'rule (impact) at path: what'."""
        from axe_playwright_python.sync_playwright import Axe

        axe, problems, seen = Axe(), [], set()
        for context, url in getattr(self, "visited", []):
            path = url[len(self.base_url) :]
            if (context, path) in seen or any(part in path for part in AXE_SKIPPED):
                continue
            seen.add((context, path))
            page = context.new_page()
            try:
                response = page.goto(url)
                if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                    continue
                for violation in axe.run(page).response.get("violations", []):
                    if violation.get("impact") in ("serious", "critical"):
                        targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
                        problems.append(f"{violation['id']} ({violation['impact']}) at {path}: {targets}")
            finally:
                page.close()
        return problems

    def sign_in(self, email: str, password: str | None = None, *, page=None):
        """Signs in through the sign-in page (demo password by default); returns the page, wherever it lands next."""
        from portal.demo import DEMO_PASSWORD

        password = password or DEMO_PASSWORD
        page = page or self.new_page()
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name=re.compile("sign in", re.I)).click()
        page.wait_for_url(lambda url: not url.endswith("/accounts/login/"))
        return page

    def screenshot(self, page, name: str, *, full_page: bool = True) -> Path:
        """Saves the whole page (or only what the window shows) to test-artifacts/<name>.png (ignored by git) for
        a person to look at."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self):
        for page in self.pages:
            page.context.close()


@pytest.fixture
def portal(request, live_server, demo, browser):
    portal = Portal(browser, live_server.url)
    yield portal
    call = request.node.stash.get(_REPORTS, {}).get("call")
    if call is not None and call.failed:
        for number, page in enumerate(portal.pages, start=1):
            if not page.is_closed():
                portal.screenshot(page, f"{request.node.name}-failed-{number}")
        portal.close()
        return
    problems = portal.accessibility_problems()
    portal.close()
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)

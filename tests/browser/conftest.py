"""Browser tests: Debian's Chromium, driven by Playwright's sync API, against pytest-django's live_server.

Never `playwright install`: the browser is /usr/bin/chromium (a Debian package). Without it the
tests skip, except under CPP_REQUIRE_SERVICES=1 (CI), where they fail. Each test gets fresh
browser contexts (no cookies shared); screenshots of the major steps land in
test-artifacts/screenshots/ for CI to keep.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.test import Client

from tests.conftest import _missing, staff_roles_restore

# Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM calls
# from a thread with a running loop unless told it is safe (here it is: the loop only drives the browser).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
# No network here: without the background-networking flags Chromium's own calls home are refused
# by the dozen and slow everything down.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test, so fixtures can tell at teardown that it failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser():
    """Chromium, for one test module at a time.

    Not for the whole session: while Playwright's sync API runs, this thread has a running event
    loop (asyncio.run and async_to_sync fail in it) and Django's context-local `connections` hands
    out other connection objects, so it must not outlive the browser tests.
    """
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("needs Playwright for Python (pip install -e '.[dev]')")
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # The connections opened inside Playwright's context become unreachable once it stops:
            # close them now, or each keeps a PostgreSQL connection until garbage collection.
            connections.close_all()


@pytest.fixture
def live_site(live_server, settings):
    """The live server as the site: absolute links in emails lead to it, and emails stay in the outbox.

    The outbox-only backend is the portal's embedded default (the test settings use locmem); with
    it the staff outbox shows a sign-in email's body, as in a demo.
    """
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = settings.OUTBOX_ONLY_BACKEND
    cache.clear()  # rate limits live in the (database) cache, which no flush empties
    # Again here, though tests/conftest.py did it: while Playwright's sync API runs, Django's
    # context-local `connections` hands this thread another connection object.
    staff_roles_restore()
    return live_server


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


@pytest.fixture
def screenshot(request) -> Callable:
    """screenshot(page, step): the whole page, as test-artifacts/screenshots/<test name>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, step: str) -> Path:
        path = SCREENSHOTS / f"{_safe(request.node.name)}-{_safe(step)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def new_page(browser, live_site, screenshot, request) -> Iterator[Callable]:
    """new_page(): a page in a fresh browser context (its own cookies), closed after the test.

    Every static file a page asks for must load: a missing stylesheet fails the test. And nothing
    may be refused by the Content-Security-Policy: a script or style it blocks fails the test too.
    """
    contexts = []
    broken_static: list[str] = []
    refused_by_policy: list[str] = []

    def note_broken_static(response):
        if "/static/" in response.url and response.status >= 400:
            broken_static.append(f"{response.status} {response.url}")

    def note_refused_by_policy(message):
        # Chromium reports every CSP violation on the console ("Refused to execute inline script …").
        if "Content Security Policy" in message.text:
            refused_by_policy.append(f"{message.location.get('url', '')}: {message.text}")

    def make():
        context = browser.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.on("response", note_broken_static)
        context.on("console", note_refused_by_policy)
        contexts.append(context)
        return context.new_page()

    yield make

    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    for number, context in enumerate(contexts, start=1):
        if failed:
            for page in context.pages:
                screenshot(page, f"failed-context{number}")
        context.close()
    assert not broken_static, f"static files did not load: {broken_static}"
    assert not refused_by_policy, "refused by the Content-Security-Policy:\n" + "\n".join(refused_by_policy)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def signed_in_page(new_page, live_site) -> Callable:
    """signed_in_page(user): a page whose context carries a session for `user` (made by Django's test client)."""

    def make(user):
        client = Client()
        client.force_login(user)
        page = new_page()
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_site.url,
                }
            ]
        )
        return page

    return make


@pytest.fixture
def staff_signed_in_page(new_page, live_site) -> Callable:
    """staff_signed_in_page(user): a page where `user` signed in as staff do: password, then the code.

    The code is the one their authenticator app shows (the factories' secret); an Account Manager
    without a second factor is asked for none.
    """
    from playwright.sync_api import expect

    from tests.factories import totp_code

    def make(user, password: str = "correct horse battery staple"):  # noqa: S107 (StaffFactory's)
        page = new_page()
        page.goto("/admin/")
        expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        if user.authenticator_set.exists():
            expect(page.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
            page.locator('input[name="code"]').fill(totp_code())
            page.get_by_role("button", name="Sign In", exact=True).click()
        page.wait_for_url(re.compile(r"/admin/$|/am/"))
        return page

    return make

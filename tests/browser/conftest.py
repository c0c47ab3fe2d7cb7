"""Browser journeys in a real headless Chromium (Debian's package, driven by Playwright) against a live server.

Every request that leaves 127.0.0.1 is blocked and recorded; Content Security Policy violations and
JavaScript errors are recorded too, and any of them fails the test. Screenshots go to artifacts/screenshots/.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

CHROMIUM = os.getenv("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser():
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "Playwright for Python is not installed"
    if reason:
        message = f"BROWSER TESTS SKIPPED: {reason}"
        if os.getenv("REQUIRE_BROWSER") == "1":
            pytest.fail(message + " — required here (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop running in this thread while the browser is open; Django's
    # ORM calls here (tests, database flushes) are still synchronous. Only for this package's tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(browser, live_server, transactional_db, settings):
    """The live server with the plan and the demo data, as `make run` sets it up (DEBUG on, as there)."""
    settings.DEBUG = True
    call_command("load_plan", verbosity=0, stdout=open(os.devnull, "w"))
    call_command("load_demo", stdout=open(os.devnull, "w"))
    return live_server.url


class Recorder:
    def __init__(self):
        self.outside: list[str] = []
        self.csp: list[str] = []
        self.errors: list[str] = []

    def on_console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp.append(text)
        elif message.type == "error" and not text.startswith("Failed to load resource"):
            self.errors.append(text)

    def on_response(self, response):
        # A page the test expects to be refused (403) is fine; a missing script, style or image is not.
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {response.url}")


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def page(browser, site, recorder):
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 1366, "height": 900}, accept_downloads=True
    )

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in LOCAL_HOSTS:
            route.continue_()
        else:
            recorder.outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.on("console", recorder.on_console)
    tab.on("pageerror", lambda error: recorder.errors.append(str(error)))
    tab.on("response", recorder.on_response)
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
    assert not recorder.outside, f"requests left 127.0.0.1: {recorder.outside}"
    assert not recorder.csp, f"Content Security Policy violations: {recorder.csp}"
    assert not recorder.errors, f"JavaScript errors: {recorder.errors}"

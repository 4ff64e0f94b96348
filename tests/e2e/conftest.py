"""A real headless Chromium against the composed stack, and a screenshot of every step.

The browser is Debian's chromium (ops/test installs it); Playwright only drives it and never
downloads one of its own. Screenshots go to test-artifacts/e2e/<test>/<step>.png at the
repository root, with one more of every open page when a test fails.

Chromium aborts every request in flight with net::ERR_NETWORK_CHANGED when a network interface
of the host comes or goes, and Docker adds and removes one with every container it starts or
stops. A partner's browser never sees that; a test host running other stacks sees it often. It
hurts most when the analytics load: Streamlit's page fetches about a hundred script files at
once, and one lost file leaves an element broken for the session. So Playwright fetches those
files (the same bytes from the same nginx, with the same cookies) and hands them to the page;
everything else (pages, forms, the websocket) goes through Chromium's own network. A test that
fails after such an abort says so.
"""
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError, expect, sync_playwright

from support.stack import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    # Runs as root in CI, where Chromium's sandbox cannot start.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Nothing but the portal on the wire: no updates, no sync, no field trials.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Streamlit's content arrives over its websocket after the page has loaded, and the test machine
# may have two busy cores: every wait is on content, and generous.
TIMEOUT_MS = 60_000
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
STREAMLIT_FILES = re.compile(r"^https?://[^/]+/app/static/")

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: ops/test installs Debian's chromium", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_report = report
        aborted = getattr(item, "network_changes", [])
        if report.failed and aborted:
            report.sections.append((
                "browser",
                f"Chromium aborted {len(aborted)} request(s) with net::ERR_NETWORK_CHANGED (a network "
                "interface of this host came or went, e.g. Docker started or stopped a container), "
                "first: " + aborted[0],
            ))
    return report


class Shots:
    """Numbered screenshots of one test: 01-login.png, 02-home.png, ..."""

    def __init__(self, folder):
        self.folder = folder
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def __call__(self, page, step):
        self.count += 1
        page.screenshot(path=self.folder / f"{self.count:02d}-{step}.png", full_page=True)


@pytest.fixture
def shot(request):
    return Shots(ARTIFACTS / re.sub(r"[^\w.-]+", "-", request.node.name))


@pytest.fixture
def new_page(browser, shot, request):
    """new_page() opens a page in a browser context of its own: its own cookies, as a separate
    browser would have."""
    contexts = []
    request.node.network_changes = []

    def note_abort(failed):
        if failed.failure == "net::ERR_NETWORK_CHANGED":
            request.node.network_changes.append(f"{failed.method} {failed.url}")

    def open_page(locale="en-US"):
        """locale: the browser's language, which the portal and the analytics follow (the tests
        read English texts unless they are about Korean)."""
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(STREAMLIT_FILES, lambda route: route.fulfill(response=route.fetch()))
        context.on("requestfailed", note_abort)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = getattr(request.node, "call_report", None)
    for context in contexts:
        if report is not None and report.failed:
            for page in context.pages:
                try:
                    shot(page, "failed")
                except PlaywrightError:  # a crashed page has nothing left to show
                    pass
        # A script file still being fetched when the context closes would fail its fetch, and
        # Playwright raises that error into whatever call runs next: the next test's.
        context.unroute_all(behavior="ignoreErrors")
        context.close()

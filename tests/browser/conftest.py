"""The browser the end-to-end tests drive: the system's Chromium through Playwright's sync API, at
1440×900, against pytest-django's ``live_server``. Every page it opens reports its
Content-Security-Policy violations and script errors (tests assert there are none), and each step a
test names is kept as a screenshot in the session's artifacts folder (see ``artifacts.py``).
Without /usr/bin/chromium every browser test is skipped with a loud reason."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from .artifacts import browser_artifacts_folder

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1440, "height": 900}

REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
  console.warn("CSP-VIOLATION " + JSON.stringify({directive: event.violatedDirective, blocked: event.blockedURI, source: event.sourceFile}));
});"""


class Screenshots:
    """``page.step("scanned the bin")`` saves ``NN-scanned-the-bin.png`` in this test's folder."""

    def __init__(self, page, folder: Path):
        self.page, self.folder, self.taken = page, folder, 0

    def __call__(self, name: str) -> None:
        self.taken += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = str(self.folder / f"{self.taken:02d}-{slug}.png")
        try:
            self.page.screenshot(path=path, full_page=True)
        except PlaywrightError:
            # A very tall page (the API docs) can outlast a full-page capture on a busy machine:
            # keep what the viewport shows; a screenshot is evidence, never the test's verdict.
            self.page.screenshot(path=path, timeout=30_000)


@pytest.fixture
def browser_page(request):
    """A fresh Chromium page. ``page.violations`` and ``page.errors`` collect CSP violations and
    uncaught script errors; ``page.step(name)`` keeps a screenshot of the page as it is now."""
    if not CHROMIUM.exists():
        pytest.skip(f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls stay sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    folder = browser_artifacts_folder() / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
        page.set_default_timeout(15_000)
        page.violations, page.errors = [], []
        page.step = Screenshots(page, folder)
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", lambda message: message.text.startswith("CSP-VIOLATION") and page.violations.append(message.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        try:
            yield page
        finally:
            try:
                page.step("last page")
            except PlaywrightError as error:
                print(f"no screenshot of the last page: {error}")
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def sign_in(page, live_server, username: str) -> None:
    """Through the console's real sign-in form, as a person does (a user made by the ``staff``
    fixture of tests/frontdoor, which knows the password)."""
    from ..frontdoor.conftest import PASSWORD

    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def page_stayed_clean(page, expected_blocks: tuple[str, ...] = ()) -> bool:
    """True when no page raised a script error and no CSP violation happened (but the ones the
    caller expects, by blocked URL); the offenders are printed for the failing assertion."""
    violations = [text for text in page.violations if not any(url in text for url in expected_blocks)]
    if violations or page.errors:
        print("CSP violations:", violations, "page errors:", page.errors)
    return not violations and not page.errors

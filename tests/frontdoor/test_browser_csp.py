"""In a real browser (the system's Chromium, driven by Playwright): the operator signs in to the
console and opens the orders, and an integrator reads the API docs (Swagger UI and ReDoc); the
pages work and the browser reports no Content-Security-Policy violation."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "BROWSER TESTS SKIPPED: /usr/bin/chromium is missing (apt-get install -y chromium; .ci/run installs it)",
        allow_module_level=True,
    )

from playwright.sync_api import sync_playwright  # noqa: E402

from .conftest import PASSWORD  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

# ReDoc's footer shows Redocly's logo from their CDN; the policy blocks it (nothing loads from a
# CDN) and ReDoc hides the broken image. That block is the policy working, not a page breaking.
EXPECTED_BLOCKS = {"https://cdn.redoc.ly/redoc/logo-mini.svg"}

REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
  console.warn("CSP-VIOLATION " + JSON.stringify({directive: event.violatedDirective, blocked: event.blockedURI, source: event.sourceFile}));
});"""


@pytest.fixture
def browser_page(tmp_path):
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        page.violations, page.errors = [], []
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", lambda message: message.text.startswith("CSP-VIOLATION") and page.violations.append(message.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        yield page
        page.screenshot(path=str(tmp_path / "last-page.png"), full_page=True)
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def unexpected(page) -> list[str]:
    return [text for text in page.violations if not any(url in text for url in EXPECTED_BLOCKS)]


def test_the_operator_signs_in_and_opens_the_orders_without_a_policy_violation(live_server, browser_page, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Your work").wait_for()
    page.goto(f"{live_server.url}/admin/orders/order/")
    assert "Select order to view" in page.title()
    page.goto(f"{live_server.url}/admin/two-factor/setup/")
    page.get_by_role("img").first.wait_for()  # the QR code (inline SVG)

    assert page.errors == []
    assert unexpected(page) == []


def test_the_integrator_reads_the_api_docs_without_a_policy_violation(live_server, browser_page):
    page = browser_page

    page.goto(f"{live_server.url}/api/docs/")
    page.get_by_text("Available-to-promise of many SKUs").first.wait_for()
    page.goto(f"{live_server.url}/api/redoc/")
    page.get_by_role("heading", name="Available-to-promise of many SKUs").first.wait_for()
    page.wait_for_load_state("networkidle")

    assert page.errors == []
    assert unexpected(page) == []

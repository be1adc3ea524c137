"""In a real browser (the system's Chromium, driven by Playwright): the operator signs in to the
console and opens the orders, and an integrator reads the API docs (Swagger UI and ReDoc); the
pages work and the browser reports no Content-Security-Policy violation."""

import pytest

from ..browser.conftest import page_stayed_clean
from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# ReDoc's footer shows Redocly's logo from their CDN; the policy blocks it (nothing loads from a
# CDN) and ReDoc hides the broken image. That block is the policy working, not a page breaking.
EXPECTED_BLOCKS = ("https://cdn.redoc.ly/redoc/logo-mini.svg",)


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
    page.step("the orders")
    page.goto(f"{live_server.url}/admin/two-factor/setup/")
    page.get_by_role("img").first.wait_for()  # the QR code (inline SVG)
    page.step("two-factor set-up")

    assert page_stayed_clean(page, EXPECTED_BLOCKS)


def test_the_integrator_reads_the_api_docs_without_a_policy_violation(live_server, browser_page):
    page = browser_page

    page.goto(f"{live_server.url}/api/docs/")
    page.get_by_text("Available-to-promise of many SKUs").first.wait_for()
    page.step("Swagger UI")
    page.goto(f"{live_server.url}/api/redoc/")
    page.get_by_role("heading", name="Available-to-promise of many SKUs").first.wait_for()
    page.wait_for_load_state("networkidle")

    assert page_stayed_clean(page, EXPECTED_BLOCKS)

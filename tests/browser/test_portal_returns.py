"""The customer in a real browser: from a delivered order to a return request checked against the
policy, then (once customer service booked the label) the return label downloaded. At phone and
desktop width; axe-core finds no serious or critical violation on the portal's pages."""

from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings

from customers.models import Customer
from portal.auth import SESSION_KEY
from returns.models import ReturnRequest, ReturnStatus
from returns.services import return_label_issue

from ..returns.conftest import shipped_order  # noqa: F401
from ..shipping.test_shipments import carriers  # noqa: F401 (the demo carriers)
from .conftest import page_stayed_clean

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1440, "height": 900}


def portal_session(page, live_server, customer) -> None:
    """What the magic link leaves behind: a portal session of ``customer`` in the browser."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = customer.pk
    store.create()
    page.context.add_cookies([{"name": settings.OMS_PORTAL_SESSION_COOKIE_NAME, "value": store.session_key, "url": f"{live_server.url}/portal/"}])


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (rule: nodes)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"] if violation.get("impact") in ("serious", "critical")
    ]


def test_the_customer_starts_a_return_and_downloads_its_label(live_server, browser_page, shipped_order):  # noqa: F811
    # Given: Ada's order of two mugs and a cup, delivered; she is signed in to the portal.
    order = shipped_order([("MUG-RED", 2), ("CUP", 1)], email="ada@example.com")
    ada = Customer.objects.get(email="ada@example.com")
    page = browser_page
    portal_session(page, live_server, ada)

    # On her phone she opens the return form of the order, picks one mug, too small, and a refund.
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/portal/orders/{order.number}/return/")
    page.get_by_role("heading", name=f"Return items of order {order.number}").wait_for()
    page.step("the return form at phone width")
    assert serious_accessibility_violations(page) == []
    mug = page.get_by_role("group", name="(MUG-RED)")
    mug.get_by_label("How many to return (up to 2)").fill("1")
    mug.get_by_label("Reason").select_option(label="Too small")
    page.get_by_label("Refund to my original payment").check()

    # She checks it first: the policy's answer and the estimated refund, before anything is sent.
    page.get_by_role("button", name="Check my return").click()
    page.get_by_text("it will be approved at once").wait_for()
    page.get_by_text("Estimated refund: 20.00 USD").wait_for()
    page.step("the policy's answer at phone width")
    assert serious_accessibility_violations(page) == []
    assert not ReturnRequest.objects.filter(order=order).exists()

    # She sends it: the return is approved at once and its page says what to do next.
    page.get_by_role("button", name="Send my return request").click()
    rma = ReturnRequest.objects.get(order=order)
    page.get_by_role("heading", name=f"Return {rma.number}").wait_for()
    assert rma.status == ReturnStatus.APPROVED
    page.get_by_text("Your return label is being prepared.").wait_for()
    page.step("the return requested at phone width")
    assert serious_accessibility_violations(page) == []

    # Customer service books the label; on her computer she downloads it.
    return_label_issue(return_id=rma.pk, carrier_code="oms-post", service_code="ground", location="chicago", actor="cs")
    page.set_viewport_size(DESKTOP)
    page.reload()
    page.get_by_text("Label ready: print it and the return slip, then send the parcel").wait_for()
    page.step("the return with its label at desktop width")
    assert serious_accessibility_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the return label (PDF)").click()
    label = Path(download.value.path()).read_bytes()
    assert label.startswith(b"%PDF")
    assert download.value.suggested_filename == f"return-label-{rma.number}.pdf"

    # Her returns list shows it too.
    page.goto(f"{live_server.url}/portal/returns/")
    page.get_by_role("link", name=rma.number).wait_for()
    page.step("the returns list at desktop width")
    assert serious_accessibility_violations(page) == []
    assert page_stayed_clean(page)

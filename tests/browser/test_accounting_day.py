"""An accountant in a real browser: the home is a read-only summary of the work, and a fulfillment
order's page offers no step to take."""

import pytest

from fulfillment.models import FulfillmentOrder

from ..admin.floor_support import in_fulfillment, pending, receive, shelves  # noqa: F401
from ..frontdoor.conftest import staff  # noqa: F401
from .conftest import page_stayed_clean, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_accounting_sees_a_read_only_summary_and_no_action_on_a_fulfillment_order(live_server, browser_page, staff, pending):
    # Given: an order sent to the floor, its fulfillment order waiting to be picked.
    fulfillment_order = pending([("MUG", 2)])
    staff("Accounting", username="abel")
    page = browser_page

    # Abel signs in: the home says where the work stands, read-only.
    sign_in(page, live_server, "abel")
    page.get_by_role("heading", name="Where the work stands").wait_for()
    page.get_by_text("A read-only summary: you may look at these lists but not work them.").wait_for()
    page.step("read-only home")

    # He opens the fulfillment order from the list: no button to take a step.
    page.get_by_role("link", name="Fulfillment orders").first.click()
    page.get_by_role("link", name=fulfillment_order.number).click()
    page.get_by_text("Waiting to be picked by the warehouse.").wait_for()
    page.step("the fulfillment order, read-only")
    content = page.locator("#content-main")
    for action in ("Create pick list", "Ship: book the carrier and print the label", "Mark delivered", "Put on hold", "Release holds", "Move"):
        assert content.get_by_role("button", name=action).count() == 0
    assert content.get_by_role("button").count() == 0 and content.get_by_role("link", name="Pack", exact=True).count() == 0
    assert FulfillmentOrder.objects.get(pk=fulfillment_order.pk).status == fulfillment_order.status
    assert page_stayed_clean(page)

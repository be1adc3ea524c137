"""A warehouse operator's day in a real browser: from the home's queue, an allocated order goes to
the floor, is picked by scanning bin and item, packed by scan, shipped with its label in hand and
marked delivered; the order page then shows it delivered with its shipment and tracking number."""

import pytest

from fulfillment.models import FulfillmentOrder, FulfillmentStatus
from orders.models import Order, OrderStatus

from ..admin.floor_support import receive, shelves  # noqa: F401
from ..factories import place_order
from ..fulfillment.fulfillment_support import carriers  # noqa: F401
from ..inventory.invariants import stock_invariant_violations
from ..frontdoor.conftest import staff  # noqa: F401
from .conftest import page_stayed_clean, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_warehouse_takes_an_allocated_order_from_the_home_queue_to_delivered(live_server, browser_page, staff, carriers, shelves):
    # Given: mugs (GTIN 4006381333931, bin A-01-1-02) and cups (bin A-02-1-05) on the shelves of
    # Chicago, carriers for US parcels, and an order for 2 mugs and a cup that intake allocated.
    order = place_order([("MUG", 2), ("CUP", 1)])
    assert order.status == OrderStatus.ALLOCATED
    staff("Warehouse", username="wanda")
    page = browser_page

    # The operator signs in and takes the order from the queue of orders to send to the floor.
    sign_in(page, live_server, "wanda")
    page.get_by_role("heading", name="Your work").wait_for()
    page.step("home with the work queues")
    page.get_by_role("link", name="To send to the floor").click()
    page.step("orders to send to the floor")
    page.get_by_role("link", name=order.number).click()
    page.step("the allocated order")
    page.get_by_role("button", name="Start fulfillment").click()
    page.step("fulfillment started")

    # The order page now shows its fulfillment order and its next step, which leads to its page.
    fulfillment_order = FulfillmentOrder.objects.get(order=order)
    page.get_by_role("link", name="Create its pick list").click()
    page.get_by_text("Next: create its pick list and pick it.").wait_for()
    page.step("fulfillment order waiting to be picked")
    page.get_by_role("button", name="Create pick list").click()
    page.get_by_text(f"created for {fulfillment_order.number}: scan its tasks below").wait_for()

    # Picking by scan: for each task, the bin's code, then the item's barcode, Enter.
    for bin_code, barcode in (("A-01-1-02", "4006381333931"), ("A-02-1-05", "CUP")):
        page.get_by_text(bin_code, exact=True).wait_for()
        page.step(f"pick task at {bin_code}")
        page.get_by_label("1. Scan the bin").fill(bin_code)
        page.get_by_label("1. Scan the bin").press("Enter")
        page.step(f"bin {bin_code} scanned")
        page.get_by_label("2. Scan the item (GTIN or SKU)").fill(barcode)
        page.get_by_label("2. Scan the item (GTIN or SKU)").press("Enter")
        page.wait_for_load_state()
    page.get_by_role("heading", name="All tasks confirmed").wait_for()
    page.step("all picks confirmed")

    # Packing by scan, from the pick list, then the box closed with its weight.
    page.get_by_role("link", name=f"Pack {fulfillment_order.number}").click()
    page.step("packing station")
    for barcode in ("4006381333931", "4006381333931", "CUP"):
        page.get_by_label("Barcode").fill(barcode)
        page.get_by_label("Barcode").press("Enter")
        page.wait_for_load_state()
    page.step("everything scanned")
    page.get_by_label("Package type").select_option(label="box-s · Small box")
    page.get_by_label("Weight (g)").fill("1250")
    page.get_by_role("button", name="Close package").click()
    page.step("package closed")

    # Shipping books the carrier and shows the label on the next screen.
    page.get_by_role("link", name="ship it and print its label").click()
    page.get_by_role("button", name="Ship: book the carrier and print the label").click()
    page.get_by_role("link", name="Download label").wait_for()
    page.step("shipped with the label")
    shipped = FulfillmentOrder.objects.select_related("shipment").get(pk=fulfillment_order.pk)
    assert shipped.status == FulfillmentStatus.SHIPPED
    page.get_by_text(shipped.shipment.tracking_number).first.wait_for()
    # The label is on the page (headless Chromium has no PDF viewer to draw it) and downloads as a PDF.
    page.get_by_title(f"Shipping label of {fulfillment_order.number}").wait_for(state="attached")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download label").click()
    label = downloading.value
    label.save_as(page.step.folder / label.suggested_filename)
    assert label.suggested_filename.endswith(".pdf")
    assert (page.step.folder / label.suggested_filename).read_bytes().startswith(b"%PDF")

    # The customer has it: the operator marks it delivered.
    page.get_by_role("link", name=f"Back to {fulfillment_order.number}").click()
    page.get_by_role("button", name="Mark delivered").click()
    page.step("marked delivered")

    # Then the order page shows it delivered, with the shipment and its tracking number.
    page.get_by_role("link", name=order.number).first.click()
    page.step("the order delivered")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED
    fulfillment = page.locator("fieldset", has=page.get_by_role("heading", name="Fulfillment", exact=True))
    assert page.get_by_text("Delivered", exact=True).count() == 2  # the order's status and its fulfillment order's
    fulfillment.get_by_role("row", name=fulfillment_order.number).get_by_text("Delivered", exact=True).wait_for()
    fulfillment.get_by_role("link", name=shipped.shipment.tracking_number).wait_for()
    assert stock_invariant_violations() == []
    assert page_stayed_clean(page)

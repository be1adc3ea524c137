"""A customer-service agent's day in a real browser: held orders worked from the home's queue
(released or cancelled in bulk, each with the reason the order's timeline then shows), and a
phone order for a known customer that the form completes from what the system knows."""

from decimal import Decimal

import pytest

from customers.models import CustomerAddress
from orders.models import Order, OrderStatus

from ..admin.conftest import phone_channel  # noqa: F401
from ..factories import CustomerFactory, place_order
from ..frontdoor.conftest import staff  # noqa: F401
from .conftest import page_stayed_clean, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def work_the_hold_queue(page, action: str, order: Order, reason: str) -> None:
    """Tick the order in the hold queue, choose the bulk action, give the reason and confirm."""
    page.get_by_role("checkbox", name=order.number).check()
    page.get_by_role("combobox", name="Action").select_option(label=action)
    page.get_by_role("button", name="Go").click()
    page.get_by_role("link", name=order.number).wait_for()
    page.step(f"{action} asks for a reason")
    page.get_by_label("Reason").fill(reason)
    page.step(f"{action} with a reason")
    page.get_by_role("button", name=action.rstrip("…")).click()


def test_customer_service_releases_one_held_order_and_cancels_another_with_reasons(live_server, browser_page, staff, stocked):
    # Given: two orders on a payment hold (their payment was still pending at intake).
    stocked("SKU-A", 10)
    paid_later = place_order([("SKU-A", 1)], payment_status="pending", email="late.payer@example.com")
    changed_mind = place_order([("SKU-A", 2)], payment_status="pending", email="changed.mind@example.com")
    staff("Customer service", username="cora")
    page = browser_page

    # Cora opens her queue of orders to release from the home.
    sign_in(page, live_server, "cora")
    page.step("home with the work queues")
    page.get_by_role("link", name="To release").click()
    page.get_by_role("link", name=paid_later.number).wait_for()
    page.step("the hold queue")

    # She releases the first (the bank confirmed) and cancels the second (the customer called).
    work_the_hold_queue(page, "Release holds…", paid_later, "Bank confirmed the transfer by phone")
    page.get_by_text(f"Holds released for 1 order(s): {paid_later.number}.").wait_for()
    page.step("released")
    work_the_hold_queue(page, "Cancel orders…", changed_mind, "Customer called to cancel: ordered twice")
    page.get_by_text(f"Cancelled for 1 order(s): {changed_mind.number}.").wait_for()
    page.step("cancelled")

    # Then each order's timeline says what was done and why.
    assert Order.objects.get(pk=paid_later.pk).status == OrderStatus.ALLOCATED
    assert Order.objects.get(pk=changed_mind.pk).status == OrderStatus.CANCELLED
    page.goto(f"{live_server.url}/admin/orders/order/?q={paid_later.number}")
    page.get_by_role("link", name=paid_later.number).click()
    page.get_by_text("Bank confirmed the transfer by phone").first.wait_for()
    page.step("the released order's timeline")
    page.goto(f"{live_server.url}/admin/orders/order/?q={changed_mind.number}")
    page.get_by_role("link", name=changed_mind.number).click()
    page.get_by_text("Customer called to cancel: ordered twice").first.wait_for()
    page.step("the cancelled order's timeline")
    assert page_stayed_clean(page)


def test_customer_service_takes_a_phone_order_the_form_completes_and_it_is_not_held(live_server, browser_page, staff, stocked, phone_channel):
    # Given: a known customer with a default shipping address, and a mug in the catalogue at 18.50.
    stocked("MUG-BLUE", 10, name="Blue mug", price="18.50")
    grace = CustomerFactory(email="grace@example.com", first_name="Grace", last_name="Hopper", phone="+14155550123")
    CustomerAddress.objects.create(
        customer=grace, name="Grace Hopper", line1="1 Navy Way", city="Arlington", region="VA", postal_code="22202", country="US",
        is_default_shipping=True,
    )
    staff("Customer service", username="cora")
    page = browser_page

    # Cora takes the call: the new phone order, the customer's email, the SKU and the quantity.
    sign_in(page, live_server, "cora")
    page.get_by_role("link", name="Orders", exact=True).first.click()
    page.get_by_role("link", name="Add order").click()
    page.get_by_role("heading", name="Take a phone order").wait_for()
    page.step("an empty phone order")
    page.get_by_label("Payment status").select_option(label="Authorized")
    page.get_by_label("Customer email").fill("grace@example.com")
    page.get_by_label("SKU, line 1").fill("MUG-BLUE")
    page.get_by_label("Quantity, line 1").fill("2")
    page.get_by_role("button", name="Fill in from customer and catalogue").click()

    # The form fills the customer's name, the ship-to address and name, and the catalogue price.
    page.step("filled from customer and catalogue")
    assert page.get_by_label("Ship to name").input_value() == "Grace Hopper"
    assert page.get_by_label("City").input_value() == "Arlington"
    assert page.get_by_label("Unit price, line 1").input_value() == "18.50"
    page.get_by_role("button", name="Record order").click()

    # Then the order is recorded, allocated (not held) at the catalogue price.
    order = Order.objects.get(channel__code="phone")
    page.get_by_role("heading", name=order.number).wait_for()
    page.step("the phone order")
    assert order.status == OrderStatus.ALLOCATED and not order.holds.exists()
    assert order.shipping_address["name"] == "Grace Hopper" and order.customer_id == grace.pk
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [("MUG-BLUE", 2, Decimal("18.50"))]
    assert "Allocated" in page.locator("#content").inner_text()
    assert page_stayed_clean(page)

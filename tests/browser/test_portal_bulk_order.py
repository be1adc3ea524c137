"""The business buyer in a real browser on a phone (390 px): adds a ship-to address, pastes lines
from a spreadsheet, fixes the one the check refuses, places the order with a purchase-order
reference, and orders it again. axe-core finds no serious or critical violation on each page."""

from decimal import Decimal

import pytest

from customers.models import Customer, CustomerGroup, PriceList, PriceListItem
from orders.models import Order

from ..factories import CustomerFactory
from .conftest import page_stayed_clean
from .test_portal_returns import portal_session, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def test_the_buyer_orders_in_bulk_on_a_phone_and_orders_again(live_server, browser_page, stocked):
    # Given: Acme, a business whose account requires a purchase-order reference, with a price list.
    stocked("MUG-RED", 50, name="Red mug")
    stocked("CUP", 50, name="Cup")
    trade = CustomerGroup.objects.create(code="trade", name="Trade", payment_terms_days=30)
    prices = PriceList.objects.create(code="trade-usd", name="Trade USD", currency="USD", customer_group=trade)
    PriceListItem.objects.create(price_list=prices, sku="MUG-RED", price=Decimal("8.00"))
    PriceListItem.objects.create(price_list=prices, sku="CUP", price=Decimal("3.00"))
    acme = CustomerFactory(email="buyer@acme.example", kind=Customer.Kind.BUSINESS, company_name="Acme", group=trade, po_reference_required=True)
    page = browser_page
    page.set_viewport_size(PHONE)
    portal_session(page, live_server, acme)

    # She adds the store as a ship-to address.
    page.goto(f"{live_server.url}/portal/addresses/")
    page.get_by_role("link", name="Add an address").click()
    page.get_by_label("Your name for it (optional, e.g. Main warehouse)").fill("Store 12")
    page.get_by_label("Contact name").fill("Store manager")
    page.get_by_label("Street and number").fill("9 Elm Street")
    page.get_by_label("Postal code").fill("04101")
    page.get_by_label("City").fill("Portland")
    page.get_by_label("State or region").fill("ME")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Ship here unless I choose otherwise").check()
    page.step("the new ship-to address")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Save the address").click()
    page.get_by_role("heading", name="Store 12").wait_for()
    assert serious_accessibility_violations(page) == []

    # She pastes lines from her spreadsheet; one SKU is misspelt, and the check says so.
    page.get_by_role("link", name="Order in bulk").click()
    page.get_by_label("SKU and quantity, one line each").fill("MUG-RED\t12\nCUPP\t6")
    page.get_by_role("button", name="Check the lines").click()
    page.get_by_text("Unknown SKU: check its spelling against your catalogue.").wait_for()
    page.step("a line to fix")
    assert serious_accessibility_violations(page) == []
    assert page.get_by_role("button", name="Place the order").count() == 0

    # She fixes it and checks again: prices from her list, then the reference and the order.
    page.get_by_label("SKU and quantity, one line each").fill("MUG-RED\t12\nCUP\t6")
    page.get_by_role("button", name="Check the lines").click()
    page.get_by_text("All 2 lines can be ordered.").wait_for()
    page.get_by_text("Your price list Trade USD").first.wait_for()
    page.get_by_label("Ship to").select_option(label="Store 12 · Store manager · 9 Elm Street · 04101 Portland · US")
    page.step("the checked lines at phone width")
    assert serious_accessibility_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("Your purchase-order reference (required for your account)").fill("PO-4711")
    page.get_by_role("button", name="Place the order").click()

    order = Order.objects.get()
    page.get_by_role("heading", name=f"Order {order.number}").wait_for()
    page.get_by_text("PO-4711").wait_for()
    assert order.po_reference == "PO-4711" and order.shipping_address["city"] == "Portland"
    assert serious_accessibility_violations(page) == []

    # From the order's page she orders the same again: the lines are there, checked.
    page.get_by_role("link", name="Order again").click()
    page.get_by_text("All 2 lines can be ordered.").wait_for()
    assert page.get_by_label("SKU and quantity, one line each").input_value() == "MUG-RED, 12\nCUP, 6"
    page.step("order again")
    assert serious_accessibility_violations(page) == []
    assert page_stayed_clean(page)

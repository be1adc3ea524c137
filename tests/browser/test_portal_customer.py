"""A customer in the portal, in a real browser: signs in by the link e-mailed to them, opens an
order, follows its parcel on the tracking page, turns a message off; someone without an account
looks an order up and reads it in German. Every portal page passes axe-core (no serious or
critical violation, WCAG 2.1 A and AA rules) at phone and desktop width, and each is kept as a
screenshot at both widths."""

import pytest
from django.core import mail

from portal.models import Medium, NotificationKind
from portal.preferences import notification_preferences_of

from ..portal.conftest import _forget_rate_counts_and_links, carriers, ordered, shipped  # noqa: F401 (fixtures)
from ..portal.portal_client import LINK
from .conftest import VIEWPORT, page_stayed_clean

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 375, "height": 812}
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, "resultTypes": ["violations"]}


def accessible_at_both_widths(page, name: str) -> list[str]:
    """Run axe-core on the page at phone and desktop width (a screenshot of each); the serious or
    critical violations found, as "rule: where" lines."""
    from axe_playwright_python.sync_playwright import Axe

    problems = []
    for label, size in (("phone", PHONE), ("desktop", VIEWPORT)):
        page.set_viewport_size(size)
        page.step(f"{name} at {label} width")
        for violation in Axe().run(page, options=AXE_RULES).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                problems.append(f"{label} {violation['id']}: {[node['target'] for node in violation['nodes']]}")
    return problems


def test_a_customer_signs_in_by_the_e_mailed_link_follows_a_parcel_and_turns_a_message_off(live_server, browser_page, shipped):
    # Given: Ada's order has shipped in one parcel, scanned in transit at Boston.
    order, shipment = shipped("ada@example.com", (("SKU-A", 2), ("SKU-B", 1)))
    page = browser_page
    problems = []

    # She asks for a sign-in link with her e-mail address.
    page.goto(f"{live_server.url}/portal/sign-in/")
    problems += accessible_at_both_widths(page, "sign in")
    page.get_by_label("E-mail address").fill("ada@example.com")
    page.get_by_role("button", name="E-mail me a sign-in link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    problems += accessible_at_both_widths(page, "link sent")

    # She opens the link from the e-mail and continues.
    link = LINK.search(mail.outbox[-1].body).group(0).replace("http://localhost:8000", live_server.url)
    page.goto(link)
    problems += accessible_at_both_widths(page, "sign-in link")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Your orders").wait_for()
    problems += accessible_at_both_widths(page, "orders")

    # Her order: shipped, both items, the parcel with its carrier and tracking number.
    page.get_by_role("link", name=order.number).click()
    page.get_by_role("heading", name=f"Order {order.number}").wait_for()
    assert page.get_by_text("Product SKU-B").count() >= 1
    problems += accessible_at_both_widths(page, "order")

    # She follows the parcel: on its way, scanned at Boston, what is in it.
    page.get_by_role("link", name=f"Follow parcel {shipment.tracking_number}").click()
    page.get_by_role("heading", name=f"Parcel {shipment.tracking_number}").wait_for()
    assert page.get_by_text("Boston MA").count() == 1
    assert page.get_by_text("2 × Product SKU-A").count() == 1
    problems += accessible_at_both_widths(page, "tracking")

    # She stops the "delivered" e-mail; the refund notice cannot be turned off, and says why.
    page.goto(f"{live_server.url}/portal/my-preferences/")
    delivered = page.get_by_role("group", name="Delivered")
    delivered.get_by_label("E-mail").uncheck()
    assert page.get_by_role("group", name="Refund issued").get_by_label("E-mail").is_disabled()
    page.get_by_role("button", name="Save my choices").click()
    page.get_by_text("Your choices are saved.").wait_for()
    problems += accessible_at_both_widths(page, "preferences saved")

    # She signs out: the orders are behind the sign-in again.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()

    from customers.models import Customer

    choices = notification_preferences_of(Customer.objects.get(email="ada@example.com"))
    assert choices[(NotificationKind.DELIVERED, Medium.EMAIL)] is False
    assert choices[(NotificationKind.SHIPPED, Medium.EMAIL)] is True
    assert problems == []
    assert page_stayed_clean(page)


def test_someone_without_an_account_looks_an_order_up_and_reads_the_portal_in_german(live_server, browser_page, shipped):
    order, shipment = shipped("grace@example.com")
    page = browser_page
    problems = []

    page.goto(f"{live_server.url}/portal/lookup/")
    problems += accessible_at_both_widths(page, "lookup")
    page.get_by_label("Order number").fill(order.number)
    page.get_by_label("or postal code of the delivery address").fill("99999")
    page.get_by_role("button", name="Show my order").click()
    page.get_by_text("We found no order with that number").wait_for()
    problems += accessible_at_both_widths(page, "lookup refused")

    page.get_by_label("or postal code of the delivery address").fill("02108")
    page.get_by_role("button", name="Show my order").click()
    page.get_by_role("heading", name=f"Order {order.number}").wait_for()

    # The language switch at the foot of every page.
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Change language").click()
    page.get_by_role("heading", name=f"Bestellung {order.number}").wait_for()
    problems += accessible_at_both_widths(page, "order in german")

    page.goto(f"{live_server.url}/portal/track/forged:token/")
    page.get_by_role("heading", name="Nicht gefunden").wait_for()
    problems += accessible_at_both_widths(page, "forged link in german")

    assert problems == []
    assert page_stayed_clean(page)


def test_a_customer_follows_the_unsubscribe_link_of_an_e_mail_and_stops_that_kind_without_javascript(live_server, browser_page, shipped):
    from customers.models import Customer
    from portal.links import unsubscribe_token

    shipped("ada@example.com")
    customer = Customer.objects.get(email="ada@example.com")
    page = browser_page
    problems = []

    page.goto(f"{live_server.url}/portal/unsubscribe/{unsubscribe_token(customer.pk, NotificationKind.SHIPPED, Medium.EMAIL)}/")
    page.get_by_role("heading", name="Unsubscribe").wait_for()
    problems += accessible_at_both_widths(page, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("Done: we no longer send you").wait_for()
    problems += accessible_at_both_widths(page, "unsubscribed")

    page.goto(f"{live_server.url}/portal/unsubscribe/forged:token/")
    page.get_by_text("This unsubscribe link does not exist").wait_for()
    problems += accessible_at_both_widths(page, "forged unsubscribe link")

    choices = notification_preferences_of(customer)
    assert choices[(NotificationKind.SHIPPED, Medium.EMAIL)] is False
    assert choices[(NotificationKind.DELIVERED, Medium.EMAIL)] is True
    assert problems == []
    assert page_stayed_clean(page)

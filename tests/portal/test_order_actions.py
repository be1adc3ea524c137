"""A signed-in customer changes the shipping address of an order or cancels it in the portal,
through the services the API uses, only while the warehouse has not started on it."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from customers.models import Customer
from inventory.models import StockLevel
from orders.models import Order, OrderEvent, OrderStatus
from orders.services import order_start_fulfillment

from ..factories import place_order
from .returns_support import sign_in_as

pytestmark = pytest.mark.django_db
ADA = "ada@example.com"

NEW_ADDRESS = {"name": "Ada King", "line1": "7 Harbour Road", "line2": "", "city": "Portland", "region": "ME", "postal_code": "04101",
               "country": "US", "phone": ""}


@pytest.fixture
def ada_order(client, stocked):
    """An allocated order of Ada's (2 mugs reserved at the warehouse), Ada signed in."""
    stocked("MUG-RED", 5)
    order = place_order([("MUG-RED", 2)], email=ADA)
    sign_in_as(client, Customer.objects.get(email=ADA))
    return Order.objects.get(pk=order.pk)


def address_url(order) -> str:
    return reverse("portal:order-address", args=[order.number])


def cancel_url(order) -> str:
    return reverse("portal:order-cancel", args=[order.number])


def test_the_address_form_is_filled_with_the_current_address_and_saving_changes_it_through_the_orders_service(client, ada_order):
    customer = Customer.objects.get(email=ADA)
    assert ada_order.status == OrderStatus.ALLOCATED
    page = client.get(address_url(ada_order))
    assert page.context["form"].initial["line1"] == "12 Main Street"

    saved = client.post(address_url(ada_order), {**NEW_ADDRESS, "version": ada_order.version})

    assert saved.status_code == 302
    order = Order.objects.get(pk=ada_order.pk)
    assert order.shipping_address["line1"] == "7 Harbour Road" and order.shipping_address["city"] == "Portland"
    change = OrderEvent.objects.filter(order=order, message__startswith="Changed shipping address").get()
    assert change.actor_label == f"portal:{customer.pk}"


def test_an_address_the_service_refuses_comes_back_on_its_field(client, ada_order):
    refused = client.post(address_url(ada_order), {**NEW_ADDRESS, "phone": "call me", "version": ada_order.version})

    assert refused.status_code == 200
    assert refused.context["form"].errors["phone"] == ["Not a phone number; use E.164, e.g. +14155550123."]
    assert Order.objects.get(pk=ada_order.pk).shipping_address["line1"] == "12 Main Street"


def test_an_address_saved_from_a_stale_page_is_refused_with_what_to_do(client, ada_order):
    client.post(address_url(ada_order), {**NEW_ADDRESS, "version": ada_order.version})

    stale = client.post(address_url(ada_order), {**NEW_ADDRESS, "city": "Bangor", "version": ada_order.version})

    assert "The order changed while you were editing." in stale.content.decode()
    assert Order.objects.get(pk=ada_order.pk).shipping_address["city"] == "Portland"


def test_once_in_fulfillment_neither_the_address_nor_the_order_can_be_changed_and_the_page_says_why(client, ada_order):
    order_start_fulfillment(order_id=ada_order.pk, actor="warehouse")

    page = client.get(address_url(ada_order))
    address = client.post(address_url(ada_order), {**NEW_ADDRESS, "version": ada_order.version + 1})
    cancel = client.post(cancel_url(ada_order), {"reason": ""})

    assert "is already being prepared (in fulfillment)" in page.content.decode()
    assert address.status_code == 409 and cancel.status_code == 409
    order = Order.objects.get(pk=ada_order.pk)
    assert order.status == OrderStatus.IN_FULFILLMENT and order.shipping_address["line1"] == "12 Main Street"


def test_the_customer_cancels_an_allocated_order_and_its_stock_goes_back(client, ada_order):
    customer = Customer.objects.get(email=ADA)
    assert "Cancel my order" in client.get(cancel_url(ada_order)).content.decode()

    done = client.post(cancel_url(ada_order), {"reason": "Ordered twice"})

    assert "Your order is cancelled." in done.content.decode()
    order = Order.objects.get(pk=ada_order.pk)
    assert order.status == OrderStatus.CANCELLED
    assert StockLevel.objects.get(product__sku="MUG-RED").reserved == 0
    event = OrderEvent.objects.filter(order=order, to_status=OrderStatus.CANCELLED).get()
    assert event.actor_label == f"portal:{customer.pk}" and "Ordered twice" in event.message
    assert "This order is cancelled." in client.get(cancel_url(ada_order)).content.decode()


def test_another_customers_order_is_not_found(client, ada_order, stocked):
    theirs = place_order([("MUG-RED", 1)], email="bob@example.com")

    for url in (address_url(theirs), cancel_url(theirs)):
        assert client.get(url).status_code == 404
        assert client.post(url, {**NEW_ADDRESS, "reason": "x"}).status_code == 404
    assert Order.objects.get(pk=theirs.pk).status == OrderStatus.ALLOCATED


def test_changes_need_the_csrf_token(ada_order):
    browser = Client(enforce_csrf_checks=True)
    sign_in_as(browser, Customer.objects.get(email=ADA))

    assert browser.post(cancel_url(ada_order), {"reason": ""}).status_code == 403
    assert browser.post(address_url(ada_order), {**NEW_ADDRESS, "version": ada_order.version}).status_code == 403
    order = Order.objects.get(pk=ada_order.pk)
    assert order.status == OrderStatus.ALLOCATED and order.shipping_address["line1"] == "12 Main Street"


def test_the_order_pages_speak_german(client, ada_order):
    with translation.override("de"):
        address = client.get(address_url(ada_order), HTTP_ACCEPT_LANGUAGE="de").content.decode()
        cancel = client.get(cancel_url(ada_order), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert f"Lieferadresse der Bestellung {ada_order.number}" in address and "Adresse speichern" in address
    assert "Bestellung stornieren" in cancel


def test_the_order_pages_snippet_offers_only_what_the_order_allows_now(ada_order):
    from django.template.loader import render_to_string

    before = render_to_string("portal/orders/_actions.html", {"order": ada_order})
    order_start_fulfillment(order_id=ada_order.pk, actor="warehouse")
    during = render_to_string("portal/orders/_actions.html", {"order": Order.objects.get(pk=ada_order.pk)})

    assert "Change the shipping address" in before and "Cancel the order" in before and "Return items" not in before
    assert during.strip() == ""

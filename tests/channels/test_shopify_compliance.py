"""Shopify's mandatory compliance webhooks (payloads shaped as Shopify documents them): a data
request becomes a recorded export, a customer redact an erasure (refused while an order is open),
a shop redact erases the customers who bought only in that shop."""

import pytest

from customers.models import Customer, DataRequest
from orders.models import Order
from orders.services import order_cancel

from ..factories import place_order

pytestmark = pytest.mark.django_db

EMAIL = "jan.vermeulen@example.org"
SHOP = {"shop_id": 954889, "shop_domain": "example.myshopify.com"}


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def customer_part(email=EMAIL, customer_id=191167) -> dict:
    return {"id": customer_id, "email": email, "phone": "555-625-1199"}


def closed_order(stocked, channel="shop-us", email=EMAIL, external_id=None) -> Order:
    stocked("SKU-A", 1)
    order = place_order([("SKU-A", 1)], channel=channel, email=email, **({"external_id": external_id} if external_id else {}))
    order_cancel(order_id=order.pk, reason="test", actor="test")
    return order


def test_a_data_request_records_an_export_for_the_customer_matched_by_e_mail(shopify, stocked, django_capture_on_commit_callbacks):
    closed_order(stocked)
    payload = {**SHOP, "orders_requested": [299938], "customer": customer_part(), "data_request": {"id": 9999}}

    with django_capture_on_commit_callbacks(execute=True):
        answer = shopify(payload, topic="customers/data_request", webhook_id="cdr-1")

    assert answer.status_code == 200, answer.content
    request = DataRequest.objects.get()
    assert (request.kind, request.source, request.customer.email) == ("export", "shopify", EMAIL)
    assert request.status == DataRequest.Status.DONE and request.file and request.reference == "shopify:cdr-1"
    assert "export request" in answer.json()["outcome"]

    again = shopify(payload, topic="customers/data_request", webhook_id="cdr-1")
    assert again.json()["duplicate"] is True and DataRequest.objects.count() == 1


def test_a_customer_known_only_by_shopify_s_order_ids_is_matched_through_the_orders(shopify, stocked):
    order = closed_order(stocked, email="old.address@example.org", external_id="820982911946154508")
    payload = {**SHOP, "orders_to_redact": [820982911946154508], "customer": customer_part(email="new.address@example.org")}

    shopify(payload, topic="customers/redact", webhook_id="cr-1")

    request = DataRequest.objects.get()
    assert request.kind == "erasure" and request.customer_id == order.customer_id and request.status == DataRequest.Status.DONE
    assert Customer.objects.get(pk=order.customer_id).email == f"erased-{order.customer_id}@invalid"


def test_a_customer_redact_with_an_open_order_is_refused_and_recorded(shopify, stocked):
    stocked("SKU-A", 1)
    order = place_order([("SKU-A", 1)], channel="shop-us", email=EMAIL)

    answer = shopify({**SHOP, "customer": customer_part(), "orders_to_redact": []}, topic="customers/redact", webhook_id="cr-2")

    assert answer.status_code == 200
    request = DataRequest.objects.get()
    assert request.status == DataRequest.Status.REFUSED and order.number in request.refusal_reason
    assert "refused" in answer.json()["outcome"] and Order.objects.get(pk=order.pk).email == EMAIL


def test_a_request_about_an_unknown_customer_is_recorded_as_refused(shopify):
    shopify({**SHOP, "customer": customer_part(email="nobody@example.org"), "orders_requested": [], "data_request": {"id": 1}},
            topic="customers/data_request", webhook_id="cdr-2")

    request = DataRequest.objects.get()
    assert request.customer is None and request.status == DataRequest.Status.REFUSED and "No customer" in request.refusal_reason


def test_shop_redact_erases_the_customers_who_bought_only_in_that_shop(shopify, stocked):
    only_here = closed_order(stocked, email="only.here@example.org")
    both = closed_order(stocked, email="both@example.org")
    closed_order(stocked, channel="web", email="both@example.org")

    answer = shopify(SHOP, topic="shop/redact", webhook_id="sr-1")

    assert answer.status_code == 200 and "1 customers erased" in answer.json()["outcome"]
    assert Customer.objects.get(pk=only_here.customer_id).erased_at is not None
    assert Customer.objects.get(pk=both.customer_id).email == "both@example.org"


def test_a_compliance_webhook_with_a_wrong_signature_records_nothing(shopify, stocked):
    closed_order(stocked)

    answer = shopify({**SHOP, "customer": customer_part()}, topic="customers/redact", signature="bm90LXRoZS1zaWduYXR1cmU=")

    assert answer.status_code == 401 and not DataRequest.objects.exists()
    assert Customer.objects.get(email=EMAIL).erased_at is None

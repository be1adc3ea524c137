"""WooCommerce order webhooks: the same intake path, WooCommerce's vocabulary."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders.models import ChannelWebhookReceipt, HoldReason, Order, OrderEvent, OrderStatus, PaymentStatus

from ..api.support import error_of
from .payloads import woo_line, woo_order


def order_of(payload) -> Order:
    return Order.objects.get(external_id=str(payload["id"]))


@pytest.fixture
def catalogue(stocked):
    stocked("MUG-1", 20, price=Decimal("10.00"), currency="EUR")
    stocked("TEE-L", 20, price=Decimal("18.00"), currency="EUR")


def test_create_maps_subtotals_discounts_taxes_and_shipping(catalogue, woo):
    # given a processing (paid) order with a coupon on one line and taxed shipping
    payload = woo_order(
        lines=[woo_line("MUG-1", 2, "20.00", "20.00", "3.80"), woo_line("TEE-L", 1, "18.00", "15.30", "2.91", name="Tee")],
        coupon_lines=[{"code": "welcome15", "discount": "2.70"}],
        discount_total="2.70",
    )

    # when WooCommerce sends order.created (to the URL without trailing slash)
    response = woo(payload)

    # then the lines carry unit price, discount and tax as Decimal, shipping tax joins the order's tax
    assert response.status_code == 200, response.content
    order = order_of(payload)
    assert [(l.sku, l.quantity, l.unit_price, l.discount, l.tax) for l in order.lines.order_by("line_number")] == [
        ("MUG-1", 2, Decimal("10.00"), Decimal("0.00"), Decimal("3.80")),
        ("TEE-L", 1, Decimal("18.00"), Decimal("2.70"), Decimal("2.91")),
    ]
    assert (order.currency, order.shipping_price, order.tax_total) == ("EUR", Decimal("4.90"), Decimal("7.64"))
    assert order.grand_total == Decimal("47.84")
    assert order.payment_status == PaymentStatus.PAID
    assert order.status == OrderStatus.ALLOCATED
    assert order.shipping_address["country"] == "DE" and order.shipping_address["postal_code"] == "10117"
    assert order.customer.email == "ada@example.com" and order.customer.phone == "+49301234567"
    assert order.placed_at.isoformat() == "2025-03-04T15:15:00+00:00"
    assert order.events.filter(kind=OrderEvent.Kind.NOTE, message__contains="welcome15").exists()


@pytest.mark.parametrize(
    ("status", "payment_status", "order_status"),
    [
        ("pending", PaymentStatus.PENDING, OrderStatus.ON_HOLD),
        ("on-hold", PaymentStatus.PENDING, OrderStatus.ON_HOLD),
        ("processing", PaymentStatus.PAID, OrderStatus.ALLOCATED),
        ("completed", PaymentStatus.PAID, OrderStatus.ALLOCATED),
        ("refunded", PaymentStatus.REFUNDED, OrderStatus.ALLOCATED),
        ("cancelled", PaymentStatus.PAID, OrderStatus.CANCELLED),
    ],
)
def test_status_maps_to_payment_and_lifecycle(catalogue, woo, status, payment_status, order_status):
    payload = woo_order(status=status)

    woo(payload)

    order = order_of(payload)
    assert (order.payment_status, order.status) == (payment_status, order_status)


def test_paid_later_releases_the_order_and_refunds_are_noted(catalogue, woo):
    # given an order awaiting a bank transfer
    payload = woo_order(status="on-hold", date_paid_gmt=None)
    woo(payload)
    assert HoldReason.PAYMENT in order_of(payload).holds.filter(released_at__isnull=True).values_list("reason", flat=True)

    # when it is paid, then partly refunded
    woo({**payload, "status": "processing"}, topic="order.updated")
    woo({**payload, "status": "processing", "refunds": [{"id": 501, "reason": "one mug broken", "total": "-10.00"}]}, topic="order.updated")

    # then it is allocated, still paid, and the refund is on its timeline with the amount
    order = order_of(payload)
    assert (order.status, order.payment_status) == (OrderStatus.ALLOCATED, PaymentStatus.PAID)
    note = order.events.get(kind=OrderEvent.Kind.NOTE, message__startswith="WooCommerce refund 501")
    assert "10.00 EUR" in note.message and "one mug broken" in note.message


def test_deleted_order_is_cancelled_and_an_unknown_one_ignored(catalogue, woo):
    payload = woo_order()
    woo(payload)

    deleted = woo({"id": payload["id"]}, topic="order.deleted")
    unknown = woo({"id": 424242}, topic="order.deleted")

    assert deleted.status_code == 200 and order_of(payload).status == OrderStatus.CANCELLED
    assert unknown.status_code == 200 and "never received" in unknown.json()["outcome"]
    assert not Order.objects.filter(external_id="424242").exists()


def test_a_retry_with_a_new_delivery_id_records_nothing_twice(catalogue, woo):
    payload = woo_order(refunds=[{"id": 9, "reason": "", "total": "-1.00"}])
    woo(payload)
    woo(payload)

    assert Order.objects.filter(external_id=str(payload["id"])).count() == 1
    assert order_of(payload).events.filter(kind=OrderEvent.Kind.NOTE, message__startswith="WooCommerce refund 9").count() == 1


def test_url_check_ping_is_answered_without_recording(woo_channel):
    response = APIClient().generic(
        "POST", f"/api/v1/channels/{woo_channel.code}/woocommerce/orders/", b"webhook_id=17", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert ChannelWebhookReceipt.objects.count() == 0


def test_wrong_signature_is_refused(catalogue, woo):
    response = woo(woo_order(), signature="AAAA")

    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_signature"
    assert Order.objects.count() == 0


def test_line_without_sku_is_held_with_its_name(catalogue, woo):
    payload = woo_order(lines=[woo_line("", 1, "7.00", "7.00", name="Gift card")])

    woo(payload)

    order = order_of(payload)
    assert order.status == OrderStatus.ON_HOLD
    assert "Gift card" in order.lines.get().name
    assert order.holds.filter(reason=HoldReason.STOCK, released_at__isnull=True).exists()

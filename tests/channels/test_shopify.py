"""Shopify order webhooks: what a merchant sees in the OMS after Shopify calls."""

import json
from decimal import Decimal

import pytest

from orders.models import ChannelWebhookReceipt, HoldReason, Order, OrderEvent, OrderStatus, PaymentStatus
from orders.services import order_ship, order_start_fulfillment

from ..api.support import error_of
from .payloads import money_set, shopify_address, shopify_line, shopify_order


def order_of(payload) -> Order:
    return Order.objects.get(external_id=str(payload["id"]))


def open_holds(order) -> dict[str, str]:
    return dict(order.holds.filter(released_at__isnull=True).values_list("reason", "detail"))


def notes(order) -> list[str]:
    return list(order.events.filter(kind=OrderEvent.Kind.NOTE).order_by("id").values_list("message", flat=True))


@pytest.fixture
def catalogue(stocked):
    stocked("SHIRT-M", 20, price=Decimal("25.00"))
    stocked("CAP-1", 20, price=Decimal("12.00"))


def test_create_maps_money_lines_discounts_taxes_shipping_customer_and_addresses(catalogue, shopify):
    # given a paid Shopify order: two lines, a discount code allocated to both lines, taxes per line,
    # two shipping lines (one discounted, one taxed), amounts in USD shown to the buyer in EUR
    payload = shopify_order(
        lines=[
            shopify_line("SHIRT-M", 2, "25.00", discounts=["5.00"], taxes=["2.81"]),
            shopify_line("CAP-1", 1, "12.00", discounts=["1.20", "0.80"], taxes=["0.63"], title="Cap", variant_id=40022),
        ],
        shipping_lines=[
            {"title": "Express", "price": "10.00", "price_set": money_set("10.00"), "discounted_price": "8.00",
             "discounted_price_set": money_set("8.00"), "tax_lines": [{"price": "0.50", "price_set": money_set("0.50")}]},
            {"title": "Gift wrap", "price": "2.00", "price_set": money_set("2.00"), "discounted_price": "2.00",
             "discounted_price_set": money_set("2.00"), "tax_lines": []},
        ],
        discount_codes=[{"code": "SPRING10", "amount": "7.00", "type": "fixed_amount"}],
        total_discounts="7.00",
    )

    # when Shopify sends orders/create
    response = shopify(payload)

    # then the order is recorded in the shop currency with every amount from shop_money, as Decimal
    assert response.status_code == 200, response.content
    assert response.json()["order"] == order_of(payload).number
    order = order_of(payload)
    assert order.currency == "USD"
    lines = list(order.lines.order_by("line_number"))
    assert [(line.sku, line.quantity, line.unit_price, line.discount, line.tax) for line in lines] == [
        ("SHIRT-M", 2, Decimal("25.00"), Decimal("5.00"), Decimal("2.81")),
        ("CAP-1", 1, Decimal("12.00"), Decimal("2.00"), Decimal("0.63")),
    ]
    assert order.subtotal == Decimal("62.00")
    assert order.discount_total == Decimal("7.00")
    assert order.shipping_price == Decimal("10.00")  # 8.00 after its discount + 2.00
    assert order.tax_total == Decimal("3.94")  # line taxes 3.44 + shipping tax 0.50
    assert order.grand_total == Decimal("68.94")
    assert order.payment_status == PaymentStatus.PAID
    assert order.status == OrderStatus.ALLOCATED
    assert order.shipping_address == {
        "name": "Grace Hopper", "line1": "12 Main Street", "line2": "Apt 4", "city": "Boston", "region": "MA",
        "postal_code": "02108", "country": "US", "phone": "+16175550134",
    }
    assert order.billing_address["line2"] == ""
    assert (order.customer.email, order.customer.first_name, order.customer.last_name, order.customer.phone) == (
        "grace@example.com", "Grace", "Hopper", "+16175550134",
    )
    assert order.placed_at.isoformat() == "2025-03-04T15:15:00+00:00"
    assert any("SPRING10" in note and payload["name"] in note for note in notes(order))


def test_taxes_included_prices_are_recorded_net(catalogue, shopify):
    # given a shop whose prices include tax
    payload = shopify_order(lines=[shopify_line("SHIRT-M", 2, "25.00", taxes=["8.00"])], taxes_included=True)

    # when it is received
    shopify(payload)

    # then the tax is not counted twice: the total is what the buyer paid
    order = order_of(payload)
    assert order.lines.get().unit_price == Decimal("21.00")
    assert order.grand_total == Decimal("55.00")


def test_unknown_and_missing_skus_are_held_not_dropped(catalogue, shopify):
    # given an order with a known line, an unknown SKU and a custom item without SKU
    payload = shopify_order(lines=[
        shopify_line("SHIRT-M", 1, "25.00"),
        shopify_line("NOT-IN-CATALOGUE", 1, "9.00", title="Sticker"),
        shopify_line("", 1, "4.00", title="Engraving", variant_id=77777),
    ])

    # when it is received
    response = shopify(payload)

    # then all three lines are recorded and the order waits on a stock hold naming both problems
    assert response.status_code == 200
    order = order_of(payload)
    assert order.status == OrderStatus.ON_HOLD
    lines = list(order.lines.order_by("line_number"))
    assert len(lines) == 3
    assert "77777" in lines[2].name and "Engraving" in lines[2].name
    detail = open_holds(order)[HoldReason.STOCK]
    assert "NOT-IN-CATALOGUE" in detail and "without a SKU" in detail


@pytest.mark.parametrize(
    ("financial_status", "payment_status", "held_for_payment"),
    [
        ("pending", PaymentStatus.PENDING, True),
        ("partially_paid", PaymentStatus.PENDING, True),
        ("authorized", PaymentStatus.AUTHORIZED, False),
        ("paid", PaymentStatus.PAID, False),
        ("partially_refunded", PaymentStatus.PAID, False),
        ("refunded", PaymentStatus.REFUNDED, False),
        ("voided", PaymentStatus.VOIDED, True),
    ],
)
def test_financial_status_maps_to_payment_status(catalogue, shopify, financial_status, payment_status, held_for_payment):
    # given an order in a financial status; when it is created
    payload = shopify_order(financial_status=financial_status)
    shopify(payload)

    # then its payment status says the same, and only unpaid orders wait on a payment hold
    order = order_of(payload)
    assert order.payment_status == payment_status
    assert (HoldReason.PAYMENT in open_holds(order)) is held_for_payment


def test_payment_captured_later_clears_the_payment_hold(catalogue, shopify):
    # given an order received before it was paid
    payload = shopify_order(financial_status="pending")
    shopify(payload)
    assert order_of(payload).status == OrderStatus.ON_HOLD

    # when Shopify reports it paid
    shopify({**payload, "financial_status": "paid"}, topic="orders/updated")

    # then the payment hold is gone and the order is allocated
    order = order_of(payload)
    assert order.payment_status == PaymentStatus.PAID
    assert open_holds(order) == {}
    assert order.status == OrderStatus.ALLOCATED


def test_refunds_are_noted_with_amounts_once(catalogue, shopify):
    # given a paid order
    payload = shopify_order()
    shopify(payload)
    refund = {
        "id": 880001, "note": "damaged in transit", "created_at": "2025-03-06T09:00:00Z",
        "refund_line_items": [{"line_item_id": 1, "quantity": 1, "line_item": {"sku": "SHIRT-M", "title": "Linen shirt"}}],
        "transactions": [
            {"kind": "refund", "status": "success", "amount": "25.00", "amount_set": money_set("25.00")},
            {"kind": "refund", "status": "failure", "amount": "25.00", "amount_set": money_set("25.00")},
        ],
    }
    updated = {**payload, "financial_status": "partially_refunded", "refunds": [refund]}

    # when Shopify reports a partial refund, twice under different webhook ids
    shopify(updated, topic="orders/updated")
    shopify(updated, topic="orders/updated")

    # then the refund is on the timeline once, with its amount and items; the order stays paid
    order = order_of(payload)
    refund_notes = [note for note in notes(order) if "refund 880001" in note]
    assert len(refund_notes) == 1
    assert "25.00 USD" in refund_notes[0] and "damaged in transit" in refund_notes[0] and "SHIRT-M ×1" in refund_notes[0]
    assert order.payment_status == PaymentStatus.PAID

    # and when it is refunded in full, the payment status says so
    shopify({**updated, "financial_status": "refunded"}, topic="orders/updated")
    assert order_of(payload).payment_status == PaymentStatus.REFUNDED


def test_cancellation_cancels_and_returns_stock(catalogue, shopify, stocked):
    # given an allocated order
    payload = shopify_order()
    shopify(payload)
    assert order_of(payload).status == OrderStatus.ALLOCATED

    # when Shopify sends orders/cancelled
    response = shopify({**payload, "cancelled_at": "2025-03-05T08:00:00-05:00", "cancel_reason": "customer"}, topic="orders/cancelled")

    # then the order is cancelled and nothing stays reserved
    assert response.json()["outcome"] == "cancelled"
    order = order_of(payload)
    assert order.status == OrderStatus.CANCELLED
    assert sum(line.quantity_reserved for line in order.lines.all()) == 0


def test_cancellation_of_a_shipped_order_is_noted_not_applied(catalogue, shopify):
    # given an order that has shipped
    payload = shopify_order()
    shopify(payload)
    order = order_of(payload)
    order_start_fulfillment(order_id=order.pk, actor="test")
    order_ship(order_id=order.pk, actor="test")

    # when Shopify cancels it (twice)
    cancelled = {**payload, "cancelled_at": "2025-03-05T08:00:00-05:00", "cancel_reason": "fraud"}
    shopify(cancelled, topic="orders/cancelled")
    shopify(cancelled, topic="orders/cancelled")

    # then it stays shipped and the timeline says, once, that Shopify cancelled it
    order = order_of(payload)
    assert order.status == OrderStatus.SHIPPED
    assert len([note for note in notes(order) if note.startswith("Cancelled in Shopify: fraud, but the order is shipped")]) == 1


def test_other_changes_are_summarised_in_a_note_once(catalogue, shopify):
    # given a recorded order
    payload = shopify_order()
    shopify(payload)

    # when the customer's address is changed in Shopify and the update arrives twice
    changed = {**payload, "shipping_address": shopify_address(address1="99 Harbor Road", zip="02110")}
    shopify(changed, topic="orders/updated")
    shopify(changed, topic="orders/updated")

    # then one note says what changed; the recorded address is left for a person to decide on
    order = order_of(payload)
    change_notes = [note for note in notes(order) if note.startswith("Changed in Shopify")]
    assert len(change_notes) == 1
    assert "99 Harbor Road" in change_notes[0] and "02110" in change_notes[0]
    assert order.shipping_address["line1"] == "12 Main Street"


def test_update_without_changes_changes_nothing(catalogue, shopify):
    payload = shopify_order()
    shopify(payload)
    version = order_of(payload).version

    response = shopify(payload, topic="orders/updated")

    assert response.json()["outcome"] == "no change"
    assert order_of(payload).version == version


def test_update_for_an_unseen_order_creates_it(catalogue, shopify):
    payload = shopify_order()

    response = shopify(payload, topic="orders/updated")

    assert response.status_code == 200
    assert order_of(payload).status == OrderStatus.ALLOCATED


def test_redelivery_of_the_same_webhook_changes_nothing(catalogue, shopify):
    # given a delivered webhook
    payload = shopify_order(financial_status="pending")
    first = shopify(payload, webhook_id="abc-1")

    # when Shopify delivers the same webhook id again, even with a different body
    again = shopify({**payload, "financial_status": "paid"}, webhook_id="abc-1", topic="orders/updated")

    # then it answers 200, flags the duplicate and changes nothing
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["order"] == first.json()["order"]
    assert order_of(payload).payment_status == PaymentStatus.PENDING
    assert ChannelWebhookReceipt.objects.filter(webhook_id="abc-1").count() == 1


def test_same_order_under_a_new_webhook_id_is_not_recorded_twice(catalogue, shopify):
    payload = shopify_order()
    shopify(payload)

    response = shopify(payload)

    assert response.status_code == 200
    assert Order.objects.filter(external_id=str(payload["id"])).count() == 1
    assert ChannelWebhookReceipt.objects.count() == 2


@pytest.mark.parametrize("signature", ["", "bm90IHRoZSByaWdodCBzaWduYXR1cmU=", "garbage that is not base64"])
def test_bad_or_missing_signature_is_refused_and_records_nothing(catalogue, shopify, signature):
    response = shopify(shopify_order(), signature=signature)

    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_signature"
    assert Order.objects.count() == 0
    assert ChannelWebhookReceipt.objects.count() == 0


def test_body_signed_with_another_secret_is_refused(catalogue, shopify):
    from .payloads import sign

    body = json.dumps(shopify_order()).encode()
    response = shopify(None, body=body, signature=sign(body, "someone-elses-secret"))

    assert response.status_code == 401
    assert Order.objects.count() == 0


def test_malformed_body_is_a_400_with_the_reason(catalogue, shopify):
    response = shopify(None, body=b'{"id": 12, "line_items": [')

    assert response.status_code == 400
    assert "not JSON" in error_of(response)["message"]
    assert ChannelWebhookReceipt.objects.count() == 0


def test_order_without_id_is_a_400(catalogue, shopify):
    response = shopify({**shopify_order(), "id": None})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"id": ["This field is required."]}


def test_unknown_channel_and_adapter_mismatch_are_404(catalogue, shopify_channel, woo_channel, client):
    from .payloads import deliver

    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "x-1"}
    for code in ("no-such-channel", woo_channel.code):
        response = deliver(client, f"/api/v1/channels/{code}/shopify/orders/", shopify_order(), secret=shopify_channel.webhook_secret, headers=headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("overrides", "reason", "words"),
    [
        ({"shipping_address": None}, HoldReason.ADDRESS, "billing address stands in"),
        ({"shipping_address": None, "billing_address": None}, HoldReason.ADDRESS, "no shipping address and no billing address"),
        ({"email": None, "customer": None, "contact_email": None}, HoldReason.MANUAL, "e-mail"),
        ({"line_items": []}, HoldReason.MANUAL, "without lines"),
        ({"currency": "DOUBLOONS"}, HoldReason.MANUAL, "DOUBLOONS"),
    ],
)
def test_odd_orders_are_recorded_and_held_with_a_reason(catalogue, shopify, overrides, reason, words):
    # given an order Shopify accepted but that lacks something intake needs
    payload = shopify_order(**overrides)

    # when it is received
    response = shopify(payload)

    # then it is recorded, not refused, and held with a detail that says what was odd
    assert response.status_code == 200, response.content
    order = order_of(payload)
    assert order.status == OrderStatus.ON_HOLD
    assert words in open_holds(order)[reason]


def test_shopify_risk_verdict_is_kept_and_screened(catalogue, shopify):
    # given a screening rule that holds orders Shopify rates high risk
    from orders.models import ScreeningRule

    ScreeningRule.objects.create(name="Shopify says cancel", kind=ScreeningRule.Kind.PLATFORM_RISK, risk_level="high", score=100)
    risky = shopify_order(lines=[shopify_line("CAP-1", 1, "12.00")], risks=[{"recommendation": "accept"}, {"recommendation": "cancel", "score": "1.0"}])
    graphql_shaped = shopify_order(lines=[shopify_line("CAP-1", 1, "12.00")], risk={"assessments": [{"riskLevel": "MEDIUM"}]})
    silent = shopify_order(lines=[shopify_line("CAP-1", 1, "12.00")])

    # when Shopify sends the three orders
    for payload in (risky, graphql_shaped, silent):
        assert shopify(payload).status_code == 200

    # then each order keeps Shopify's verdict, and only the one it would cancel is held for fraud risk
    assert [order_of(p).platform_risk for p in (risky, graphql_shaped, silent)] == ["high", "medium", ""]
    assert "the platform rated the order high risk" in open_holds(order_of(risky))[HoldReason.FRAUD_RISK]
    assert HoldReason.FRAUD_RISK not in open_holds(order_of(graphql_shaped))

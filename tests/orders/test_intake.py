"""Intake: malformed orders are refused and leave no trace; doubtful ones are recorded on hold."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from customers.models import Customer
from inventory.models import StockLevel, StockMovement
from inventory.services import product_create, stock_receive
from oms.errors import DomainError, InvalidInput
from oms.models import DomainEvent
from orders.models import Allocation, HoldReason, Order, OrderEvent, OrderHold, OrderLine, OrderStatus
from orders.services import LineData, order_cancel, order_hold_place, order_hold_release, order_intake, order_payment_update

from ..factories import ChannelFactory, CustomerFactory, CustomerGroupFactory, address, intake_data, place_order
from .conftest import fresh, observe


def open_hold_reasons(order: Order) -> set[str]:
    return set(order.holds.filter(released_at__isnull=True).values_list("reason", flat=True))


def assert_reserves_nothing(order: Order) -> None:
    assert not Allocation.objects.filter(line__order=order).exists()
    assert all(line.quantity_reserved == 0 for line in order.lines.all())
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.RESERVATION, reference=order.number).exists()


# --- hold reasons ---------------------------------------------------------------------------


def test_a_paid_order_with_a_good_address_is_allocated_without_holds(stocked):
    stocked("SKU-A", 5)

    order = place_order([("SKU-A", 2)])

    assert order.status == OrderStatus.ALLOCATED
    assert not order.holds.exists()


def test_an_unpaid_order_waits_on_a_payment_hold_and_reserves_nothing(stocked):
    stocked("SKU-A", 5)

    order = place_order([("SKU-A", 2)], payment_status="pending")

    assert order.status == OrderStatus.ON_HOLD
    assert open_hold_reasons(order) == {HoldReason.PAYMENT}
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 0
    assert_reserves_nothing(order)


def test_an_authorised_order_needs_no_payment_hold(stocked):
    stocked("SKU-A", 5)

    order = place_order([("SKU-A", 2)], payment_status="authorized")

    assert order.status == OrderStatus.ALLOCATED


@pytest.mark.parametrize(
    ("shipping", "doubt"),
    [
        (dict(city=""), "city missing"),
        (dict(line1=""), "street line missing"),
        (dict(postal_code="ABCDE"), "postal code 'ABCDE' does not fit US's format"),
        (dict(postal_code=""), "postal code missing"),
        (dict(region=""), "region/state missing (required in US)"),
    ],
    ids=["no-city", "no-street", "bad-us-zip", "no-zip", "no-us-state"],
)
def test_an_incomplete_or_implausible_address_is_held_with_what_is_wrong(stocked, shipping, doubt):
    stocked("SKU-A", 5)

    order = place_order([("SKU-A", 1)], shipping_address=address(**shipping))

    assert order.status == OrderStatus.ON_HOLD
    hold = order.holds.get()
    assert hold.reason == HoldReason.ADDRESS
    assert doubt in hold.detail
    assert_reserves_nothing(order)


def test_an_address_plausible_for_its_own_country_is_not_held(stocked):
    stocked("SKU-A", 5)
    london = address(city="London", region="", postal_code="SW1A 1AA", country="GB")

    order = place_order([("SKU-A", 1)], shipping_address=london)

    assert order.status == OrderStatus.ALLOCATED


def test_an_unknown_sku_is_held_and_release_is_refused_until_the_product_exists(stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1), ("SKU-NEW", 2)])
    assert order.status == OrderStatus.ON_HOLD
    hold = order.holds.get()
    assert (hold.reason, hold.detail) == (HoldReason.STOCK, "unknown SKU: SKU-NEW")
    assert_reserves_nothing(order)
    before = observe(order)

    with pytest.raises(DomainError, match="SKU-NEW is still unknown. Create or activate the product") as refused:
        order_hold_release(hold_id=hold.pk, actor="test")

    assert refused.value.code == "hold_cause_persists"
    assert observe(order) == before

    product_create(sku="SKU-NEW", name="New thing", price=Decimal("20.00"), actor="test")
    stock_receive(sku="SKU-NEW", location="chicago", quantity=2, actor="test")
    order_hold_release(hold_id=hold.pk, actor="test")

    assert fresh(order).status == OrderStatus.ALLOCATED
    line = order.lines.get(sku="SKU-NEW")
    assert (line.product.sku, line.name, line.quantity_reserved) == ("SKU-NEW", "New thing", 2)


def test_an_inactive_product_is_held_until_it_is_active_again(stocked):
    product = stocked("SKU-OLD", 5, is_active=False)
    order = place_order([("SKU-OLD", 1)])
    hold = order.holds.get()
    assert (hold.reason, hold.detail) == (HoldReason.STOCK, "inactive SKU: SKU-OLD")

    with pytest.raises(DomainError, match="SKU-OLD is still inactive"):
        order_hold_release(hold_id=hold.pk, actor="test")

    product.is_active = True
    product.save()
    order_hold_release(hold_id=hold.pk, actor="test")

    assert fresh(order).status == OrderStatus.ALLOCATED


def test_a_quantity_above_the_line_maximum_is_held(stocked):
    too_many = settings.OMS_MAX_LINE_QUANTITY + 1
    stocked("SKU-A", too_many)

    order = place_order([("SKU-A", too_many)])

    hold = order.holds.get()
    assert hold.reason == HoldReason.QUANTITY_PRICE
    assert f"quantity {too_many} above {settings.OMS_MAX_LINE_QUANTITY}" in hold.detail
    assert_reserves_nothing(order)


def test_a_price_far_from_the_catalogue_is_held(stocked):
    stocked("SKU-A", 5, price=Decimal("20.00"))

    order = place_order([("SKU-A", 1, "2.00")])

    hold = order.holds.get()
    assert hold.reason == HoldReason.QUANTITY_PRICE
    assert "price 2.00 vs catalogue 20.00" in hold.detail


def test_a_price_within_tolerance_of_the_catalogue_is_accepted(stocked):
    stocked("SKU-A", 5, price=Decimal("20.00"))

    order = place_order([("SKU-A", 1, "18.00")])  # a sale price

    assert order.status == OrderStatus.ALLOCATED


def test_every_doubt_is_recorded_as_its_own_hold(stocked):
    stocked("SKU-A", 5)

    order = place_order([("SKU-A", 1, "200"), ("SKU-NOPE", 1)], payment_status="pending", shipping_address=address(city=""))

    assert open_hold_reasons(order) == {HoldReason.ADDRESS, HoldReason.PAYMENT, HoldReason.STOCK, HoldReason.QUANTITY_PRICE}
    placed = OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.HOLD_PLACED)
    assert {event.data["reason"] for event in placed} == open_hold_reasons(order)


# --- credit limits (B2B) --------------------------------------------------------------------


@pytest.fixture
def b2b_buyer(db):
    """A customer whose group buys on 30-day terms with 100.00 USD of credit."""
    group = CustomerGroupFactory(credit_limit=Decimal("100.00"), credit_currency="USD", payment_terms_days=30)
    return CustomerFactory(email="buyer@acme.example", group=group)


def test_on_payment_terms_an_unpaid_order_within_the_limit_is_allocated(stocked, b2b_buyer):
    stocked("SKU-A", 10)

    order = place_order([("SKU-A", 3)], email=b2b_buyer.email, payment_status="pending")  # 60.00

    assert order.status == OrderStatus.ALLOCATED
    assert order.customer_id == b2b_buyer.pk


def test_unpaid_orders_above_the_credit_limit_are_held(stocked, b2b_buyer):
    stocked("SKU-A", 10)
    place_order([("SKU-A", 3)], email=b2b_buyer.email, payment_status="pending")  # 60.00 open

    order = place_order([("SKU-A", 3)], email=b2b_buyer.email, payment_status="pending")  # +60.00 = 120.00

    assert order.status == OrderStatus.ON_HOLD
    hold = order.holds.get()
    assert hold.reason == HoldReason.CREDIT_LIMIT
    assert hold.detail == "Open unpaid orders would reach 120.00 USD, limit 100.00."
    assert_reserves_nothing(order)


def test_paid_and_cancelled_orders_use_no_credit(stocked, b2b_buyer):
    stocked("SKU-A", 20)
    place_order([("SKU-A", 4)], email=b2b_buyer.email, payment_status="paid")  # 80.00, already paid
    cancelled = place_order([("SKU-A", 4)], email=b2b_buyer.email, payment_status="pending")  # 80.00
    order_cancel(order_id=cancelled.pk, actor="test")

    order = place_order([("SKU-A", 4)], email=b2b_buyer.email, payment_status="pending")  # 80.00 open

    assert order.status == OrderStatus.ALLOCATED


def test_a_prepaid_order_is_not_held_for_credit(stocked, b2b_buyer):
    stocked("SKU-A", 20)
    place_order([("SKU-A", 4)], email=b2b_buyer.email, payment_status="pending")  # 80.00 on credit

    order = place_order([("SKU-A", 2)], email=b2b_buyer.email, payment_status="paid")  # paid up front

    assert order.status == OrderStatus.ALLOCATED


def test_a_group_without_terms_still_needs_payment(stocked):
    stocked("SKU-A", 10)
    group = CustomerGroupFactory(credit_limit=Decimal("1000.00"), payment_terms_days=0)
    buyer = CustomerFactory(email="cash@shop.example", group=group)

    order = place_order([("SKU-A", 1)], email=buyer.email, payment_status="pending")

    assert open_hold_reasons(order) == {HoldReason.PAYMENT}


# --- operator holds and payment -------------------------------------------------------------


def test_payment_authorisation_releases_the_payment_hold(stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)], payment_status="pending")

    order_payment_update(order_id=order.pk, payment_status="authorized", actor="api:psp")

    assert fresh(order).status == OrderStatus.ALLOCATED
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 2


@pytest.mark.parametrize("reason", [HoldReason.FRAUD_RISK, HoldReason.MANUAL])
def test_an_operator_can_hold_an_order_for_fraud_risk_or_manually(stocked, reason):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    hold = order_hold_place(order_id=order.pk, reason=reason, detail="checking", actor="cs:bob")

    assert fresh(order).status == OrderStatus.ON_HOLD
    assert (hold.reason, hold.detail) == (reason, "checking")
    event = OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.HOLD_PLACED).get()
    assert (event.data, event.actor_label) == ({"reason": reason}, "cs:bob")


# --- malformed input ------------------------------------------------------------------------


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Order, OrderLine, OrderHold, OrderEvent, Customer, StockMovement, Allocation, DomainEvent)
    }


BAD_INPUT = [
    ("currency", [("SKU-A", 1)], dict(currency="XXX"), "currency"),
    ("country", [("SKU-A", 1)], dict(shipping_address=address(country="ZZ")), "shipping_address.country"),
    ("billing-country", [("SKU-A", 1)], dict(billing_address=address(country="Germany")), "billing_address.country"),
    ("no-lines", [], {}, "lines"),
    ("quantity-zero", [("SKU-A", 0)], {}, "lines[0].quantity"),
    ("negative-price", [("SKU-A", 1), ("SKU-A", 1, "-5")], {}, "lines[1].unit_price"),
    ("price-not-a-number", [("SKU-A", 1)], dict(lines=[LineData(sku="SKU-A", quantity=1, unit_price="cheap")]), "lines[0].unit_price"),
    ("empty-sku", [("", 1)], {}, "lines[0].sku"),
    ("email", [("SKU-A", 1)], dict(email="not-an-email"), "customer.email"),
    ("phone", [("SKU-A", 1)], dict(phone="12"), "customer.phone"),
    ("address-phone", [("SKU-A", 1)], dict(shipping_address=address(phone="call me")), "shipping_address.phone"),
    ("payment-status", [("SKU-A", 1)], dict(payment_status="refunded"), "payment_status"),
    ("negative-shipping", [("SKU-A", 1)], dict(shipping_price=Decimal("-1")), "shipping_price"),
    ("no-external-id", [("SKU-A", 1)], dict(external_id=""), "external_id"),
    ("unknown-channel", [("SKU-A", 1)], dict(channel="carrier-pigeon"), "channel"),
]


@pytest.mark.parametrize(("lines", "overrides", "field"), [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT])
def test_malformed_input_names_the_field_and_writes_nothing(stocked, lines, overrides, field):
    stocked("SKU-A", 5)
    place_order([("SKU-A", 1)])  # something already there, to see that nothing is added
    before = _counts()

    data = intake_data(lines, **{name: value for name, value in overrides.items() if name != "lines"})
    data.lines = overrides.get("lines", data.lines)  # raw lines that intake_data could not build

    with pytest.raises(InvalidInput) as refused:
        order_intake(data=data, actor="test")

    assert field in refused.value.fields
    assert refused.value.fields[field]  # says what to fix
    assert _counts() == before
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 1


def test_every_problem_is_reported_at_once(web_channel):
    data = intake_data([("SKU-A", 0)], currency="XXX", email="nope", shipping_address=address(country="ZZ"))

    with pytest.raises(InvalidInput) as refused:
        order_intake(data=data, actor="test")

    assert set(refused.value.fields) == {"currency", "customer.email", "shipping_address.country", "lines[0].quantity"}
    assert not Customer.objects.exists()


def test_input_is_normalised(stocked):
    stocked("SKU-A", 5)

    order = place_order(
        [(" SKU-A ", 1)], currency="usd", email=" Buyer@Example.COM ", phone="+1 (415) 555-0123",
        shipping_address=address(country="us", phone="+1 415 555 0199"),
    )

    assert (order.currency, order.email, order.ship_country, order.shipping_address["phone"]) == ("USD", "buyer@example.com", "US", "+14155550199")
    assert order.lines.get().sku == "SKU-A"
    assert str(order.customer.phone) == "+14155550123"


# --- idempotency ----------------------------------------------------------------------------


def test_the_same_channel_order_twice_returns_the_first_order(stocked):
    stocked("SKU-A", 5)
    ChannelFactory(code="web")
    first = order_intake(data=intake_data([("SKU-A", 2)], external_id="SHOP-1001"), actor="test")
    before = _counts()

    again = order_intake(data=intake_data([("SKU-A", 2)], external_id="SHOP-1001"), actor="test")

    assert (first.created, again.created) == (True, False)
    assert again.order.pk == first.order.pk
    assert _counts() == before
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 2


def test_the_same_external_id_on_another_channel_is_another_order(stocked):
    stocked("SKU-A", 5)
    ChannelFactory(code="pos", name="Store till")

    web = place_order([("SKU-A", 1)], external_id="1001")
    pos = place_order([("SKU-A", 1)], external_id="1001", channel="pos")

    assert web.pk != pos.pk
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 2


# --- what intake records --------------------------------------------------------------------


def test_an_order_records_money_as_decimals_in_its_currency(stocked):
    stocked("SKU-A", 5, price=Decimal("19.99"))
    data = intake_data([("SKU-A", 3, "19.99")], shipping_price=Decimal("4.5"))
    data.lines[0].discount, data.lines[0].tax = Decimal("5"), Decimal("1.234")
    ChannelFactory(code="web")

    order = order_intake(data=data, actor="test").order

    stored = fresh(order)
    assert (stored.subtotal, stored.discount_total, stored.tax_total, stored.shipping_price) == (
        Decimal("59.97"), Decimal("5.00"), Decimal("1.23"), Decimal("4.50"),
    )
    assert stored.grand_total == Decimal("60.70")
    assert order.lines.get().line_total == Decimal("56.20")


def test_the_customer_is_found_by_email_across_orders(stocked):
    stocked("SKU-A", 5)

    first = place_order([("SKU-A", 1)], email="ada@example.com")
    second = place_order([("SKU-A", 1)], email="ADA@example.com", first_name="Someone")

    assert first.customer_id == second.customer_id
    assert Customer.objects.get().first_name == "Ada"


def test_placed_at_from_the_channel_is_kept(stocked):
    stocked("SKU-A", 5)
    yesterday = timezone.now() - timedelta(days=1)

    order = place_order([("SKU-A", 1)], placed_at=yesterday)

    assert fresh(order).placed_at == yesterday


def test_a_destination_gets_coordinates_for_routing(stocked):
    stocked("SKU-A", 5)

    order = place_order([("SKU-A", 1)])

    stored = fresh(order)
    assert stored.destination_latitude == pytest.approx(42.36, abs=0.05)
    assert stored.destination_longitude == pytest.approx(-71.06, abs=0.05)



def test_a_note_sent_with_the_order_is_kept_on_the_order_and_in_its_trail(stocked):
    stocked("SKU-A", 5)

    order = place_order([("SKU-A", 1)], note="  Leave at the back door  ")

    assert fresh(order).note == "Leave at the back door"
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.NOTE, message="Leave at the back door").exists()

"""Contract price lists at intake: which list and break price a B2B line, and holds for a given
price that departs from the contract."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer, PriceList, PriceListItem
from customers.pricing import contract_prices
from oms.errors import InvalidInput
from orders.models import HoldReason, OrderStatus
from orders.services import order_intake

from ..factories import CustomerFactory, CustomerGroupFactory, intake_data, place_order

TODAY = datetime.date(2026, 6, 15)
PLACED = timezone.make_aware(datetime.datetime(2026, 6, 15, 10, 0))


def price_list(code, *, group=None, customer=None, currency="USD", valid_from=None, valid_until=None, prices=()):
    """A list with ``prices``: ``(sku, price)`` or ``(sku, from quantity, price)``."""
    made = PriceList.objects.create(
        code=code, name=code, currency=currency, customer_group=group, customer=customer, valid_from=valid_from, valid_until=valid_until
    )
    for row in prices:
        sku, minimum, price = (row[0], 1, row[1]) if len(row) == 2 else row
        PriceListItem.objects.create(price_list=made, sku=sku, min_quantity=minimum, price=Decimal(price))
    return made


@pytest.fixture
def trade(db):
    group = CustomerGroupFactory(code="trade", payment_terms_days=30)
    buyer = CustomerFactory(email="buyer@acme.example", kind=Customer.Kind.BUSINESS, company_name="Acme", group=group)
    return group, buyer


def priced(buyer, sku, quantity, on=TODAY):
    return contract_prices(buyer, currency="USD", skus=[sku], on=on).for_line(sku, quantity)


# --- resolution ---------------------------------------------------------------------------


def test_the_highest_break_at_or_below_the_quantity_prices_the_line(trade):
    group, buyer = trade
    price_list("trade-usd", group=group, prices=[("SKU-A", "10.00"), ("SKU-A", 10, "9.00"), ("SKU-A", 50, "8.00")])

    assert [priced(buyer, "SKU-A", q).price for q in (1, 9, 10, 49, 50, 500)] == [Decimal("10.00"), Decimal("10.00"), Decimal("9.00"),
                                                                               Decimal("9.00"), Decimal("8.00"), Decimal("8.00")]
    assert priced(buyer, "SKU-A", 10).min_quantity == 10
    assert priced(buyer, "SKU-B", 1) is None


def test_a_customers_own_list_overrides_its_group_sku_by_sku(trade):
    group, buyer = trade
    price_list("trade-usd", group=group, prices=[("SKU-A", "10.00"), ("SKU-B", "20.00")])
    own = price_list("acme-usd", customer=buyer, prices=[("SKU-A", "7.50")])

    assert priced(buyer, "SKU-A", 1).price == Decimal("7.50")
    assert priced(buyer, "SKU-A", 1).price_list == own
    assert priced(buyer, "SKU-B", 1).price == Decimal("20.00")  # the customer's list lacks it: the group's


def test_a_customer_list_break_above_the_quantity_falls_back_to_the_group(trade):
    group, buyer = trade
    price_list("trade-usd", group=group, prices=[("SKU-A", "10.00")])
    price_list("acme-usd", customer=buyer, prices=[("SKU-A", 100, "6.00")])

    assert priced(buyer, "SKU-A", 99).price == Decimal("10.00")
    assert priced(buyer, "SKU-A", 100).price == Decimal("6.00")


def test_validity_dates_and_the_latest_start_wins(trade):
    group, buyer = trade
    price_list("spring", group=group, valid_from=datetime.date(2026, 3, 1), valid_until=datetime.date(2026, 5, 31), prices=[("SKU-A", "12.00")])
    price_list("base", group=group, prices=[("SKU-A", "11.00")])
    price_list("summer", group=group, valid_from=datetime.date(2026, 6, 1), valid_until=datetime.date(2026, 8, 31), prices=[("SKU-A", "9.50")])

    assert priced(buyer, "SKU-A", 1, on=datetime.date(2026, 2, 1)).price == Decimal("11.00")
    assert priced(buyer, "SKU-A", 1, on=datetime.date(2026, 5, 31)).price == Decimal("12.00")  # base has an open start: spring is later
    assert priced(buyer, "SKU-A", 1, on=datetime.date(2026, 6, 1)).price == Decimal("9.50")
    assert priced(buyer, "SKU-A", 1, on=datetime.date(2026, 8, 31)).price == Decimal("9.50")
    assert priced(buyer, "SKU-A", 1, on=datetime.date(2026, 9, 1)).price == Decimal("11.00")


def test_only_lists_in_the_orders_currency_count(trade):
    group, buyer = trade
    price_list("trade-eur", group=group, currency="EUR", prices=[("SKU-A", "9.00")])

    assert priced(buyer, "SKU-A", 1) is None
    assert contract_prices(buyer, currency="EUR", skus=["SKU-A"], on=TODAY).for_line("SKU-A", 1).price == Decimal("9.00")


def test_another_groups_or_customers_list_does_not_count(trade):
    _, buyer = trade
    other_group = CustomerGroupFactory(code="wholesale")
    stranger = CustomerFactory(email="other@shop.example", kind=Customer.Kind.BUSINESS)
    price_list("wholesale-usd", group=other_group, prices=[("SKU-A", "5.00")])
    price_list("other-usd", customer=stranger, prices=[("SKU-A", "4.00")])

    assert priced(buyer, "SKU-A", 1) is None


def test_a_consumer_outside_any_group_costs_no_query(db):
    person = CustomerFactory(email="ada@example.com")

    with CaptureQueriesContext(connection) as queries:
        found = contract_prices(person, currency="USD", skus=["SKU-A"], on=TODAY)

    assert len(queries) == 0
    assert found.for_line("SKU-A", 1) is None


def test_a_list_for_a_group_and_a_customer_at_once_is_refused_by_the_database(trade):
    group, buyer = trade
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceList.objects.create(code="both", name="both", customer_group=group, customer=buyer)


# --- intake ------------------------------------------------------------------------------


def test_a_line_without_a_price_is_priced_from_the_list_and_records_it(stocked, trade):
    group, buyer = trade
    stocked("SKU-A", 100, price=Decimal("20.00"))
    tiers = price_list("trade-usd", group=group, prices=[("SKU-A", "10.00"), ("SKU-A", 10, "9.00")])

    order = place_order([("SKU-A", 12, None), ("SKU-A", 2, None)], email=buyer.email, placed_at=PLACED, payment_status="pending")

    first, second = order.lines.order_by("line_number")
    assert (first.unit_price, first.price_list, first.price_break, first.line_total) == (Decimal("9.00"), tiers, 10, Decimal("108.00"))
    assert (second.unit_price, second.price_list, second.price_break) == (Decimal("10.00"), tiers, 1)
    assert order.subtotal == Decimal("128.00")
    assert order.status == OrderStatus.ALLOCATED  # on terms, priced by contract: nothing to hold


def test_a_given_price_equal_to_the_contract_records_the_list_and_is_not_held(stocked, trade):
    group, buyer = trade
    stocked("SKU-A", 100, price=Decimal("20.00"))  # the catalogue price is far off: the contract decides
    tiers = price_list("trade-usd", group=group, prices=[("SKU-A", "10.00")])

    order = place_order([("SKU-A", 3, "10.00")], email=buyer.email, placed_at=PLACED, payment_status="pending")

    assert order.status == OrderStatus.ALLOCATED
    assert order.lines.get().price_list == tiers


def test_a_given_price_that_departs_from_the_contract_is_held_with_the_figures(stocked, trade):
    group, buyer = trade
    stocked("SKU-A", 100, price=Decimal("10.00"))
    price_list("trade-usd", group=group, prices=[("SKU-A", "10.00"), ("SKU-A", 10, "9.00")])

    order = place_order([("SKU-A", 10, "9.99")], email=buyer.email, placed_at=PLACED, payment_status="pending")

    assert order.status == OrderStatus.ON_HOLD
    hold = order.holds.get()
    assert hold.reason == HoldReason.QUANTITY_PRICE
    assert hold.detail == "SKU-A: price 9.99 vs contract 9.00 (list trade-usd, from 10 units)"
    line = order.lines.get()
    assert (line.unit_price, line.price_list) == (Decimal("9.99"), None)


def test_a_line_without_a_price_and_no_list_is_refused_and_nothing_is_recorded(stocked, trade):
    group, buyer = trade
    stocked("SKU-A", 100)
    stocked("SKU-B", 100)
    price_list("trade-usd", group=group, prices=[("SKU-A", "10.00")])

    from orders.models import Order

    with pytest.raises(InvalidInput) as refused:
        order_intake(data=intake_data([("SKU-A", 1, None), ("SKU-B", 2, None)], email=buyer.email, placed_at=PLACED), actor="test")

    assert refused.value.fields == {"lines[1].unit_price": [
        "No price given, and no price list of this customer prices SKU-B in USD on 2026-06-15 for 2 unit(s): "
        "send unit_price or add the SKU to the customer's price list."
    ]}
    assert not Order.objects.exists()


def test_consumer_orders_keep_the_catalogue_tolerance(stocked):
    stocked("SKU-A", 10, price=Decimal("20.00"))

    order = place_order([("SKU-A", 1, "5.00")])

    assert order.holds.get().detail == "SKU-A: price 5.00 vs catalogue 20.00"


def test_intake_reads_the_contract_in_one_query_whatever_the_number_of_lines(stocked, trade):
    group, buyer = trade
    skus = [f"SKU-{n}" for n in range(12)]
    for sku in skus:
        stocked(sku, 100)
    price_list("trade-usd", group=group, prices=[(sku, "10.00") for sku in skus] + [(sku, 5, "9.00") for sku in skus])
    place_order([("SKU-0", 1, None)], email=buyer.email, placed_at=PLACED, payment_status="pending")  # warm the process caches

    def run(lines):
        with CaptureQueriesContext(connection) as queries:
            order = place_order(lines, email=buyer.email, placed_at=PLACED, payment_status="pending")
        assert order.status == OrderStatus.ALLOCATED
        return len(queries), sum("customers_pricelistitem" in q["sql"] for q in queries.captured_queries)

    assert run([("SKU-1", 1, None)]) == run([(sku, 6, None) for sku in skus])


# --- lines replaced after intake -------------------------------------------------------------


def _held(buyer):
    """A B2B order held for a price that departs from the contract (so its lines may change)."""
    order = place_order([("SKU-A", 2, "11.00")], email=buyer.email, placed_at=PLACED, payment_status="pending")
    assert order.status == OrderStatus.ON_HOLD
    return order


def test_replaced_lines_without_a_price_are_priced_from_the_contract_of_the_day_the_order_was_placed(stocked, trade):
    from orders.services import order_lines_replace
    from orders.services.intake import LineData

    group, buyer = trade
    stocked("SKU-A", 100, price=Decimal("20.00"))
    stocked("SKU-B", 100, price=Decimal("30.00"))
    tiers = price_list("trade-usd", group=group, valid_until=TODAY, prices=[("SKU-A", "10.00"), ("SKU-B", "25.00"), ("SKU-B", 10, "22.00")])
    price_list("later", group=group, valid_from=TODAY + datetime.timedelta(days=1), prices=[("SKU-B", "1.00")])
    order = _held(buyer)

    changed = order_lines_replace(order_id=order.pk, expected_version=None, actor="cs",
                                  lines=[LineData(sku="SKU-A", quantity=2, unit_price=None), LineData(sku="SKU-B", quantity=10, unit_price=None)])

    first, second = changed.lines.order_by("line_number")
    assert (first.unit_price, first.price_list) == (Decimal("10.00"), tiers)
    assert (second.unit_price, second.price_list, second.price_break) == (Decimal("22.00"), tiers, 10)
    assert not changed.holds.filter(reason=HoldReason.QUANTITY_PRICE, released_at__isnull=True).exists()


def test_replaced_lines_follow_the_catalogue_rules_and_a_refused_line_changes_nothing(stocked, trade):
    from customers.models import CatalogueRule
    from orders.services import order_lines_replace
    from orders.services.intake import LineData

    group, buyer = trade
    stocked("SKU-A", 100, price=Decimal("10.00"))
    stocked("SKU-B", 100, price=Decimal("10.00"))
    price_list("trade-usd", group=group, prices=[("SKU-A", "10.00"), ("SKU-B", "10.00")])
    order = _held(buyer)
    CatalogueRule.objects.create(customer_group=group, sku="SKU-A", case_pack=6, on_mismatch=CatalogueRule.Mismatch.ROUND_UP)
    CatalogueRule.objects.create(customer_group=group, sku="SKU-B", allowed=False)

    with pytest.raises(InvalidInput) as refused:
        order_lines_replace(order_id=order.pk, expected_version=None, actor="cs", lines=[LineData(sku="SKU-B", quantity=1, unit_price=None)])
    assert "catalogue" in refused.value.message and "lines[0].sku" in refused.value.fields
    assert list(order.lines.values_list("sku", "quantity")) == [("SKU-A", 2)]

    changed = order_lines_replace(order_id=order.pk, expected_version=None, actor="cs", lines=[LineData(sku="SKU-A", quantity=4, unit_price=None)])

    assert changed.lines.get().quantity == 6
    assert changed.events.filter(kind="note", message__contains="rounded up").exists()


def test_replaced_lines_that_take_the_customer_past_its_credit_limit_are_held_for_accounting(stocked, trade):
    from orders.services import order_hold_place, order_lines_replace
    from orders.services.intake import LineData

    group, buyer = trade
    group.credit_limit, group.credit_currency = Decimal("100.00"), "USD"
    group.save()
    stocked("SKU-A", 100, price=Decimal("10.00"))
    price_list("trade-usd", group=group, prices=[("SKU-A", "10.00")])
    order = _held(buyer)  # 2 x 11.00: within the limit, held for the price only

    # 9 units: 90.00 replaces the order's own 22.00 in the exposure, so it is within 100
    within = order_lines_replace(order_id=order.pk, expected_version=None, actor="cs", lines=[LineData(sku="SKU-A", quantity=9, unit_price=None)])
    assert not within.holds.filter(reason=HoldReason.CREDIT_LIMIT).exists()
    assert within.status == OrderStatus.ALLOCATED
    order_hold_place(order_id=order.pk, reason=HoldReason.MANUAL, detail="customer rang: wants more", actor="cs")

    # 11 units: 110.00 in place of 90.00 (not on top of it) passes the limit
    beyond = order_lines_replace(order_id=order.pk, expected_version=None, actor="cs", lines=[LineData(sku="SKU-A", quantity=11, unit_price=None)])

    hold = beyond.holds.get(reason=HoldReason.CREDIT_LIMIT, released_at__isnull=True)
    assert beyond.status == OrderStatus.ON_HOLD
    assert hold.detail == "Open unpaid orders would reach 110.00 USD, limit 100.00."

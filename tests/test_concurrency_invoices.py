"""Invoice numbers under concurrent shipping, on PostgreSQL: orders on payment terms shipping at
once (sharing stock rows and customers, some shipments rolled back) get numbers 1..N of the year,
without a gap or a duplicate, and without deadlocks."""

from decimal import Decimal

import pytest
from django.db import transaction

from customers.models import Customer
from orders.models import Invoice, Order, OrderStatus
from orders.services import order_intake, order_ship, order_start_fulfillment

from .factories import ChannelFactory, CustomerFactory, CustomerGroupFactory, LocationFactory, ProductFactory, intake_data
from .inventory.invariants import stock_invariant_violations
from .test_concurrency import deal, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ORDERS = 24


class CarrierRefused(Exception):
    pass


@pytest.fixture
def terms_orders(db):
    """Twenty-four orders of three trade accounts on Net 30, two lines each, in fulfillment."""
    from inventory.services import stock_receive

    ChannelFactory(code="b2b")
    LocationFactory(code="ny")
    for sku in ("SKU-A", "SKU-B"):
        ProductFactory(sku=sku, price=Decimal("20.00"))
        stock_receive(sku=sku, location="ny", quantity=1_000, actor="test")
    group = CustomerGroupFactory(code="trade", payment_terms_days=30)
    accounts = [
        CustomerFactory(email=f"ap{n}@trade.example", kind=Customer.Kind.BUSINESS, company_name=f"Trade {n}", group=group) for n in range(3)
    ]
    orders = []
    for n in range(ORDERS):
        data = intake_data([("SKU-A", 3), ("SKU-B", 2)], channel="b2b", email=accounts[n % 3].email, payment_status="pending")
        order = order_intake(data=data, actor="test").order
        order_start_fulfillment(order_id=order.pk, actor="test")
        orders.append(order)
    return orders


def test_concurrent_shipments_number_invoices_one_to_n_without_gaps_or_duplicates(terms_orders):
    refusals = []

    def ship_in_two(order):
        """Two shipments, each invoiced: part of the lines, then the rest."""
        line_a, line_b = order.lines.order_by("line_number").values_list("id", flat=True)
        order_ship(order_id=order.pk, quantities={line_a: 1, line_b: 2}, actor="test")
        return order_ship(order_id=order.pk, actor="test")

    def refused_then_shipped(order):
        """A shipment rolled back after its invoice was numbered gives its number back; then it ships."""
        try:
            with transaction.atomic():
                order_ship(order_id=order.pk, actor="test")
                raise CarrierRefused(order.number)
        except CarrierRefused as refusal:
            refusals.append(refusal)
        return order_ship(order_id=order.pk, actor="test")

    jobs = [lambda order=order: ship_in_two(order) for order in terms_orders[: ORDERS // 2]]
    jobs += [lambda order=order: refused_then_shipped(order) for order in terms_orders[ORDERS // 2 :]]

    run_in_threads(deal(jobs, threads=8))

    assert len(refusals) == ORDERS // 2
    invoices = Invoice.objects.all()
    expected = ORDERS // 2 * 2 + ORDERS // 2
    year = invoices.first().issued_on.year
    assert sorted(invoices.values_list("number", flat=True)) == [f"INV-{year}-{n:06d}" for n in range(1, expected + 1)]
    assert all(Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED for order in terms_orders)
    for order in terms_orders:
        assert sum(Invoice.objects.filter(order=order).values_list("total", flat=True)) == order.grand_total
    assert stock_invariant_violations() == []

"""Short picks re-route units while intake sells the same SKUs: proven on PostgreSQL with real
threads and transactions (see tests/test_concurrency.py for the harness)."""

import random

import pytest
from django.db.models import F, Sum

from fulfillment.models import OPEN_STATUSES, FulfillmentLine, FulfillmentOrder
from fulfillment.services import fulfillment_order_pack, fulfillment_order_ship, fulfillment_orders_create
from fulfillment.services.picking import PickConfirmation, pick_list_build, pick_list_confirm
from inventory.models import StockLevel
from inventory.selectors import available_to_promise
from inventory.services import stock_receive
from oms import geo
from oms.models import DomainEvent
from orders.models import Allocation, OrderLine, OrderStatus
from orders.services import order_intake, order_start_fulfillment

from ..factories import ChannelFactory, LocationFactory, ProductFactory, intake_data
from ..inventory.invariants import stock_invariant_violations
from ..test_concurrency import deal, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHORT_ORDERS = 6
PACKED_ORDERS = 6


@pytest.fixture
def short_picks(db):
    """Six orders of 2 × SKU-A and 2 × SKU-B at Chicago, each with a pick list whose SKU-B line
    comes first, and six more packed and ready to ship; Newark has a little of both. SKU-A's
    stock rows have the lower ids, so a confirmation that took SKU-B's rows before SKU-A's would
    lock against intake's order. Every order is the same customer's, as are the new buyers'.
    Returns the pick confirmations to make and the fulfillment orders to ship."""
    geo.locate(country="US", city="Boston")
    ChannelFactory(code="web")
    chicago = LocationFactory(code="chicago", name="Chicago DC", city="Chicago", latitude=41.85, longitude=-87.65)
    newark = LocationFactory(code="newark", name="Newark DC", city="Newark", latitude=40.73, longitude=-74.17)
    for sku in ("SKU-A", "SKU-B"):
        ProductFactory(sku=sku)
        stock_receive(sku=sku, location=chicago.code, quantity=2 * (SHORT_ORDERS + PACKED_ORDERS), actor="test")
    confirmations, packed = [], []
    for index in range(SHORT_ORDERS + PACKED_ORDERS):
        order = order_intake(data=intake_data([("SKU-A", 2), ("SKU-B", 2)]), actor="test").order
        order_start_fulfillment(order_id=order.pk, actor="test")
        fulfillment_orders_create(order_id=order.pk, actor="test")
        fo = FulfillmentOrder.objects.get(order=order)
        (pick_list,) = pick_list_build(location=chicago.code, fulfillment_order_ids=[fo.pk], kind="single", actor="lead")
        lines = sorted(pick_list.lines.select_related("product"), key=lambda line: line.product.sku, reverse=True)  # SKU-B first
        if index < SHORT_ORDERS:
            confirmations.append((pick_list.pk, [PickConfirmation(line.pk, 1) for line in lines]))
        else:
            pick_list_confirm(pick_list_id=pick_list.pk, confirmations=[PickConfirmation(line.pk, 2) for line in lines], actor="picker")
            fulfillment_order_pack(fulfillment_order_id=fo.pk, actor="packer")
            packed.append(fo.pk)
    for sku in ("SKU-A", "SKU-B"):
        stock_receive(sku=sku, location=newark.code, quantity=8, actor="test")
    return confirmations, packed


def test_short_picks_and_shipments_while_intake_sells_the_same_skus_to_the_same_customer_never_deadlock_or_sell_a_unit_twice(short_picks):
    confirmations, packed = short_picks
    buyers = [intake_data([("SKU-A", 1), ("SKU-B", 1)]) for _ in range(24)]
    jobs = [lambda pick_list_id=pick_list_id, c=c: pick_list_confirm(pick_list_id=pick_list_id, confirmations=c, actor="picker") for pick_list_id, c in confirmations]
    jobs += [lambda pk=pk: fulfillment_order_ship(fulfillment_order_id=pk, actor="shipper") for pk in packed]
    jobs += [lambda data=data: order_intake(data=data, actor="api:load") for data in buyers]
    random.Random(9).shuffle(jobs)

    run_in_threads(deal(jobs, threads=12))

    assert stock_invariant_violations() == []
    assert list(DomainEvent.objects.exclude(last_error="").values_list("name", "last_error")) == []  # subscribers ran clean
    assert FulfillmentOrder.objects.filter(pk__in=packed, status="shipped").count() == PACKED_ORDERS
    newark = StockLevel.objects.filter(location__code="newark")
    assert all(level.reserved <= level.on_hand for level in newark)
    # 8 of each at Newark, wanted by 24 buyers and 6 short orders: all of it is promised, once.
    assert newark.aggregate(reserved=Sum("reserved"))["reserved"] == 16
    # Every reserved unit of an order in fulfillment is on an open fulfillment order at its location.
    for allocation in Allocation.objects.filter(line__order__status__in=[OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED]):
        covered = FulfillmentLine.objects.filter(
            order_line=allocation.line, fulfillment_order__location=allocation.location, fulfillment_order__status__in=OPEN_STATUSES
        ).aggregate(units=Sum("quantity"))["units"]
        assert covered == allocation.quantity
    # Units left waiting wait only because no stock is left to promise.
    waiting = OrderLine.objects.filter(order__status=OrderStatus.IN_FULFILLMENT, quantity__gt=F("quantity_shipped") + F("quantity_reserved"))
    atp = available_to_promise({line.product_id for line in waiting})
    assert all(atp[line.product_id] == 0 for line in waiting)

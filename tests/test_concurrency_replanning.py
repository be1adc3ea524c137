"""Rolling re-planning while orders come in and others go to the floor, proven on PostgreSQL with
real threads and real transactions (see ``tests/test_concurrency.py`` for the harness).

``orders.services.replanning.replan_open_orders`` locks its window's orders, then every stock row
of their products, and moves reservations through the ledger. Whatever interleaves with it (new
orders taking the same stock, orders of the window sent to fulfillment, another run), no unit is
reserved twice, nothing deadlocks, an order is never moved once it started fulfillment, and
every counter still equals its ledger.
"""

import random

import pytest
from django.core.cache import cache

from fulfillment.models import FulfillmentOrder
from inventory.services import stock_receive
from oms import geo
from orders.models import Allocation, Channel, Order, OrderEvent, OrderStatus, ReplanRun
from orders.services import order_intake, order_start_fulfillment
from orders.services.replanning import replan_open_orders

from .factories import ChannelFactory, LocationFactory, ProductFactory, intake_data
from .inventory.invariants import stock_invariant_violations
from .test_concurrency import deal, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def far_orders(db):
    """Sixteen Boston orders holding Los Angeles stock (the only stock when they came in); then New
    York, next to the buyers, receives less than all of them want. Re-planning is on."""
    geo.locate(country="US", city="Boston")  # load the place data once, not in every thread
    ChannelFactory(code="web")
    LocationFactory(code="ny", name="New York DC", city="New York", latitude=40.71, longitude=-74.01)
    LocationFactory(code="la", name="Los Angeles DC", city="Los Angeles", latitude=34.05, longitude=-118.24)
    for sku in ("SKU-A", "SKU-B"):
        ProductFactory(sku=sku)
        stock_receive(sku=sku, location="la", quantity=40, actor="dock")
    orders = [order_intake(data=intake_data([("SKU-B", 1), ("SKU-A", 1)]), actor="test").order for _ in range(16)]
    assert {a.location.code for a in Allocation.objects.select_related("location")} == {"la"}
    for sku in ("SKU-A", "SKU-B"):
        stock_receive(sku=sku, location="ny", quantity=12, actor="dock")
    Channel.objects.filter(code="web").update(replan_enabled=True)
    return orders


def test_re_planning_while_orders_come_in_and_go_to_the_floor_never_oversells_deadlocks_or_moves_a_started_order(far_orders, settings):
    settings.OMS_REPLAN_WINDOW_ORDERS = 4  # newcomers fill windows too: intake queues runs of its own (run at once, eager)
    cache.delete_many([f"oms:replan:arrivals:{pk}" for pk in Channel.objects.values_list("pk", flat=True)])
    rng = random.Random(19)
    started = far_orders[::2]
    newcomers = [intake_data([(sku, 1) for sku in rng.sample(["SKU-A", "SKU-B"], rng.randint(1, 2))]) for _ in range(12)]
    jobs = [lambda order=order: order_start_fulfillment(order_id=order.pk, actor="floor") for order in started]
    jobs += [lambda data=data: order_intake(data=data, actor="api:load") for data in newcomers]
    jobs += [lambda: replan_open_orders(actor="job:replan", threshold=0.0) for _ in range(4)]
    rng.shuffle(jobs)

    results = run_in_threads(deal(jobs))

    runs = [result for result in results if hasattr(result, "moved")]
    assert len(runs) == 4 and sum(len(run.moved) for run in runs) > 0  # re-planning did move something
    assert ReplanRun.objects.filter(started_by__startswith="job:replan (window of 4").exists()  # and intake's full windows ran
    for order in Order.objects.filter(pk__in=[o.pk for o in started]):
        assert order.status == OrderStatus.IN_FULFILLMENT
        began = OrderEvent.objects.get(order=order, to_status=OrderStatus.IN_FULFILLMENT).pk
        later = OrderEvent.objects.filter(order=order, pk__gt=began, message__startswith="Re-planned")
        assert not later.exists(), f"{order} was re-planned after it went to the floor"
        held = set(Allocation.objects.filter(line__order=order).values_list("location_id", flat=True))
        assert held == set(FulfillmentOrder.objects.filter(order=order).values_list("location_id", flat=True))
    assert Order.objects.count() == 16 + 12
    assert stock_invariant_violations() == []  # no oversell, nothing negative, counters equal the ledger

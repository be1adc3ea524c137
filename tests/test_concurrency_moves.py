"""Moving reservations while others reserve the same stock, proven on PostgreSQL with real
threads and real transactions (see ``tests/test_concurrency.py`` for the harness).

``orders.services.order_reservation_move`` moves an order line's reserved units from one location
to another; fulfillment orders move through it line by line. Whatever interleaves with it (new
orders reserving the same stock, the same fulfillment order moved from several sessions, the
same units moved twice), no unit is reserved twice, no counter goes negative, no transaction
deadlocks and every counter still equals its ledger.
"""

import random

import pytest
from django.db.models import Sum

from fulfillment.models import FulfillmentOrder
from fulfillment.services import fulfillment_order_move
from inventory.models import Location, StockLevel
from inventory.services import stock_receive
from oms import geo
from oms.errors import DomainError, InsufficientStock, InvalidInput
from orders.models import Allocation, Order, OrderEvent, OrderStatus
from orders.services import order_intake, order_reservation_move, order_start_fulfillment

from .factories import ChannelFactory, LocationFactory, ProductFactory, intake_data
from .inventory.invariants import stock_invariant_violations
from .test_concurrency import deal, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def network(db):
    """New York (nearest the Boston buyers), Chicago and Los Angeles; SKU-A and SKU-B."""
    geo.locate(country="US", city="Boston")  # load the place data once, not in every thread
    ChannelFactory(code="web")
    locations = {
        "ny": LocationFactory(code="ny", name="New York DC", city="New York", latitude=40.71, longitude=-74.01),
        "chi": LocationFactory(code="chi", name="Chicago DC", city="Chicago", latitude=41.85, longitude=-87.65),
        "la": LocationFactory(code="la", name="Los Angeles DC", city="Los Angeles", latitude=34.05, longitude=-118.24),
    }
    ProductFactory(sku="SKU-A")
    ProductFactory(sku="SKU-B")
    return locations


def receive(**per_sku: dict[str, int]) -> None:
    for sku, per_location in per_sku.items():
        for location, quantity in per_location.items():
            stock_receive(sku=sku, location=location, quantity=quantity, actor="dock")


def in_fulfillment(lines) -> FulfillmentOrder:
    """An allocated order sent to fulfillment (its fulfillment order is created after commit)."""
    order = order_intake(data=intake_data(lines), actor="test").order
    assert order.status == OrderStatus.ALLOCATED
    order_start_fulfillment(order_id=order.pk, actor="test")
    return FulfillmentOrder.objects.get(order=order)


def reserved() -> dict[tuple[str, str], int]:
    return {(sku, code): units for sku, code, units in StockLevel.objects.values_list("product__sku", "location__code", "reserved")}


def held_where(fulfillment_order: FulfillmentOrder) -> set[int]:
    return set(Allocation.objects.filter(line__order_id=fulfillment_order.order_id).values_list("location_id", flat=True))


def test_fulfillment_orders_moving_while_new_orders_take_the_same_stock_never_oversell_or_deadlock(network):
    # New York holds exactly what the first 16 orders take, so the newcomers and the moves all
    # compete for the little Chicago and Los Angeles have. Lines name SKU-B before SKU-A: a move
    # reaches SKU-B's stock rows first while intake locks SKU-A's first (primary-key order).
    receive(**{"SKU-A": {"ny": 16, "chi": 9, "la": 7}, "SKU-B": {"ny": 32, "chi": 9, "la": 7}})
    moving = [in_fulfillment([("SKU-B", 2), ("SKU-A", 1)]) for _ in range(16)]
    assert {fo.location.code for fo in moving} == {"ny"}
    rng = random.Random(41)
    newcomers = [intake_data([(sku, rng.randint(1, 2)) for sku in rng.sample(["SKU-A", "SKU-B"], rng.randint(1, 2))]) for _ in range(24)]
    jobs = [
        lambda fo=fo, to=network["chi" if i % 2 else "la"]: fulfillment_order_move(fulfillment_order_id=fo.pk, to_location_id=to.pk, actor="planner")
        for i, fo in enumerate(moving)
    ]
    jobs += [lambda data=data: order_intake(data=data, actor="api:load") for data in newcomers]
    random.Random(43).shuffle(jobs)

    results = run_in_threads(deal(jobs), expected=(InsufficientStock,))

    refused = [result for result in results if isinstance(result, InsufficientStock)]
    moved = [fo for fo in FulfillmentOrder.objects.filter(pk__in=[fo.pk for fo in moving]) if fo.location.code != "ny"]
    assert refused and moved  # both outcomes happened: the stock really was contested
    assert len(moved) + len(refused) == len(moving)
    for fo in FulfillmentOrder.objects.filter(pk__in=[fo.pk for fo in moving]):
        assert held_where(fo) == {fo.location_id}, f"{fo.number} is at {fo.location.code} but its units are held elsewhere"
    assert Order.objects.count() == 16 + 24
    assert stock_invariant_violations() == []  # no oversell, nothing negative, counters equal the ledger


def test_the_same_fulfillment_order_moved_from_eight_sessions_at_once_ends_in_one_place(network):
    receive(**{"SKU-A": {"ny": 4, "chi": 4, "la": 4}, "SKU-B": {"ny": 4, "chi": 4, "la": 4}})
    fo = in_fulfillment([("SKU-B", 3), ("SKU-A", 2)])
    targets = [network["chi"], network["la"]] * 4

    results = run_in_threads(
        [[lambda to=to: fulfillment_order_move(fulfillment_order_id=fo.pk, to_location_id=to.pk, actor="planner")] for to in targets],
        expected=(InvalidInput,),  # "already at": the session before it moved it there
    )

    done = [result for result in results if isinstance(result, FulfillmentOrder)]
    assert done, results
    final = FulfillmentOrder.objects.get(pk=fo.pk).location
    assert held_where(fo) == {final.pk}
    assert {key: units for key, units in reserved().items() if units} == {("SKU-A", final.code): 2, ("SKU-B", final.code): 3}
    moves = OrderEvent.objects.filter(order_id=fo.order_id, data__has_key="reservation_move").count()
    assert moves == 2 * len(done)  # each move that happened moved both lines, once
    assert stock_invariant_violations() == []


def test_the_same_units_moved_twice_at_once_move_once(network):
    receive(**{"SKU-A": {"ny": 3, "la": 3}})
    order = order_intake(data=intake_data([("SKU-A", 3)]), actor="test").order
    line = order.lines.get()
    ny, la = network["ny"], network["la"]
    move = lambda: order_reservation_move(  # noqa: E731
        order_id=order.pk, line_id=line.pk, from_location_id=ny.pk, to_location_id=la.pk, quantity=3, actor="planner"
    )

    results = run_in_threads([[move] for _ in range(8)], expected=(DomainError,))

    refusals = [result for result in results if isinstance(result, DomainError)]
    assert len(refusals) == 7 and {refusal.code for refusal in refusals} == {"exceeds_reserved"}
    assert reserved() == {("SKU-A", "ny"): 0, ("SKU-A", "la"): 3}
    assert list(Allocation.objects.filter(line=line).values_list("location_id", "quantity")) == [(la.pk, 3)]
    assert stock_invariant_violations() == []


def test_moves_in_both_directions_at_once_never_deadlock(network):
    # Half the orders move New York -> Los Angeles while the other half move Los Angeles -> New
    # York, each line of two products, with intake taking from both places in between.
    # Enough everywhere that every move can succeed whoever goes first: this one is about locks.
    receive(**{"SKU-A": {"ny": 40, "la": 40}, "SKU-B": {"ny": 40, "la": 40}})
    east = [in_fulfillment([("SKU-B", 1), ("SKU-A", 1)]) for _ in range(8)]
    Location.objects.filter(code="ny").update(is_active=False)  # the next orders route to Los Angeles
    west = [in_fulfillment([("SKU-A", 1), ("SKU-B", 1)]) for _ in range(8)]
    Location.objects.filter(code="ny").update(is_active=True)
    assert {fo.location.code for fo in west} == {"la"}
    ny, la = network["ny"], network["la"]
    jobs = [lambda fo=fo: fulfillment_order_move(fulfillment_order_id=fo.pk, to_location_id=la.pk, actor="planner") for fo in east]
    jobs += [lambda fo=fo: fulfillment_order_move(fulfillment_order_id=fo.pk, to_location_id=ny.pk, actor="planner") for fo in west]
    jobs += [lambda: order_intake(data=intake_data([("SKU-A", 1), ("SKU-B", 1)]), actor="api:load") for _ in range(16)]
    random.Random(47).shuffle(jobs)

    run_in_threads(deal(jobs))

    assert {FulfillmentOrder.objects.get(pk=fo.pk).location.code for fo in east} == {"la"}
    assert {FulfillmentOrder.objects.get(pk=fo.pk).location.code for fo in west} == {"ny"}
    units = StockLevel.objects.aggregate(reserved=Sum("reserved"))["reserved"]
    assert units == (16 + 16) * 2
    assert stock_invariant_violations() == []

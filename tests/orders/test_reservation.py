"""Where an order's stock is reserved: one nearby location if it can, as few as possible if not,
backorders for the rest, served first-come-first-served when stock arrives."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Location, StockLevel
from inventory.services import (
    stock_adjust,
    stock_quarantine,
    stock_receive,
    stock_set_safety,
    stock_transfer_create,
    stock_transfer_dispatch,
    stock_transfer_receive,
)
from oms.errors import DomainError
from orders.models import Allocation, Order, OrderStatus
from orders.services import order_cancel, order_ship, order_start_fulfillment

from ..factories import LocationFactory, ProductFactory, address, place_order
from .conftest import fresh

BOSTON = address()
LOS_ANGELES = address(city="Los Angeles", region="CA", postal_code="90012")


@pytest.fixture
def sites(warehouse):
    """Three warehouses: New York, Chicago (the default one) and Los Angeles."""
    return {
        "ny": LocationFactory(code="ny", name="New York DC", city="New York", latitude=40.71, longitude=-74.01),
        "chicago": warehouse,
        "la": LocationFactory(code="la", name="Los Angeles DC", city="Los Angeles", latitude=34.05, longitude=-118.24),
    }


def stock(sku: str, **per_location: int) -> None:
    ProductFactory(sku=sku)
    for location, quantity in per_location.items():
        stock_receive(sku=sku, location=location, quantity=quantity, actor="test")


def reserved_at(order) -> dict[tuple[str, str], int]:
    """``{(sku, location code): units}`` the order holds."""
    return {
        (a.line.sku, a.location.code): a.quantity
        for a in Allocation.objects.filter(line__order=order).select_related("line", "location")
    }


def test_the_nearest_location_that_has_everything_ships_it(sites):
    stock("SKU-A", ny=5, la=5, chicago=5)

    east = place_order([("SKU-A", 2)], shipping_address=BOSTON)
    west = place_order([("SKU-A", 2)], shipping_address=LOS_ANGELES)

    assert reserved_at(east) == {("SKU-A", "ny"): 2}
    assert reserved_at(west) == {("SKU-A", "la"): 2}


def test_one_location_with_the_whole_order_beats_a_nearer_one_with_part_of_it(sites):
    stock("SKU-A", ny=5, la=5)
    stock("SKU-B", la=5)

    order = place_order([("SKU-A", 2), ("SKU-B", 1)], shipping_address=BOSTON)

    assert order.status == OrderStatus.ALLOCATED
    assert reserved_at(order) == {("SKU-A", "la"): 2, ("SKU-B", "la"): 1}


def test_when_no_location_has_everything_the_order_splits_over_as_few_as_possible(sites):
    # Nearest-first would use all three (A from New York, B from Chicago, C from Los Angeles);
    # Los Angeles has B and C, so two parcels are enough.
    stock("SKU-A", ny=5)
    stock("SKU-B", chicago=5, la=5)
    stock("SKU-C", la=5)

    order = place_order([("SKU-A", 1), ("SKU-B", 1), ("SKU-C", 1)], shipping_address=BOSTON)

    assert order.status == OrderStatus.ALLOCATED
    assert reserved_at(order) == {("SKU-A", "ny"): 1, ("SKU-B", "la"): 1, ("SKU-C", "la"): 1}


def test_a_line_no_single_location_covers_is_split_nearest_first(sites):
    stock("SKU-A", ny=2, chicago=2, la=5)

    order = place_order([("SKU-A", 4)], shipping_address=BOSTON)

    # Los Angeles alone covers it and whole-order cover wins over distance.
    assert reserved_at(order) == {("SKU-A", "la"): 4}

    second = place_order([("SKU-A", 3)], shipping_address=BOSTON)  # LA has 1 left, NY 2, Chicago 2

    assert reserved_at(second) == {("SKU-A", "ny"): 2, ("SKU-A", "chicago"): 1}


def test_what_nobody_has_is_backordered_and_the_rest_stays_reserved(sites):
    stock("SKU-A", ny=3)
    stock("SKU-B")

    order = place_order([("SKU-A", 5), ("SKU-B", 2)], shipping_address=BOSTON)

    assert order.status == OrderStatus.BACKORDERED
    assert reserved_at(order) == {("SKU-A", "ny"): 3}
    assert [(line.sku, line.quantity_reserved, line.quantity_open) for line in order.lines.order_by("line_number")] == [
        ("SKU-A", 3, 2),
        ("SKU-B", 0, 2),
    ]
    assert StockLevel.objects.get(product__sku="SKU-A", location__code="ny").reserved == 3


def test_a_receipt_serves_backorders_oldest_first(sites, django_capture_on_commit_callbacks):
    stock("SKU-A")
    stock("SKU-B")
    now = timezone.now()
    # The newer order is recorded first: placement time, not arrival order, decides.
    newer = place_order([("SKU-A", 2)], placed_at=now - timedelta(hours=1))
    older = place_order([("SKU-A", 2)], placed_at=now - timedelta(hours=2))
    oldest_but_partly_served = place_order([("SKU-A", 1), ("SKU-B", 1)], placed_at=now - timedelta(hours=3))
    assert {fresh(o).status for o in (newer, older)} == {OrderStatus.BACKORDERED}

    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(sku="SKU-A", location="ny", quantity=3, actor="receiving:dock-1")

    assert fresh(oldest_but_partly_served).status == OrderStatus.BACKORDERED  # SKU-B still missing
    assert reserved_at(oldest_but_partly_served) == {("SKU-A", "ny"): 1}
    assert fresh(older).status == OrderStatus.ALLOCATED
    assert fresh(newer).status == OrderStatus.BACKORDERED
    assert StockLevel.objects.get(product__sku="SKU-A", location__code="ny").reserved == 3


def test_stock_freed_by_a_cancellation_goes_to_the_waiting_backorder(sites, django_capture_on_commit_callbacks):
    stock("SKU-A", ny=2)
    first = place_order([("SKU-A", 2)])
    waiting = place_order([("SKU-A", 2)])
    assert fresh(waiting).status == OrderStatus.BACKORDERED

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=first.pk, actor="test")

    assert fresh(waiting).status == OrderStatus.ALLOCATED


def test_a_received_transfer_serves_backorders(sites, django_capture_on_commit_callbacks):
    LocationFactory(code="overflow", name="Overflow store", can_ship=False)
    stock("SKU-A", overflow=4)
    waiting = place_order([("SKU-A", 2)])
    assert fresh(waiting).status == OrderStatus.BACKORDERED
    transfer = stock_transfer_create(source="overflow", destination="ny", lines=[("SKU-A", 2)], actor="test")
    stock_transfer_dispatch(transfer_id=transfer.pk, actor="test")
    assert fresh(waiting).status == OrderStatus.BACKORDERED  # incoming is not yet sellable

    with django_capture_on_commit_callbacks(execute=True):
        stock_transfer_receive(transfer_id=transfer.pk, actor="test")

    assert fresh(waiting).status == OrderStatus.ALLOCATED
    assert reserved_at(waiting) == {("SKU-A", "ny"): 2}


def test_safety_stock_is_not_sold(sites):
    stock("SKU-A", ny=5)
    stock_set_safety(sku="SKU-A", location="ny", safety_stock=3, actor="test")

    order = place_order([("SKU-A", 5)])

    assert order.status == OrderStatus.BACKORDERED
    assert reserved_at(order) == {("SKU-A", "ny"): 2}


def test_quarantined_stock_is_not_sold(sites):
    stock("SKU-A", ny=5)
    stock_quarantine(sku="SKU-A", location="ny", quantity=4, reason="water damage", actor="test")

    order = place_order([("SKU-A", 2)])

    assert order.status == OrderStatus.BACKORDERED
    assert reserved_at(order) == {("SKU-A", "ny"): 1}


@pytest.mark.parametrize("closed", [{"is_active": False}, {"can_ship": False}], ids=["inactive", "does-not-ship"])
def test_stock_at_a_location_that_cannot_ship_is_not_used(sites, closed):
    stock("SKU-A", ny=5, la=1)
    Location.objects.filter(code="ny").update(**closed)

    order = place_order([("SKU-A", 2)], shipping_address=BOSTON)

    assert order.status == OrderStatus.BACKORDERED
    assert reserved_at(order) == {("SKU-A", "la"): 1}


def test_a_negative_adjustment_cannot_take_reserved_stock(sites):
    stock("SKU-A", ny=2)
    place_order([("SKU-A", 2)])

    with pytest.raises(DomainError, match="below what is reserved"):
        stock_adjust(sku="SKU-A", location="ny", quantity=-1, reason="count", actor="test")


def test_a_split_order_ships_from_each_of_its_locations(sites):
    stock("SKU-A", ny=2, chicago=2)
    order = place_order([("SKU-A", 3)])
    assert reserved_at(order) == {("SKU-A", "ny"): 2, ("SKU-A", "chicago"): 1}
    order_start_fulfillment(order_id=order.pk, actor="test")

    order_ship(order_id=order.pk, actor="test")

    levels = {level.location.code: (level.on_hand, level.reserved) for level in StockLevel.objects.select_related("location")}
    assert levels == {"ny": (0, 0), "chicago": (1, 0)}


def test_the_same_sku_on_two_lines_never_reserves_more_than_there_is(sites):
    stock("SKU-A", ny=4)

    order = place_order([("SKU-A", 2), ("SKU-A", 3)])

    assert order.status == OrderStatus.BACKORDERED
    assert sum(line.quantity_reserved for line in order.lines.all()) == 4
    assert StockLevel.objects.get(product__sku="SKU-A", location__code="ny").reserved == 4


def test_without_coordinates_the_location_priority_decides(warehouse):
    LocationFactory(code="store-b", latitude=None, longitude=None, priority=50)
    LocationFactory(code="store-a", latitude=None, longitude=None, priority=20)
    Location.objects.filter(code="chicago").update(is_active=False)
    stock("SKU-A", **{"store-a": 5, "store-b": 5})

    order = place_order([("SKU-A", 1)])

    assert reserved_at(order) == {("SKU-A", "store-a"): 1}


def test_given_a_backorder_whose_stock_arrived_unannounced_when_the_sweep_runs_then_it_is_allocated(stocked, warehouse):
    from inventory.models import StockLevel, StockMovement
    from orders.services.allocation import backorders_sweep

    stocked("SKU-SWEEP", 0)
    waiting = place_order([("SKU-SWEEP", 2)])
    assert waiting.status == OrderStatus.BACKORDERED
    # A receipt whose event never reached the orders app (no on-commit callbacks run here).
    stock_receive(sku="SKU-SWEEP", location=warehouse.code, quantity=5, actor="test")
    assert Order.objects.get(pk=waiting.pk).status == OrderStatus.BACKORDERED

    served = backorders_sweep()

    assert served == 1
    assert Order.objects.get(pk=waiting.pk).status == OrderStatus.ALLOCATED
    assert StockLevel.objects.get(product__sku="SKU-SWEEP").reserved == 2
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RESERVATION, product__sku="SKU-SWEEP").exists()

"""Moving, splitting and merging pending fulfillment orders: reservations follow the units."""

import pytest

from fulfillment.models import FulfillmentOrder, FulfillmentStatus
from fulfillment.services import (
    fulfillment_order_move,
    fulfillment_order_picking_start,
    fulfillment_order_split,
    fulfillment_orders_merge,
)
from inventory.models import StockMovement
from oms.errors import InsufficientStock, InvalidInput, InvalidTransition
from orders.models import Allocation, OrderEvent

from .fulfillment_support import east, fresh, fresh_fo, in_fulfillment, ledger_reconciles, receive, stock_at  # noqa: F401


def test_given_a_pending_fulfillment_order_when_it_moves_then_its_reservations_move_and_the_audit_trail_says_so(
    receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    receive("SKU-A", 4, east)
    fo = FulfillmentOrder.objects.get(order=order)
    version = fresh(order).version

    fulfillment_order_move(fulfillment_order_id=fo.pk, to_location_id=east.pk, actor="planner")

    assert fresh_fo(fo).location_id == east.pk
    assert stock_at("SKU-A", warehouse) == (5, 0) and stock_at("SKU-A", east) == (4, 2)
    assert list(Allocation.objects.filter(line__order=order).values_list("location_id", "quantity")) == [(east.pk, 2)]
    assert OrderEvent.objects.filter(order=order, data__has_key="reservation_move").count() == 1
    assert OrderEvent.objects.filter(order=order, message=f"{fo.number} moved to newark").exists()
    assert fresh(order).version > version


def test_given_a_target_without_enough_stock_when_a_fulfillment_order_moves_then_it_is_refused_and_nothing_moves(
    receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 5, warehouse)
    receive("SKU-B", 5, warehouse)
    order = in_fulfillment([("SKU-A", 2), ("SKU-B", 2)])
    receive("SKU-A", 4, east)
    receive("SKU-B", 1, east)  # one short
    fo = FulfillmentOrder.objects.get(order=order)
    movements = StockMovement.objects.count()

    with pytest.raises(InsufficientStock):
        fulfillment_order_move(fulfillment_order_id=fo.pk, to_location_id=east.pk, actor="planner")

    assert fresh_fo(fo).location_id == warehouse.pk
    assert stock_at("SKU-A", east) == (4, 0) and stock_at("SKU-A", warehouse) == (5, 2)
    assert StockMovement.objects.count() == movements


def test_given_a_fulfillment_order_in_picking_when_it_moves_then_it_is_refused(receive, warehouse, east, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    receive("SKU-A", 5, east)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 2)]))
    fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor="picker")

    with pytest.raises(InvalidTransition, match="only a pending one can be moved"):
        fulfillment_order_move(fulfillment_order_id=fo.pk, to_location_id=east.pk, actor="planner")


def test_given_a_fulfillment_order_when_units_are_split_to_another_location_then_a_new_one_ships_them_from_there(
    receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 5, warehouse)
    receive("SKU-B", 5, warehouse)
    order = in_fulfillment([("SKU-A", 3), ("SKU-B", 1)])
    receive("SKU-A", 5, east)
    fo = FulfillmentOrder.objects.get(order=order)
    line_a = fo.lines.get(product__sku="SKU-A")

    split = fulfillment_order_split(fulfillment_order_id=fo.pk, lines={line_a.pk: 2}, to_location_id=east.pk, actor="planner")

    assert split.number == f"{order.number}-2" and split.location_id == east.pk
    assert [(li.product.sku, li.quantity) for li in split.lines.all()] == [("SKU-A", 2)]
    assert sorted((li.product.sku, li.quantity) for li in fresh_fo(fo).lines.all()) == [("SKU-A", 1), ("SKU-B", 1)]
    assert stock_at("SKU-A", warehouse) == (5, 1) and stock_at("SKU-A", east) == (5, 2)
    assert OrderEvent.objects.filter(order=order, message=f"{split.number} split off {fo.number}").exists()


def test_given_a_fulfillment_order_when_every_unit_is_split_off_then_it_is_refused_as_a_move(receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 2)]))
    line = fo.lines.get()

    with pytest.raises(InvalidInput, match="move the fulfillment order instead"):
        fulfillment_order_split(fulfillment_order_id=fo.pk, lines={line.pk: 2}, actor="planner")
    with pytest.raises(InvalidInput, match="cannot be split off"):
        fulfillment_order_split(fulfillment_order_id=fo.pk, lines={line.pk: 3}, actor="planner")
    assert FulfillmentOrder.objects.filter(order=fo.order).count() == 1


def test_given_a_split_at_the_same_location_when_merged_back_then_one_fulfillment_order_holds_every_unit(receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 3)])
    fo = FulfillmentOrder.objects.get(order=order)
    split = fulfillment_order_split(fulfillment_order_id=fo.pk, lines={fo.lines.get().pk: 1}, actor="planner")
    movements = StockMovement.objects.count()

    survivor = fulfillment_orders_merge(fulfillment_order_ids=[split.pk, fo.pk], actor="planner")

    assert survivor.pk == fo.pk
    assert [li.quantity for li in fresh_fo(fo).lines.all()] == [3]
    assert fresh_fo(split).status == FulfillmentStatus.CANCELLED and fresh_fo(split).cancel_reason == f"merged into {fo.number}"
    assert not fresh_fo(split).lines.exists()
    assert StockMovement.objects.count() == movements  # nothing moved in stock
    assert OrderEvent.objects.filter(order=order, message=f"{split.number} merged into {fo.number}").exists()


def test_given_fulfillment_orders_at_different_locations_when_merged_then_it_is_refused(receive, warehouse, east, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    receive("SKU-B", 5, east)
    order = in_fulfillment([("SKU-A", 1), ("SKU-B", 1)])
    ids = list(FulfillmentOrder.objects.filter(order=order).values_list("pk", flat=True))

    with pytest.raises(InvalidInput, match="same location"):
        fulfillment_orders_merge(fulfillment_order_ids=ids, actor="planner")
    assert FulfillmentOrder.objects.filter(order=order, status=FulfillmentStatus.PENDING).count() == 2

"""Fulfillment orders: created from the order's reservations, their lifecycle, holds and how
they drive the order's status."""

import pytest

from fulfillment.models import FulfillmentHoldReason, FulfillmentOrder, FulfillmentStatus
from fulfillment.services import (
    fulfillment_order_cancel,
    fulfillment_order_deliver,
    fulfillment_order_hold_place,
    fulfillment_order_holds_release,
    fulfillment_order_pack,
    fulfillment_order_picking_start,
    fulfillment_order_ship,
    fulfillment_orders_create,
)
from oms.errors import DomainError, InvalidTransition
from oms.events import event_dispatch_now
from oms.models import DomainEvent
from orders.models import OrderEvent, OrderStatus
from orders.services import order_cancel

from .fulfillment_support import east, fresh, fresh_fo, in_fulfillment, ledger_reconciles, receive, stock_at  # noqa: F401


def packed(fulfillment_order, quantities=None):
    fulfillment_order_picking_start(fulfillment_order_id=fulfillment_order.pk, actor="picker")
    return fulfillment_order_pack(fulfillment_order_id=fulfillment_order.pk, actor="packer", quantities=quantities)


def test_given_an_order_reserved_at_two_locations_when_it_enters_fulfillment_then_each_location_gets_one_pending_fulfillment_order(
    receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 2, warehouse)
    receive("SKU-B", 1, east)

    order = in_fulfillment([("SKU-A", 2), ("SKU-B", 1)])

    fos = list(FulfillmentOrder.objects.filter(order=order).order_by("sequence"))
    assert [(fo.number, fo.status) for fo in fos] == [(f"{order.number}-1", "pending"), (f"{order.number}-2", "pending")]
    assert {fo.location_id: [(line.product.sku, line.quantity) for line in fo.lines.all()] for fo in fos} == {
        warehouse.pk: [("SKU-A", 2)], east.pk: [("SKU-B", 1)],
    }
    assert DomainEvent.objects.filter(name="fulfillment.created", stream=f"order:{order.pk}").count() == 2
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.NOTE, message__startswith="Fulfillment orders created").exists()


def test_given_fulfillment_orders_exist_when_the_event_is_dispatched_again_or_an_operator_asks_then_nothing_more_is_created(
    receive, warehouse, in_fulfillment
):
    receive("SKU-A", 2, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    started = DomainEvent.objects.get(name="order.fulfillment_started", stream=f"order:{order.pk}")
    DomainEvent.objects.filter(pk=started.pk).update(dispatched_at=None)

    event_dispatch_now(started.pk)
    created = fulfillment_orders_create(order_id=order.pk, actor="operator")

    assert created == []
    assert FulfillmentOrder.objects.filter(order=order).count() == 1


def test_given_an_allocated_order_when_an_operator_creates_fulfillment_orders_then_none_are_made_until_it_is_in_fulfillment(receive, warehouse):
    from ..factories import place_order

    receive("SKU-A", 2, warehouse)
    order = place_order([("SKU-A", 2)])

    assert fulfillment_orders_create(order_id=order.pk, actor="operator") == []
    assert not FulfillmentOrder.objects.filter(order=order).exists()


def test_given_two_fulfillment_orders_when_one_ships_then_the_order_is_partially_shipped_and_stock_leaves_that_location_only(
    receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 5, warehouse)
    receive("SKU-B", 5, east)
    order = in_fulfillment([("SKU-A", 2), ("SKU-B", 1)])
    first, second = FulfillmentOrder.objects.filter(order=order).order_by("sequence")

    fulfillment_order_ship(fulfillment_order_id=packed(first).pk, actor="dock", tracking_number="1Z999")

    assert fresh(order).status == OrderStatus.PARTIALLY_SHIPPED
    assert fresh_fo(first).status == FulfillmentStatus.SHIPPED and fresh_fo(first).tracking_number == "1Z999"
    assert stock_at("SKU-A", warehouse) == (3, 0)
    assert stock_at("SKU-B", east) == (5, 1)
    assert [line.quantity_shipped for line in fresh_fo(first).lines.all()] == [2]

    fulfillment_order_ship(fulfillment_order_id=packed(second).pk, actor="dock")

    assert fresh(order).status == OrderStatus.SHIPPED
    assert DomainEvent.objects.filter(name="fulfillment.shipped", stream=f"order:{order.pk}").count() == 2


def test_given_every_fulfillment_order_shipped_when_each_is_delivered_then_the_order_is_delivered_with_the_last(
    receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 5, warehouse)
    receive("SKU-B", 5, east)
    order = in_fulfillment([("SKU-A", 2), ("SKU-B", 1)])
    first, second = FulfillmentOrder.objects.filter(order=order).order_by("sequence")
    for fo in (first, second):
        fulfillment_order_ship(fulfillment_order_id=packed(fo).pk, actor="dock")

    fulfillment_order_deliver(fulfillment_order_id=first.pk, actor="carrier")
    assert fresh(order).status == OrderStatus.SHIPPED

    fulfillment_order_deliver(fulfillment_order_id=second.pk, actor="carrier")
    assert fresh(order).status == OrderStatus.DELIVERED
    assert DomainEvent.objects.filter(name="fulfillment.delivered", stream=f"order:{order.pk}").count() == 2


def test_given_a_short_pack_when_the_fulfillment_order_ships_then_the_rest_stays_reserved_on_a_new_pending_one(receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 3)])
    fo = FulfillmentOrder.objects.get(order=order)
    line = fo.lines.get()

    fulfillment_order_ship(fulfillment_order_id=packed(fo, {line.pk: 2}).pk, actor="dock")

    rest = FulfillmentOrder.objects.get(order=order, status=FulfillmentStatus.PENDING)
    assert rest.number == f"{order.number}-2" and [li.quantity for li in rest.lines.all()] == [1]
    assert [(li.quantity, li.quantity_shipped) for li in fresh_fo(fo).lines.all()] == [(2, 2)]
    assert fresh(order).status == OrderStatus.PARTIALLY_SHIPPED
    assert stock_at("SKU-A", warehouse) == (3, 1)


def test_given_a_pending_fulfillment_order_when_it_is_shipped_before_packing_then_it_is_refused_and_nothing_changes(receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    fo = FulfillmentOrder.objects.get(order=order)

    with pytest.raises(InvalidTransition, match="pending; it cannot ship"):
        fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")

    assert fresh_fo(fo).status == FulfillmentStatus.PENDING
    assert fresh(order).status == OrderStatus.IN_FULFILLMENT
    assert stock_at("SKU-A", warehouse) == (5, 2)


def test_given_a_held_fulfillment_order_when_picking_starts_then_it_is_refused_until_the_hold_is_released(receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    fo = FulfillmentOrder.objects.get(order=order)
    fulfillment_order_hold_place(fulfillment_order_id=fo.pk, reason=FulfillmentHoldReason.ADDRESS_CHECK, detail="flat number missing", actor="cs")

    with pytest.raises(DomainError, match="on hold \\(address to be checked\\)") as refused:
        fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor="picker")
    assert refused.value.code == "fulfillment_held"
    assert fresh_fo(fo).status == FulfillmentStatus.PENDING and fresh_fo(fo).is_held

    fulfillment_order_holds_release(fulfillment_order_id=fo.pk, actor="cs", note="customer confirmed")
    fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor="picker")

    assert fresh_fo(fo).status == FulfillmentStatus.PICKING and not fresh_fo(fo).is_held
    assert OrderEvent.objects.filter(order=order, message__contains="hold released: customer confirmed").exists()


def test_given_a_fulfillment_order_already_held_for_a_reason_when_held_again_for_it_then_it_is_refused(receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 2)]))
    fulfillment_order_hold_place(fulfillment_order_id=fo.pk, reason="manual", actor="cs")

    with pytest.raises(DomainError, match="already on hold for manual"):
        fulfillment_order_hold_place(fulfillment_order_id=fo.pk, reason="manual", actor="cs")
    assert fo.holds.count() == 1


def test_given_an_order_in_fulfillment_when_it_is_cancelled_then_its_open_fulfillment_orders_are_cancelled_and_stock_returns(
    receive, warehouse, east, in_fulfillment, django_capture_on_commit_callbacks
):
    receive("SKU-A", 5, warehouse)
    receive("SKU-B", 5, east)
    order = in_fulfillment([("SKU-A", 2), ("SKU-B", 1)])

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor="cs", reason="customer changed mind")

    assert set(FulfillmentOrder.objects.filter(order=order).values_list("status", flat=True)) == {FulfillmentStatus.CANCELLED}
    assert stock_at("SKU-A", warehouse) == (5, 0) and stock_at("SKU-B", east) == (5, 0)
    assert DomainEvent.objects.filter(name="fulfillment.cancelled", stream=f"order:{order.pk}").count() == 2


def test_given_an_open_order_when_one_of_its_fulfillment_orders_is_cancelled_then_it_is_refused_with_what_to_do_instead(
    receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 5, warehouse)
    receive("SKU-B", 5, east)
    order = in_fulfillment([("SKU-A", 2), ("SKU-B", 1)])
    first = FulfillmentOrder.objects.filter(order=order).order_by("sequence").first()

    with pytest.raises(DomainError, match="Move or split it to another location, or cancel the order") as refused:
        fulfillment_order_cancel(fulfillment_order_id=first.pk, actor="cs", cancel_order=True)

    assert refused.value.code == "order_still_open"
    assert fresh_fo(first).status == FulfillmentStatus.PENDING
    assert fresh(order).status == OrderStatus.IN_FULFILLMENT


def test_given_the_last_open_fulfillment_order_when_it_is_cancelled_with_its_order_then_both_are_cancelled_and_stock_returns(
    receive, warehouse, in_fulfillment
):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    fo = FulfillmentOrder.objects.get(order=order)

    with pytest.raises(DomainError, match="still open"):
        fulfillment_order_cancel(fulfillment_order_id=fo.pk, actor="cs")
    fulfillment_order_cancel(fulfillment_order_id=fo.pk, actor="cs", reason="fraud", cancel_order=True)

    assert fresh_fo(fo).status == FulfillmentStatus.CANCELLED and fresh_fo(fo).cancel_reason == "fraud"
    assert fresh(order).status == OrderStatus.CANCELLED
    assert stock_at("SKU-A", warehouse) == (5, 0)


def test_given_a_shipped_fulfillment_order_when_cancelled_then_it_is_refused(receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    fo = FulfillmentOrder.objects.get(order=order)
    fulfillment_order_ship(fulfillment_order_id=packed(fo).pk, actor="dock")

    with pytest.raises(InvalidTransition, match="shipped; it cannot be cancelled"):
        fulfillment_order_cancel(fulfillment_order_id=fo.pk, actor="cs", cancel_order=True)
    assert fresh(order).status == OrderStatus.SHIPPED


def test_given_fulfillment_events_when_recorded_then_they_are_numbered_in_the_order_stream_after_the_order_events(receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 2)])

    sequences = list(DomainEvent.objects.filter(stream=f"order:{order.pk}").order_by("sequence").values_list("name", "sequence"))

    assert [n for n, _ in sequences][-1] == "fulfillment.created"
    assert [s for _, s in sequences] == list(range(1, len(sequences) + 1))

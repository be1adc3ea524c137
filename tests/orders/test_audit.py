"""The audit trail: who changed an order or stock, when, and from what to what."""

import pytest

from inventory.models import StockMovement
from inventory.services import stock_adjust, stock_receive
from orders.models import HoldReason, OrderEvent, OrderStatus
from orders.services import (
    order_cancel,
    order_complete,
    order_deliver,
    order_hold_place,
    order_hold_release,
    order_note_add,
    order_ship,
    order_start_fulfillment,
)

from ..factories import ProductFactory, place_order


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_user(username="clerk", password="x")


def test_a_full_lifecycle_leaves_an_unbroken_chain_of_status_changes_with_their_actors(stocked, clerk):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)], actor="api:webshop")

    order_start_fulfillment(order_id=order.pk, actor=clerk)
    order_ship(order_id=order.pk, actor=clerk)
    order_deliver(order_id=order.pk, actor="job:tracking")
    order_complete(order_id=order.pk, actor="job:tracking")

    changes = list(OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.STATUS).order_by("id"))
    assert [(e.from_status, e.to_status) for e in changes] == [
        (OrderStatus.PENDING, OrderStatus.ALLOCATED),
        (OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT),
        (OrderStatus.IN_FULFILLMENT, OrderStatus.SHIPPED),
        (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
        (OrderStatus.DELIVERED, OrderStatus.COMPLETED),
    ]
    assert [(e.actor_id, e.actor_label) for e in changes] == [
        (None, "api:webshop"),
        (clerk.pk, "clerk"),
        (clerk.pk, "clerk"),
        (None, "job:tracking"),
        (None, "job:tracking"),
    ]
    assert all(e.created_at is not None for e in changes)


def test_intake_records_creation_reservation_and_status_by_the_api_key(stocked):
    stocked("SKU-A", 5)

    order = place_order([("SKU-A", 2)], actor="api:webshop")

    kinds = list(OrderEvent.objects.filter(order=order).order_by("id").values_list("kind", "actor_label"))
    assert kinds == [
        (OrderEvent.Kind.CREATED, "api:webshop"),
        (OrderEvent.Kind.RESERVED, "api:webshop"),
        (OrderEvent.Kind.STATUS, "api:webshop"),
    ]
    reservation = StockMovement.objects.get(kind=StockMovement.Kind.RESERVATION)
    assert (reservation.actor_label, reservation.reference, reservation.reserved_delta) == ("api:webshop", order.number, 2)


def test_holds_and_their_release_name_the_person(stocked, clerk):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])

    hold = order_hold_place(order_id=order.pk, reason=HoldReason.FRAUD_RISK, detail="new card", actor=clerk)
    order_hold_release(hold_id=hold.pk, actor=clerk, note="card verified")

    hold.refresh_from_db()
    assert hold.released_by == clerk
    placed, released = (
        OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.HOLD_PLACED),
        OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.HOLD_RELEASED),
    )
    assert (placed.actor, placed.data, placed.message) == (clerk, {"reason": "fraud_risk"}, "Fraud risk: new card")
    assert (released.actor, released.message) == (clerk, "Fraud risk released: card verified")
    on_hold = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.STATUS, to_status=OrderStatus.ON_HOLD)
    assert (on_hold.from_status, on_hold.actor) == (OrderStatus.ALLOCATED, clerk)


def test_a_cancellation_records_who_released_which_stock(stocked, clerk):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    order_cancel(order_id=order.pk, actor=clerk, reason="duplicate")

    release = StockMovement.objects.get(kind=StockMovement.Kind.RELEASE)
    assert (release.actor, release.actor_label, release.reference) == (clerk, "clerk", order.number)
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.RELEASED, actor=clerk).exists()
    cancelled = OrderEvent.objects.get(order=order, to_status=OrderStatus.CANCELLED)
    assert (cancelled.actor, cancelled.message) == (clerk, "Cancelled: duplicate")


def test_a_shipment_records_who_shipped(stocked, clerk):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])
    order_start_fulfillment(order_id=order.pk, actor=clerk)

    order_ship(order_id=order.pk, actor=clerk, reference="PARCEL-1")

    shipment = StockMovement.objects.get(kind=StockMovement.Kind.SHIPMENT)
    assert (shipment.actor, shipment.reference, shipment.on_hand_delta) == (clerk, "PARCEL-1", -2)


def test_every_stock_change_names_its_actor(warehouse, clerk):
    ProductFactory(sku="SKU-A")

    stock_receive(sku="SKU-A", location=warehouse.code, quantity=5, reference="PO-7", actor=clerk)
    stock_adjust(sku="SKU-A", location=warehouse.code, quantity=-1, reason="broken in aisle 3", actor="job:cycle-count")

    receipt, adjustment = StockMovement.objects.order_by("id")
    assert (receipt.kind, receipt.actor, receipt.actor_label, receipt.reference) == (StockMovement.Kind.RECEIPT, clerk, "clerk", "PO-7")
    assert (adjustment.actor, adjustment.actor_label, adjustment.reason) == (None, "job:cycle-count", "broken in aisle 3")


def test_a_note_is_part_of_the_trail(stocked, clerk):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])

    order_note_add(order_id=order.pk, text="  Leave at the back door  ", actor=clerk)

    note = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.NOTE)
    assert (note.message, note.actor) == ("Leave at the back door", clerk)


def test_a_system_change_without_an_actor_is_labelled_system(stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])

    order_start_fulfillment(order_id=order.pk, actor=None)

    change = OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.STATUS).last()
    assert (change.actor, change.actor_label) == (None, "system")

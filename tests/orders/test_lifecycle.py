"""The order lifecycle: every transition each service allows, and every one it refuses."""

import pytest

from inventory.models import StockLevel, StockMovement
from inventory.services import stock_receive
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from orders.models import Allocation, HoldReason, Order, OrderEvent, OrderHold, OrderStatus
from orders.services import (
    order_allocate,
    order_cancel,
    order_complete,
    order_deliver,
    order_hold_place,
    order_hold_release,
    order_holds_release_all,
    order_payment_update,
    order_ship,
    order_start_fulfillment,
)
from ..factories import address, place_order
from .conftest import MISSING_SKU, STOCKED_SKU, fresh, observe

S = OrderStatus
ALL_STATUSES = list(OrderStatus)

# service -> (call, statuses it moves on from, status it moves to)
MOVES = {
    "cancel": (lambda order: order_cancel(order_id=order.pk, actor="test"), {S.PENDING, S.ON_HOLD, S.BACKORDERED, S.ALLOCATED, S.IN_FULFILLMENT}, S.CANCELLED),
    "hold": (
        lambda order: order_hold_place(order_id=order.pk, reason=HoldReason.MANUAL, detail="customer called", actor="test"),
        {S.PENDING, S.ON_HOLD, S.BACKORDERED, S.ALLOCATED},
        S.ON_HOLD,
    ),
    "start_fulfillment": (lambda order: order_start_fulfillment(order_id=order.pk, actor="test"), {S.ALLOCATED}, S.IN_FULFILLMENT),
    "ship": (lambda order: order_ship(order_id=order.pk, actor="test"), {S.IN_FULFILLMENT, S.PARTIALLY_SHIPPED}, S.SHIPPED),
    "deliver": (lambda order: order_deliver(order_id=order.pk, actor="test"), {S.SHIPPED}, S.DELIVERED),
    "complete": (lambda order: order_complete(order_id=order.pk, actor="test"), {S.DELIVERED}, S.COMPLETED),
}
ALLOWED = [(move, status) for move, (_, sources, _) in MOVES.items() for status in ALL_STATUSES if status in sources]
# Cancelling a cancelled order is a no-op, not a refusal (tested on its own below).
REFUSED = [
    (move, status)
    for move, (_, sources, _) in MOVES.items()
    for status in ALL_STATUSES
    if status not in sources and not (move == "cancel" and status == S.CANCELLED)
]


@pytest.mark.parametrize(("move", "status"), ALLOWED, ids=[f"{m}-from-{s}" for m, s in ALLOWED])
def test_given_an_order_in_a_status_when_an_allowed_service_runs_then_the_order_moves_on(order_in, move, status):
    call, _, target = MOVES[move]
    order = order_in(status)

    call(order)

    stored = fresh(order)
    assert stored.status == target
    if status != target:
        change = OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.STATUS).last()
        assert (change.from_status, change.to_status, change.actor_label) == (status, target, "test")


@pytest.mark.parametrize(("move", "status"), REFUSED, ids=[f"{m}-from-{s}" for m, s in REFUSED])
def test_given_an_order_in_a_status_when_a_refused_service_runs_then_it_explains_and_changes_nothing(order_in, move, status):
    call, _, _ = MOVES[move]
    order = order_in(status)
    before = observe(order)

    with pytest.raises(InvalidTransition) as refused:
        call(order)

    assert order.number in refused.value.message
    assert f"is {OrderStatus(status).label.lower()}" in refused.value.message
    assert observe(order) == before


def test_the_status_field_cannot_be_assigned_directly(order_in):
    order = order_in(S.ALLOCATED)

    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        order.status = OrderStatus.SHIPPED

    assert fresh(order).status == S.ALLOCATED


# --- cancellation ---------------------------------------------------------------------------


def test_cancelling_an_allocated_order_gives_its_stock_back(order_in):
    order = order_in(S.ALLOCATED)
    assert StockLevel.objects.get(product__sku=STOCKED_SKU).reserved == 2

    order_cancel(order_id=order.pk, actor="cs:anna", reason="customer changed mind")

    level = StockLevel.objects.get(product__sku=STOCKED_SKU)
    assert (level.on_hand, level.reserved) == (100, 0)
    release = StockMovement.objects.get(kind=StockMovement.Kind.RELEASE)
    assert (release.reserved_delta, release.on_hand_delta, release.reference, release.actor_label) == (-2, 0, order.number, "cs:anna")
    assert not Allocation.objects.filter(line__order=order).exists()
    assert order.lines.get().quantity_reserved == 0
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.RELEASED).exists()
    assert "customer changed mind" in OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.STATUS).last().message


def test_cancelling_an_order_in_fulfillment_gives_its_stock_back(order_in):
    order = order_in(S.IN_FULFILLMENT)

    order_cancel(order_id=order.pk, actor="test")

    assert StockLevel.objects.get(product__sku=STOCKED_SKU).reserved == 0


def test_cancelling_a_partly_reserved_backorder_gives_back_what_it_held(stocked):
    stocked("SKU-A", 3)
    order = place_order([("SKU-A", 5)])
    assert order.status == S.BACKORDERED

    order_cancel(order_id=order.pk, actor="test")

    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 0
    assert StockMovement.objects.get(kind=StockMovement.Kind.RELEASE).reserved_delta == -3


def test_cancelling_a_held_order_closes_its_holds(order_in):
    order = order_in(S.ON_HOLD)

    order_cancel(order_id=order.pk, actor="test")

    hold = order.holds.get()
    assert hold.released_at is not None and hold.release_note == "order cancelled"
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.RELEASE).exists()  # it held nothing


def test_cancelling_a_cancelled_order_changes_nothing(order_in):
    order = order_in(S.CANCELLED)
    before = observe(order)

    result = order_cancel(order_id=order.pk, actor="test")

    assert result.status == S.CANCELLED
    assert observe(order) == before


def test_a_shipped_order_cannot_be_cancelled_and_keeps_its_shipment(order_in):
    order = order_in(S.SHIPPED)

    with pytest.raises(InvalidTransition, match="cannot be cancelled"):
        order_cancel(order_id=order.pk, actor="test")

    level = StockLevel.objects.get(product__sku=STOCKED_SKU)
    assert (level.on_hand, level.reserved) == (98, 0)


def test_cancelling_an_unknown_order_is_not_found(db):
    with pytest.raises(NotFound):
        order_cancel(order_id=987654, actor="test")


# --- holds ----------------------------------------------------------------------------------


def test_holding_an_allocated_order_keeps_its_reservation_and_release_returns_it_to_allocated(order_in):
    order = order_in(S.ALLOCATED)

    hold = order_hold_place(order_id=order.pk, reason=HoldReason.FRAUD_RISK, detail="velocity check", actor="test")
    assert fresh(order).status == S.ON_HOLD
    assert StockLevel.objects.get(product__sku=STOCKED_SKU).reserved == 2

    order_hold_release(hold_id=hold.pk, actor="test", note="verified by phone")

    assert fresh(order).status == S.ALLOCATED
    assert StockLevel.objects.get(product__sku=STOCKED_SKU).reserved == 2
    assert OrderHold.objects.get(pk=hold.pk).release_note == "verified by phone"


def test_a_second_hold_for_the_same_reason_is_refused(order_in):
    order = order_in(S.ALLOCATED)
    order_hold_place(order_id=order.pk, reason=HoldReason.MANUAL, actor="test")
    before = observe(order)

    with pytest.raises(DomainError, match="already on hold for manual") as refused:
        order_hold_place(order_id=order.pk, reason=HoldReason.MANUAL, actor="test")

    assert refused.value.code == "already_held"
    assert observe(order) == before


def test_a_hold_reason_that_does_not_exist_is_invalid_input(order_in):
    order = order_in(S.ALLOCATED)
    before = observe(order)

    with pytest.raises(InvalidInput) as refused:
        order_hold_place(order_id=order.pk, reason="bored", actor="test")

    assert "reason" in refused.value.fields
    assert observe(order) == before


def test_releasing_one_of_two_holds_keeps_the_order_on_hold_and_unreserved(order_in):
    order = order_in(S.ON_HOLD)  # payment hold from intake
    manual = order_hold_place(order_id=order.pk, reason=HoldReason.MANUAL, actor="test")

    order_hold_release(hold_id=manual.pk, actor="test")

    assert fresh(order).status == S.ON_HOLD
    assert StockLevel.objects.get(product__sku=STOCKED_SKU).reserved == 0


def test_releasing_the_last_hold_allocates_the_order(order_in):
    order = order_in(S.ON_HOLD)
    payment_hold = order.holds.get(reason=HoldReason.PAYMENT)

    order_hold_release(hold_id=payment_hold.pk, actor="test")

    assert fresh(order).status == S.ALLOCATED
    assert StockLevel.objects.get(product__sku=STOCKED_SKU).reserved == 2
    transitions = list(OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.STATUS).values_list("from_status", "to_status"))
    assert transitions[-2:] == [(S.ON_HOLD, S.PENDING), (S.PENDING, S.ALLOCATED)]


def test_releasing_a_held_backorder_leaves_it_backordered(order_in):
    order = order_in(S.BACKORDERED)
    hold = order_hold_place(order_id=order.pk, reason=HoldReason.MANUAL, actor="test")

    order_hold_release(hold_id=hold.pk, actor="test")

    assert fresh(order).status == S.BACKORDERED


def test_releasing_a_hold_twice_is_refused(order_in):
    order = order_in(S.ON_HOLD)
    manual = order_hold_place(order_id=order.pk, reason=HoldReason.MANUAL, actor="test")
    order_hold_release(hold_id=manual.pk, actor="test")
    before = observe(order)

    with pytest.raises(DomainError, match="already released") as refused:
        order_hold_release(hold_id=manual.pk, actor="test")

    assert refused.value.code == "already_released"
    assert observe(order) == before


def test_releasing_an_unknown_hold_is_not_found(db):
    with pytest.raises(NotFound):
        order_hold_release(hold_id=424242, actor="test")


def test_release_all_clears_every_hold_and_allocates(order_in):
    order = order_in(S.ON_HOLD)
    order_hold_place(order_id=order.pk, reason=HoldReason.FRAUD_RISK, actor="test")

    result = order_holds_release_all(order_id=order.pk, actor="test", note="checked")

    assert result.status == S.ALLOCATED
    assert not order.holds.filter(released_at__isnull=True).exists()


def test_release_all_on_an_order_without_holds_is_refused(order_in):
    order = order_in(S.ALLOCATED)
    before = observe(order)

    with pytest.raises(DomainError, match="no open hold"):
        order_holds_release_all(order_id=order.pk, actor="test")

    assert observe(order) == before


# --- allocation -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s not in (S.PENDING, S.BACKORDERED)])
def test_allocating_an_order_past_allocation_changes_nothing(order_in, status):
    order = order_in(status)
    before = observe(order)

    result = order_allocate(order_id=order.pk, actor="test")

    assert result.status == status
    assert observe(order) == before


def test_allocating_a_pending_order_reserves_its_stock(order_in):
    order = order_in(S.PENDING)

    order_allocate(order_id=order.pk, actor="test")

    assert fresh(order).status == S.ALLOCATED
    assert order.lines.get().quantity_reserved == 2


def test_a_backorder_is_allocated_once_stock_arrives(order_in):
    order = order_in(S.BACKORDERED)
    stock_receive(sku=MISSING_SKU, location="chicago", quantity=1, actor="test")

    order_allocate(order_id=order.pk, actor="test")
    assert fresh(order).status == S.BACKORDERED
    assert order.lines.get().quantity_reserved == 1

    stock_receive(sku=MISSING_SKU, location="chicago", quantity=1, actor="test")
    order_allocate(order_id=order.pk, actor="test")

    assert fresh(order).status == S.ALLOCATED
    assert order.lines.get().quantity_reserved == 2
    assert Allocation.objects.get(line__order=order).quantity == 2  # one allocation row, grown


# --- shipping -------------------------------------------------------------------------------


def test_partial_shipments_move_stock_out_line_by_line(stocked):
    stocked("SKU-A", 10)
    stocked("SKU-B", 10)
    order = place_order([("SKU-A", 3), ("SKU-B", 2)])
    order_start_fulfillment(order_id=order.pk, actor="test")
    line_a, line_b = order.lines.order_by("line_number")

    order_ship(order_id=order.pk, quantities={line_a.pk: 1}, actor="test")

    assert fresh(order).status == S.PARTIALLY_SHIPPED
    line_a = order.lines.get(pk=line_a.pk)
    assert (line_a.quantity_shipped, line_a.quantity_reserved) == (1, 2)
    level_a = StockLevel.objects.get(product__sku="SKU-A")
    assert (level_a.on_hand, level_a.reserved) == (9, 2)
    shipment = StockMovement.objects.get(kind=StockMovement.Kind.SHIPMENT)
    assert (shipment.on_hand_delta, shipment.reserved_delta) == (-1, -1)

    order_ship(order_id=order.pk, quantities={line_a.pk: 1, line_b.pk: 1}, actor="test")
    assert fresh(order).status == S.PARTIALLY_SHIPPED

    order_ship(order_id=order.pk, actor="test")  # the rest

    assert fresh(order).status == S.SHIPPED
    assert [(line.quantity_shipped, line.quantity_reserved) for line in order.lines.order_by("line_number")] == [(3, 0), (2, 0)]
    assert not Allocation.objects.filter(line__order=order).exists()
    assert {level.product.sku: (level.on_hand, level.reserved) for level in StockLevel.objects.select_related("product")} == {
        "SKU-A": (7, 0),
        "SKU-B": (8, 0),
    }


def test_shipping_more_than_is_reserved_is_refused(order_in):
    order = order_in(S.IN_FULFILLMENT)
    line = order.lines.get()
    before = observe(order)

    with pytest.raises(DomainError, match="3 to ship but only 2 reserved"):
        order_ship(order_id=order.pk, quantities={line.pk: 3}, actor="test")

    assert observe(order) == before


def test_shipping_a_line_of_another_order_is_refused(order_in):
    order = order_in(S.IN_FULFILLMENT)
    other = order_in(S.IN_FULFILLMENT)
    before = observe(order)

    with pytest.raises(InvalidInput) as refused:
        order_ship(order_id=order.pk, quantities={other.lines.get().pk: 1}, actor="test")

    assert "quantities" in refused.value.fields
    assert observe(order) == before


def test_shipping_nothing_is_refused(order_in):
    order = order_in(S.IN_FULFILLMENT)
    before = observe(order)

    with pytest.raises(DomainError, match="Nothing to ship"):
        order_ship(order_id=order.pk, quantities={order.lines.get().pk: 0}, actor="test")

    assert observe(order) == before


def test_a_negative_shipment_is_refused(order_in):
    order = order_in(S.IN_FULFILLMENT)
    before = observe(order)

    with pytest.raises(InvalidInput):
        order_ship(order_id=order.pk, quantities={order.lines.get().pk: -1}, actor="test")

    assert observe(order) == before


# --- payment --------------------------------------------------------------------------------


def test_an_authorised_payment_releases_the_payment_hold_and_allocates(order_in):
    order = order_in(S.ON_HOLD)

    order_payment_update(order_id=order.pk, payment_status="authorized", actor="psp:stripe")

    stored = fresh(order)
    assert (stored.status, stored.payment_status) == (S.ALLOCATED, "authorized")
    payment = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.PAYMENT)
    assert (payment.data, payment.actor_label) == ({"from": "pending", "to": "authorized"}, "psp:stripe")
    assert order.holds.get(reason=HoldReason.PAYMENT).released_at is not None


def test_a_payment_leaves_other_holds_in_place(stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], payment_status="pending", shipping_address=address(city=""))

    order_payment_update(order_id=order.pk, payment_status="paid", actor="test")

    assert fresh(order).status == S.ON_HOLD
    assert set(order.holds.filter(released_at__isnull=True).values_list("reason", flat=True)) == {HoldReason.ADDRESS}
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 0


def test_the_same_payment_status_again_records_nothing(order_in):
    order = order_in(S.ALLOCATED)
    before = observe(order)

    order_payment_update(order_id=order.pk, payment_status="paid", actor="test")

    assert observe(order) == before


def test_a_payment_status_that_does_not_exist_is_invalid_input(order_in):
    order = order_in(S.ON_HOLD)
    before = observe(order)

    with pytest.raises(InvalidInput) as refused:
        order_payment_update(order_id=order.pk, payment_status="maybe", actor="test")

    assert "payment_status" in refused.value.fields
    assert observe(order) == before


def test_a_refund_is_recorded_without_touching_the_lifecycle(order_in):
    order = order_in(S.DELIVERED)

    order_payment_update(order_id=order.pk, payment_status="refunded", actor="test")

    stored = fresh(order)
    assert (stored.status, stored.payment_status) == (S.DELIVERED, "refunded")


def test_orders_are_counted_once_per_status(order_in):
    # The fixture itself must reach every status, or the matrix above proves less than it says.
    reached = {status: order_in(status).status for status in ALL_STATUSES}
    assert reached == {status: status for status in ALL_STATUSES}
    assert Order.objects.count() == len(ALL_STATUSES)

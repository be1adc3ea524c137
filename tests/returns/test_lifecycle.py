"""The return's way back: every transition allowed and refused, receipts, inspection and the ledger."""

import datetime

import pytest
from django.utils import timezone

from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_mismatches
from oms.errors import DomainError, InvalidInput, InvalidTransition
from oms.models import DomainEvent
from orders.models import Order, OrderLine, OrderStatus
from returns.models import ReturnLine, ReturnPolicy, ReturnRequest, ReturnStatus
from returns.services import (
    InspectionData,
    ReceivedItem,
    return_approve,
    return_cancel,
    return_close,
    return_in_transit,
    return_inspect,
    return_receive,
    return_reject,
    return_request,
    returns_expire,
)

from ..factories import LocationFactory, place_order
from .conftest import fresh, line, observe

pytestmark = pytest.mark.django_db


def receive(rma, *items, complete=False, location="chicago"):
    return return_receive(return_id=rma.pk, location=location, items=[ReceivedItem(*item) for item in items], complete=complete, actor="dock:bob")


def inspect(rma, disposition="restock", condition="new", **extra):
    lines = fresh(rma).lines.order_by("id")
    numbers = list(lines.filter(quantity_received__gt=0).values_list("order_line__line_number", flat=True))
    numbers = numbers or list(lines.values_list("order_line__line_number", flat=True))
    entries = [InspectionData(line_number=number, condition=condition, disposition=disposition, **extra) for number in numbers]
    return return_inspect(return_id=rma.pk, lines=entries, actor="dock:bob")


@pytest.fixture
def rma_in(shipped_order):
    """``rma_in("received")``: a return of 1 × SKU-A (of 2 shipped) driven into that status by the services."""

    def make(status: str) -> ReturnRequest:
        if status in (ReturnStatus.REQUESTED, ReturnStatus.REJECTED):
            ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=False)
        order = shipped_order([("SKU-A", 2)])
        rma = return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal")
        if status == ReturnStatus.REJECTED:
            return_reject(return_id=rma.pk, reason="worn", actor="cs")
        elif status == ReturnStatus.CANCELLED:
            return_cancel(return_id=rma.pk, actor="cs")
        elif status == ReturnStatus.EXPIRED:
            returns_expire(now=timezone.now() + datetime.timedelta(days=31))
        elif status == ReturnStatus.IN_TRANSIT:
            return_in_transit(return_id=rma.pk, actor="carrier")
        elif status in (ReturnStatus.RECEIVED, ReturnStatus.INSPECTED, ReturnStatus.CLOSED):
            receive(rma, ("SKU-A", 1))
            if status != ReturnStatus.RECEIVED:
                inspect(rma)
            if status == ReturnStatus.CLOSED:
                return_close(return_id=rma.pk, actor="cs")
        assert fresh(rma).status == status
        return fresh(rma)

    return make


OPERATIONS = {
    "approve": lambda rma: return_approve(return_id=rma.pk, actor="cs"),
    "reject": lambda rma: return_reject(return_id=rma.pk, reason="no", actor="cs"),
    "in_transit": lambda rma: return_in_transit(return_id=rma.pk, actor="carrier"),
    "receive": lambda rma: receive(rma, ("SKU-A", 1)),
    "inspect": lambda rma: inspect(rma),
    "close": lambda rma: return_close(return_id=rma.pk, actor="cs"),
    "cancel": lambda rma: return_cancel(return_id=rma.pk, actor="cs"),
}
# (status, operation) -> the status it reaches; pairs not listed are refused. In transit and
# cancel are idempotent where already there (repeated scans, a second click).
ALLOWED = {
    ("requested", "approve"): "approved",
    ("requested", "reject"): "rejected",
    ("requested", "cancel"): "cancelled",
    ("approved", "in_transit"): "in_transit",
    ("approved", "receive"): "received",
    ("approved", "cancel"): "cancelled",
    ("in_transit", "in_transit"): "in_transit",
    ("in_transit", "receive"): "received",
    ("in_transit", "cancel"): "cancelled",
    ("received", "inspect"): "inspected",
    ("inspected", "close"): "closed",
    ("cancelled", "cancel"): "cancelled",
}
# in_transit from a later status leaves it where it is (a late scan), also allowed.
UNCHANGED_BY_SCAN = {"received", "inspected", "closed", "rejected", "cancelled", "expired", "requested"}
STATUSES = ["requested", "approved", "rejected", "in_transit", "received", "inspected", "closed", "cancelled", "expired"]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_every_transition_is_allowed_or_refused_without_writing_anything(rma_in, status, operation):
    rma = rma_in(status)
    order = Order.objects.get(pk=rma.order_id)
    expected = ALLOWED.get((status, operation))
    if expected is None and operation == "in_transit" and status in UNCHANGED_BY_SCAN:
        expected = status
    if expected is None:
        before = observe(order)
        with pytest.raises(InvalidTransition, match=f"Return {rma.number} is "):
            OPERATIONS[operation](rma)
        assert observe(order) == before
    else:
        OPERATIONS[operation](rma)
        assert fresh(rma).status == expected


def test_a_partial_receipt_keeps_the_return_open_and_the_rest_completes_it(shipped_order):
    order = shipped_order([("SKU-A", 2), ("SKU-B", 1)])
    rma = return_request(order_id=order.pk, lines=[line(1, 2), line(2, 1)], actor="portal")

    receive(rma, ("SKU-A", 1))

    assert fresh(rma).status == ReturnStatus.IN_TRANSIT
    assert list(OrderLine.objects.filter(order=order).order_by("line_number").values_list("quantity_returned", flat=True)) == [1, 0]
    assert DomainEvent.objects.filter(name="return.items_received", stream=f"return:{rma.pk}").count() == 1
    receive(rma, ("SKU-A", 1), ("SKU-B", 1))
    assert fresh(rma).status == ReturnStatus.RECEIVED and fresh(rma).location.code == "chicago"
    assert list(OrderLine.objects.filter(order=order).order_by("line_number").values_list("quantity_returned", flat=True)) == [2, 1]
    assert Order.objects.get(pk=order.pk).version > order.version


def test_unexpected_items_are_recorded_not_counted_and_missing_ones_on_completion(shipped_order):
    order = shipped_order([("SKU-A", 2), ("SKU-B", 1)])
    rma = return_request(order_id=order.pk, lines=[line(1, 2), line(2, 1)], actor="portal")

    receive(rma, ("SKU-A", 3), ("SKU-ZZ", 1, "a phone charger"), complete=True)

    rma = fresh(rma)
    assert rma.status == ReturnStatus.RECEIVED
    assert rma.unexpected_items == [{"sku": "SKU-A", "quantity": 1, "note": ""}, {"sku": "SKU-ZZ", "quantity": 1, "note": "a phone charger"}]
    assert "unexpected items: SKU-A × 1, SKU-ZZ × 1" in rma.needs_attention
    assert list(rma.lines.order_by("id").values_list("quantity_received", "quantity_missing")) == [(2, 0), (0, 1)]
    assert list(OrderLine.objects.filter(order=order).order_by("line_number").values_list("quantity_returned", flat=True)) == [2, 0]
    kinds = list(rma.events.values_list("kind", flat=True))
    assert "unexpected" in kinds and "missing" in kinds
    # The missing unit is given up: it may be asked for again.
    assert return_request(order_id=order.pk, lines=[line(2, 1)], actor="portal")


def test_receiving_is_refused_before_approval_and_at_another_location(rma_in):
    rma = rma_in("requested")
    with pytest.raises(InvalidTransition, match="Approve it first"):
        receive(rma, ("SKU-A", 1))
    return_approve(return_id=rma.pk, actor="cs")

    with pytest.raises(InvalidInput, match="malformed"):
        receive(rma, ("SKU-A", 0))
    with pytest.raises(InvalidInput, match="Scan at least one item"):
        return_receive(return_id=rma.pk, location="chicago", items=[], actor="dock")
    LocationFactory(code="boston")
    order_mark = observe(Order.objects.get(pk=rma.order_id))
    with pytest.raises(DomainError, match="No location"):
        receive(rma, ("SKU-A", 1), location="nowhere")
    assert observe(Order.objects.get(pk=rma.order_id)) == order_mark


def test_a_return_partly_received_cannot_be_cancelled_or_finished_elsewhere(shipped_order):
    order = shipped_order([("SKU-A", 2)])
    rma = return_request(order_id=order.pk, lines=[line(1, 2)], actor="portal")
    receive(rma, ("SKU-A", 1))
    LocationFactory(code="boston")

    with pytest.raises(DomainError, match="receive the rest there"):
        receive(rma, ("SKU-A", 1), location="boston")
    with pytest.raises(DomainError, match="complete its receipt instead") as refused:
        return_cancel(return_id=rma.pk, actor="cs")
    assert refused.value.code == "already_received"


LEDGER = {
    # disposition -> (on hand change, quarantine change, movement kinds in order)
    "restock": (1, 0, ["return_restock"]),
    "refurbish": (1, 1, ["damage"]),
    "quarantine": (1, 1, ["damage"]),
    "scrap": (0, 0, ["damage", "scrap"]),
    "return_to_vendor": (0, 0, ["damage", "return_to_vendor"]),
}


@pytest.mark.parametrize("disposition", list(LEDGER))
def test_each_disposition_posts_to_the_ledger_with_the_rma_as_reference(rma_in, disposition):
    rma = rma_in("received")
    level = StockLevel.objects.get(product__sku="SKU-A", location__code="chicago")

    inspect(rma, disposition=disposition, condition="damaged" if disposition != "restock" else "new")

    after = StockLevel.objects.get(pk=level.pk)
    on_hand, damaged, kinds = LEDGER[disposition]
    assert (after.on_hand - level.on_hand, after.damaged - level.damaged) == (on_hand, damaged)
    movements = StockMovement.objects.filter(reference=rma.number).order_by("id")
    assert [m.kind for m in movements] == kinds
    assert all(m.location.code == "chicago" and m.actor_label == "dock:bob" for m in movements)
    assert ledger_mismatches() == []
    rma = fresh(rma)
    assert rma.status == ReturnStatus.INSPECTED
    assert list(rma.lines.values_list("disposition", "quantity_accepted")) == [(disposition, 1)]


def test_restocked_units_serve_a_waiting_backorder_like_a_receipt(shipped_order, django_capture_on_commit_callbacks):
    order = shipped_order([("SKU-A", 1)])
    waiting = place_order([("SKU-A", 1)])
    assert waiting.status == OrderStatus.BACKORDERED
    rma = return_request(order_id=order.pk, lines=[line(1, 1)], actor="portal")
    receive(rma, ("SKU-A", 1))

    with django_capture_on_commit_callbacks(execute=True):
        inspect(rma, disposition="restock")

    assert Order.objects.get(pk=waiting.pk).status == OrderStatus.ALLOCATED


def test_an_inspection_must_cover_every_received_line_and_match_it(shipped_order):
    order = shipped_order([("SKU-A", 2), ("SKU-B", 1)])
    rma = return_request(order_id=order.pk, lines=[line(1, 2), line(2, 1)], actor="portal")
    receive(rma, ("SKU-A", 2), ("SKU-B", 1))
    before = observe(order)

    refusals = [
        ([InspectionData(1, "new", "restock")], "Line 2 (SKU-B): 1 received, not inspected"),
        ([InspectionData(1, "new", "restock"), InspectionData(2, "new", "restock"), InspectionData(7, "new", "restock")], "has no line 7"),
        ([InspectionData(1, "new", "restock", quantity_accepted=3), InspectionData(2, "new", "restock")], "3 accepted but only 2 received"),
        ([InspectionData(1, "shiny", "burn"), InspectionData(2, "new", "restock")], None),
    ]
    for entries, text in refusals:
        with pytest.raises(InvalidInput) as refused:
            return_inspect(return_id=rma.pk, lines=entries, actor="dock")
        if text:
            assert any(text in message for message in refused.value.fields["lines"])
        assert observe(order) == before

    return_inspect(
        return_id=rma.pk, lines=[InspectionData(1, "opened", "restock", quantity_accepted=1, note="one worn"), InspectionData(2, "damaged", "scrap")],
        actor="dock",
    )
    assert list(fresh(rma).lines.order_by("id").values_list("quantity_accepted", "condition")) == [(1, "opened"), (1, "damaged")]


def test_expiry_takes_approved_returns_past_their_date_once(rma_in):
    rma = rma_in("approved")
    later = timezone.now() + datetime.timedelta(days=29)
    assert returns_expire(now=later) == 0
    past = timezone.now() + datetime.timedelta(days=31)

    assert returns_expire(now=past) == 1
    assert returns_expire(now=past) == 0
    assert fresh(rma).status == ReturnStatus.EXPIRED
    assert DomainEvent.objects.filter(name="return.expired", stream=f"return:{rma.pk}").count() == 1
    # Its units are free again.
    assert ReturnLine.objects.filter(request=rma).get().quantity == 1
    assert return_request(order_id=rma.order_id, lines=[line(1, 2)], actor="portal")


def test_the_orders_service_never_counts_more_returned_than_shipped(shipped_order):
    from orders.services import order_lines_returned

    order = shipped_order([("SKU-A", 2)])
    order_line = OrderLine.objects.get(order=order)
    before = observe(order)

    with pytest.raises(DomainError, match="3 returned but only 2 shipped and not yet returned") as refused:
        order_lines_returned(order_id=order.pk, quantities={order_line.pk: 3}, actor="test")
    assert refused.value.code == "exceeds_shipped"
    with pytest.raises(InvalidInput, match="are not on order"):
        order_lines_returned(order_id=order.pk, quantities={order_line.pk + 999: 1}, actor="test")
    assert observe(order) == before
    order_lines_returned(order_id=order.pk, quantities={order_line.pk: 2}, reference="RMA-x", actor="test")
    assert OrderLine.objects.get(pk=order_line.pk).quantity_returned == 2

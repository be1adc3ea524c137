import pytest
from django.db.models import Count

from inventory.models import StockLevel, StockMovement
from oms.models import DomainEvent
from orders.models import Order, OrderLine
from orders.services import order_deliver, order_ship, order_start_fulfillment
from returns.models import ReturnEvent, ReturnLine, ReturnRequest
from returns.services import ReturnLineData

from ..factories import place_order
from ..inventory.invariants import stock_invariant_violations


@pytest.fixture(autouse=True)
def stock_stays_consistent(db):
    """Every return scenario ends with stock counters equal to the ledger and to the order lines."""
    yield
    assert stock_invariant_violations() == []


def fresh(request: ReturnRequest) -> ReturnRequest:
    """The return as stored (``refresh_from_db`` is refused on the protected status field)."""
    return ReturnRequest.objects.get(pk=request.pk)


def observe(order: Order) -> dict:
    """Everything a refused return operation must leave as it was."""
    return {
        "returns": list(ReturnRequest.objects.filter(order=order).order_by("id").values_list("status", "version", "needs_attention")),
        "lines": list(ReturnLine.objects.filter(request__order=order).order_by("id").values_list("quantity", "quantity_received", "quantity_missing", "disposition")),
        "trail": ReturnEvent.objects.filter(request__order=order).count(),
        "returned": list(OrderLine.objects.filter(order=order).order_by("id").values_list("quantity_returned", flat=True)),
        "stock": list(StockLevel.objects.order_by("id").values_list("on_hand", "reserved", "damaged")),
        "movements": StockMovement.objects.count(),
        "domain_events": dict(DomainEvent.objects.filter(name__startswith="return.").values_list("name").annotate(n=Count("id"))),
    }


def line(number: int = 1, quantity: int = 1, reason: str = "too_small", text: str = "") -> ReturnLineData:
    return ReturnLineData(line_number=number, quantity=quantity, reason=reason, reason_text=text)


@pytest.fixture
def shipped_order(stocked):
    """``shipped_order([("SKU-A", 2), ("SKU-B", 1)], delivered=True)``: an order placed, shipped in
    full (and delivered) through the order services; the SKUs are stocked as needed."""

    def make(lines=(("SKU-A", 2),), *, delivered: bool = True, **overrides) -> Order:
        for sku, quantity, *_ in lines:
            stocked(sku, quantity)
        order = place_order(list(lines), **overrides)
        order_start_fulfillment(order_id=order.pk, actor="test")
        order_ship(order_id=order.pk, actor="test")
        if delivered:
            order_deliver(order_id=order.pk, actor="test")
        return Order.objects.get(pk=order.pk)

    return make

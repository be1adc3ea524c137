"""Releasing quarantined units: refurbished returns become sellable again, on the ledger, and
orders waiting for them are served as after a receipt."""

import pytest
from django.core.management import call_command

from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_mismatches
from inventory.services import ReturnedUnits, stock_quarantine_release, stock_receive, stock_return_dispose
from oms.errors import DomainError, InvalidInput
from oms.models import DomainEvent
from orders.models import Order, OrderStatus

from ..factories import ProductFactory, place_order

HERE = "chicago"


@pytest.fixture
def sku(warehouse):
    return ProductFactory(sku="SKU-A").sku


def counters(sku: str = "SKU-A") -> tuple[int, int, int]:
    row = StockLevel.objects.get(product__sku=sku, location__code=HERE)
    return (row.on_hand, row.damaged, row.available)


def refurbished_return(sku: str, quantity: int) -> None:
    """Returned units inspected as refurbish: on hand and quarantined."""
    stock_return_dispose(location=HERE, items=[ReturnedUnits(sku=sku, quantity=quantity, disposition="quarantine")], reference="RMA-1", actor="test")


def test_given_refurbished_returned_units_when_released_then_they_are_sellable_and_on_hand_is_unchanged(sku):
    stock_receive(sku=sku, location=HERE, quantity=2, actor="test")
    refurbished_return(sku, 3)
    assert counters() == (5, 3, 2)

    movement = stock_quarantine_release(sku=sku, location=HERE, quantity=2, reason="refurbished", reference="WO-7", actor="test")

    assert counters() == (5, 1, 4)
    assert (movement.kind, movement.on_hand_delta, movement.damaged_delta, movement.reason, movement.reference) == (
        "quarantine_release", 0, -2, "refurbished", "WO-7",
    )
    assert StockMovement.objects.get(pk=movement.pk).get_kind_display() == "Released from quarantine"
    assert ledger_mismatches() == []
    call_command("stock_reconcile")  # the release sums into the ledger like every other kind


def test_given_a_waiting_backorder_when_quarantined_units_are_released_then_the_backorder_is_allocated(sku, web_channel, django_capture_on_commit_callbacks):
    refurbished_return(sku, 2)
    order = place_order([(sku, 2)])
    assert Order.objects.get(pk=order.pk).status == OrderStatus.BACKORDERED

    with django_capture_on_commit_callbacks(execute=True):
        stock_quarantine_release(sku=sku, location=HERE, quantity=2, reason="refurbished", actor="test")

    assert Order.objects.get(pk=order.pk).status == OrderStatus.ALLOCATED
    assert StockLevel.objects.get(product__sku=sku, location__code=HERE).reserved == 2
    assert DomainEvent.objects.filter(name="stock.available_increased").exists()


def test_releasing_more_than_is_quarantined_is_refused_and_changes_nothing(sku):
    stock_receive(sku=sku, location=HERE, quantity=10, actor="test")
    refurbished_return(sku, 1)
    before = StockMovement.objects.count()

    with pytest.raises(DomainError, match="Only 1 unit\\(s\\) of SKU-A are quarantined at chicago") as refused:
        stock_quarantine_release(sku=sku, location=HERE, quantity=2, reason="refurbished", actor="test")

    assert refused.value.code == "not_quarantined"
    assert counters() == (11, 1, 10)
    assert StockMovement.objects.count() == before


@pytest.mark.parametrize(("arguments", "field"), [(dict(quantity=1, reason="  "), "reason"), (dict(quantity=0, reason="ok"), "quantity")], ids=["no-reason", "zero"])
def test_a_release_must_say_how_many_and_why(sku, arguments, field):
    refurbished_return(sku, 1)

    with pytest.raises(InvalidInput) as refused:
        stock_quarantine_release(sku=sku, location=HERE, actor="test", **arguments)

    assert field in refused.value.fields
    assert counters() == (1, 1, 0)

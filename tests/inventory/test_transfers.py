"""Transfers between locations: in transit the stock is `incoming` at the destination."""

import pytest

from inventory.models import StockLevel, StockMovement, Transfer
from inventory.selectors import stock_for_sku
from inventory.services import (
    stock_receive,
    stock_set_safety,
    stock_transfer_cancel,
    stock_transfer_create,
    stock_transfer_dispatch,
    stock_transfer_receive,
)
from oms.errors import DomainError, InsufficientStock, InvalidInput, NotFound

from ..factories import LocationFactory, ProductFactory


@pytest.fixture
def two_sites(warehouse):
    LocationFactory(code="ny", name="New York DC", city="New York", latitude=40.71, longitude=-74.01)
    for sku in ("SKU-A", "SKU-B"):
        ProductFactory(sku=sku)
        stock_receive(sku=sku, location="chicago", quantity=10, actor="test")


def quantities(location: str, sku: str = "SKU-A") -> dict[str, int]:
    row = StockLevel.objects.filter(product__sku=sku, location__code=location).first()
    if row is None:
        return {"on_hand": 0, "incoming": 0, "available": 0}
    return {"on_hand": row.on_hand, "incoming": row.incoming, "available": row.available}


def test_a_drafted_transfer_moves_no_stock(two_sites):
    transfer = stock_transfer_create(source="chicago", destination="ny", lines=[("SKU-A", 2), ("SKU-A", 1), ("SKU-B", 4)], reference="rebalance", actor="test")

    assert transfer.number == f"TR-{transfer.pk:06d}"
    assert transfer.status == Transfer.Status.DRAFT
    assert dict(transfer.lines.values_list("product__sku", "quantity")) == {"SKU-A": 3, "SKU-B": 4}  # same SKU merged
    assert quantities("chicago") == {"on_hand": 10, "incoming": 0, "available": 10}
    assert quantities("ny") == {"on_hand": 0, "incoming": 0, "available": 0}


def test_dispatch_takes_stock_out_of_the_source_and_shows_it_incoming_at_the_destination(two_sites):
    transfer = stock_transfer_create(source="chicago", destination="ny", lines=[("SKU-A", 3)], actor="test")

    stock_transfer_dispatch(transfer_id=transfer.pk, actor="truck:7")

    assert quantities("chicago") == {"on_hand": 7, "incoming": 0, "available": 7}
    assert quantities("ny") == {"on_hand": 0, "incoming": 3, "available": 0}  # not sellable until received
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.IN_TRANSIT
    availability = stock_for_sku(ProductFactory(sku="SKU-A"))
    assert (availability.available_to_promise, availability.incoming) == (7, 3)
    movements = list(StockMovement.objects.filter(reference=transfer.number).order_by("id").values_list("kind", "location__code", "on_hand_delta", "incoming_delta", "actor_label"))
    assert movements == [("transfer_out", "chicago", -3, 0, "truck:7"), ("transfer_in", "ny", 0, 3, "truck:7")]


def test_receiving_turns_incoming_into_on_hand(two_sites):
    transfer = stock_transfer_create(source="chicago", destination="ny", lines=[("SKU-A", 3), ("SKU-B", 1)], actor="test")
    stock_transfer_dispatch(transfer_id=transfer.pk, actor="test")

    stock_transfer_receive(transfer_id=transfer.pk, actor="ny:dock")

    assert quantities("ny") == {"on_hand": 3, "incoming": 0, "available": 3}
    assert quantities("ny", "SKU-B") == {"on_hand": 1, "incoming": 0, "available": 1}
    assert quantities("chicago") == {"on_hand": 7, "incoming": 0, "available": 7}
    stored = Transfer.objects.get(pk=transfer.pk)
    assert stored.status == Transfer.Status.RECEIVED and stored.received_at is not None
    assert all(line.quantity_received == line.quantity for line in stored.lines.all())


def test_cancelling_in_transit_returns_the_stock_to_the_source(two_sites):
    transfer = stock_transfer_create(source="chicago", destination="ny", lines=[("SKU-A", 4)], actor="test")
    stock_transfer_dispatch(transfer_id=transfer.pk, actor="test")

    stock_transfer_cancel(transfer_id=transfer.pk, actor="test")

    assert quantities("chicago") == {"on_hand": 10, "incoming": 0, "available": 10}
    assert quantities("ny") == {"on_hand": 0, "incoming": 0, "available": 0}
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.CANCELLED


def test_cancelling_a_draft_moves_no_stock(two_sites):
    transfer = stock_transfer_create(source="chicago", destination="ny", lines=[("SKU-A", 4)], actor="test")
    before = StockMovement.objects.count()

    stock_transfer_cancel(transfer_id=transfer.pk, actor="test")

    assert StockMovement.objects.count() == before
    assert quantities("chicago")["on_hand"] == 10


def test_dispatching_more_than_is_available_is_refused_and_moves_nothing(two_sites):
    stock_set_safety(sku="SKU-A", location="chicago", safety_stock=8, actor="test")
    transfer = stock_transfer_create(source="chicago", destination="ny", lines=[("SKU-B", 1), ("SKU-A", 3)], actor="test")
    before = StockMovement.objects.count()

    with pytest.raises(InsufficientStock, match="SKU-A: only 2 available at chicago, 3 to transfer"):
        stock_transfer_dispatch(transfer_id=transfer.pk, actor="test")

    assert StockMovement.objects.count() == before
    assert quantities("chicago", "SKU-B")["on_hand"] == 10  # the line that fitted was not sent either
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.DRAFT


@pytest.mark.parametrize(
    ("steps", "refused", "message"),
    [
        ([], stock_transfer_receive, "only one in transit can be received"),
        ([stock_transfer_dispatch], stock_transfer_dispatch, "only a draft can be dispatched"),
        ([stock_transfer_dispatch, stock_transfer_receive], stock_transfer_receive, "only one in transit can be received"),
        ([stock_transfer_dispatch, stock_transfer_receive], stock_transfer_cancel, "can no longer be cancelled"),
        ([stock_transfer_cancel], stock_transfer_dispatch, "only a draft can be dispatched"),
        ([stock_transfer_cancel], stock_transfer_cancel, "can no longer be cancelled"),
    ],
    ids=["receive-draft", "dispatch-twice", "receive-twice", "cancel-received", "dispatch-cancelled", "cancel-twice"],
)
def test_a_transfer_step_out_of_order_is_refused_and_changes_nothing(two_sites, steps, refused, message):
    transfer = stock_transfer_create(source="chicago", destination="ny", lines=[("SKU-A", 2)], actor="test")
    for step in steps:
        step(transfer_id=transfer.pk, actor="test")
    status, movements = Transfer.objects.get(pk=transfer.pk).status, StockMovement.objects.count()

    with pytest.raises(DomainError, match=message):
        refused(transfer_id=transfer.pk, actor="test")

    assert (Transfer.objects.get(pk=transfer.pk).status, StockMovement.objects.count()) == (status, movements)


@pytest.mark.parametrize(
    ("arguments", "error", "field"),
    [
        (dict(source="chicago", destination="chicago", lines=[("SKU-A", 1)]), InvalidInput, "destination"),
        (dict(source="chicago", destination="ny", lines=[]), InvalidInput, "lines"),
        (dict(source="chicago", destination="ny", lines=[("SKU-A", 0)]), InvalidInput, "quantity"),
        (dict(source="chicago", destination="ny", lines=[("SKU-NOPE", 1)]), NotFound, "lines"),
        (dict(source="chicago", destination="mars", lines=[("SKU-A", 1)]), NotFound, "location"),
    ],
    ids=["same-location", "no-lines", "zero", "unknown-sku", "unknown-location"],
)
def test_a_malformed_transfer_is_refused(two_sites, arguments, error, field):
    with pytest.raises(error) as refused:
        stock_transfer_create(actor="test", **arguments)

    assert field in refused.value.fields
    assert not Transfer.objects.exists()


def test_an_unknown_transfer_is_not_found(db):
    with pytest.raises(NotFound):
        stock_transfer_dispatch(transfer_id=999999, actor="test")

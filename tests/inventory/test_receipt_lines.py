"""A delivery of many lines is booked at once, or not at all."""

import pytest

from inventory.models import StockLevel, StockMovement
from inventory.selectors import ledger_mismatches
from inventory.services import stock_receive_lines
from oms.errors import InvalidInput, NotFound

from ..factories import LocationFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_a_delivery_raises_on_hand_per_line_and_writes_one_ledger_row_each(warehouse):
    ProductFactory(sku="SKU-A")
    ProductFactory(sku="SKU-B")
    store = LocationFactory(code="store")

    movements = stock_receive_lines(
        lines=[("SKU-A", warehouse.code, 5), ("SKU-B", warehouse.code, 2), ("SKU-A", "store", 1), ("SKU-A", warehouse.code, 3)],
        reference="PO-1", actor="clerk",
    )

    assert len(movements) == 4
    assert StockLevel.objects.get(product__sku="SKU-A", location=warehouse).on_hand == 8
    assert StockLevel.objects.get(product__sku="SKU-B", location=warehouse).on_hand == 2
    assert StockLevel.objects.get(product__sku="SKU-A", location=store).on_hand == 1
    assert set(StockMovement.objects.values_list("reference", "actor_label").distinct()) == {("PO-1", "clerk")}
    assert ledger_mismatches() == []


def test_a_delivery_naming_unknown_things_books_nothing_and_names_them_all(warehouse):
    ProductFactory(sku="SKU-A")

    with pytest.raises(NotFound) as refused:
        stock_receive_lines(lines=[("SKU-A", warehouse.code, 5), ("NOPE", warehouse.code, 1), ("SKU-A", "mars", 1)], actor="clerk")

    assert refused.value.fields == {"sku": ["Unknown SKU 'NOPE'."], "location": ["Unknown location 'mars'."]}
    assert not StockMovement.objects.exists()


def test_a_delivery_with_a_bad_quantity_books_nothing(warehouse):
    ProductFactory(sku="SKU-A")

    with pytest.raises(InvalidInput):
        stock_receive_lines(lines=[("SKU-A", warehouse.code, 5), ("SKU-A", warehouse.code, 0)], actor="clerk")

    assert not StockMovement.objects.exists()

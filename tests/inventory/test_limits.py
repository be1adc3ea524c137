"""Bad catalogue and stock input is refused with field errors before it reaches the database."""

import pytest

from inventory.models import Product, StockMovement
from inventory.services import MAX_MOVEMENT_QUANTITY, product_create, stock_adjust, stock_receive
from oms.errors import DomainError, InvalidInput

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields, bad_field",
    [
        (dict(sku="P-1", name="Mug", price="-1"), "price"),
        (dict(sku="P-1", name="Mug", price="ten"), "price"),
        (dict(sku="P-1", name="Mug", price="5", currency="EURO"), "currency"),
        (dict(sku="  ", name="Mug", price="5"), "sku"),
        (dict(sku="P-1", name="", price="5"), "name"),
    ],
)
def test_a_malformed_product_names_the_field_and_creates_nothing(fields, bad_field):
    with pytest.raises(InvalidInput) as refused:
        product_create(actor="test", **fields)

    assert bad_field in refused.value.fields
    assert not Product.objects.exists()


def test_a_second_product_with_the_same_sku_is_refused_as_a_duplicate():
    product_create(sku="P-1", name="Mug", price="5", actor="test")

    with pytest.raises(DomainError) as refused:
        product_create(sku="P-1", name="Other mug", price="6", actor="test")

    assert refused.value.code == "duplicate_sku"
    assert Product.objects.get().name == "Mug"


def test_an_implausibly_large_receipt_or_adjustment_is_refused_without_a_ledger_row(stocked, warehouse):
    stocked("SKU-A", 0)

    with pytest.raises(InvalidInput):
        stock_receive(sku="SKU-A", location=warehouse.code, quantity=MAX_MOVEMENT_QUANTITY + 1, actor="test")
    with pytest.raises(InvalidInput):
        stock_adjust(sku="SKU-A", location=warehouse.code, quantity=-(2**31), reason="typo", actor="test")

    assert not StockMovement.objects.exists()

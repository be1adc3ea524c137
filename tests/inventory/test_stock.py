"""Stock: receipts, adjustments, quarantine, safety stock, the ledger and available-to-promise."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from inventory.models import Location, StockLevel, StockMovement
from inventory.selectors import available_to_promise, ledger_mismatches, stock_for_sku
from inventory.services import (
    StockChange,
    product_create,
    stock_adjust,
    stock_levels_lock,
    stock_quarantine,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_scrap,
    stock_set_safety,
)
from oms.errors import DomainError, InsufficientStock, InvalidInput, NotFound

from ..factories import LocationFactory, ProductFactory

HERE = "chicago"


@pytest.fixture
def sku(warehouse):
    return ProductFactory(sku="SKU-A").sku


def level(sku: str = "SKU-A", location: str = HERE) -> StockLevel:
    return StockLevel.objects.get(product__sku=sku, location__code=location)


def counters(sku: str = "SKU-A", location: str = HERE) -> tuple[int, int, int, int, int]:
    row = level(sku, location)
    return (row.on_hand, row.reserved, row.incoming, row.damaged, row.safety_stock)


def reserve(sku: str, location: str, quantity: int) -> None:
    """Hold stock as an order would: lock the row, then reserve."""
    product_id = ProductFactory(sku=sku).pk
    location_id = Location.objects.get(code=location).pk
    with transaction.atomic():
        levels = stock_levels_lock([(product_id, location_id)])
        stock_reserve(changes=[StockChange(product_id, location_id, quantity, reference="SO-TEST")], levels=levels, actor="test")


# --- receipts -------------------------------------------------------------------------------


def test_a_receipt_adds_to_on_hand_and_to_the_ledger(sku):
    movement = stock_receive(sku=sku, location=HERE, quantity=12, reference="PO-1", actor="dock")

    assert counters() == (12, 0, 0, 0, 0)
    assert (movement.kind, movement.on_hand_delta, movement.reference, movement.actor_label) == (StockMovement.Kind.RECEIPT, 12, "PO-1", "dock")


@pytest.mark.parametrize("quantity", [0, -3, 1.5, True])
def test_a_receipt_needs_a_positive_whole_quantity(sku, quantity):
    with pytest.raises(InvalidInput) as refused:
        stock_receive(sku=sku, location=HERE, quantity=quantity, actor="test")

    assert "quantity" in refused.value.fields
    assert not StockMovement.objects.exists()


def test_a_receipt_of_an_unknown_sku_or_at_an_unknown_location_is_not_found(sku):
    with pytest.raises(NotFound) as unknown_sku:
        stock_receive(sku="NOPE", location=HERE, quantity=1, actor="test")
    with pytest.raises(NotFound) as unknown_location:
        stock_receive(sku=sku, location="atlantis", quantity=1, actor="test")

    assert unknown_sku.value.fields == {"sku": ["Unknown SKU 'NOPE'."]}
    assert "location" in unknown_location.value.fields
    assert not StockLevel.objects.exists() and not StockMovement.objects.exists()


# --- adjustments ----------------------------------------------------------------------------


def test_an_adjustment_corrects_on_hand_with_a_reason(sku):
    stock_receive(sku=sku, location=HERE, quantity=10, actor="test")

    stock_adjust(sku=sku, location=HERE, quantity=-3, reason="found broken", actor="test")
    stock_adjust(sku=sku, location=HERE, quantity=1, reason="found one more", kind=StockMovement.Kind.COUNT_CORRECTION, actor="test")

    assert counters() == (8, 0, 0, 0, 0)
    assert list(StockMovement.objects.order_by("id").values_list("kind", "on_hand_delta", "reason")) == [
        (StockMovement.Kind.RECEIPT, 10, ""),
        (StockMovement.Kind.ADJUSTMENT, -3, "found broken"),
        (StockMovement.Kind.COUNT_CORRECTION, 1, "found one more"),
    ]


def test_an_adjustment_below_zero_is_refused_and_writes_nothing(sku):
    stock_receive(sku=sku, location=HERE, quantity=2, actor="test")

    with pytest.raises(DomainError, match="on hand 2, reserved 0") as refused:
        stock_adjust(sku=sku, location=HERE, quantity=-3, reason="shrinkage", actor="test")

    assert refused.value.code == "stock_constraint"
    assert counters() == (2, 0, 0, 0, 0)
    assert StockMovement.objects.count() == 1


def test_an_adjustment_below_what_is_reserved_is_refused_and_writes_nothing(sku):
    stock_receive(sku=sku, location=HERE, quantity=5, actor="test")
    reserve(sku, HERE, 4)

    with pytest.raises(DomainError, match="below what is reserved") as refused:
        stock_adjust(sku=sku, location=HERE, quantity=-2, reason="shrinkage", actor="test")

    assert "SKU-A at chicago" in refused.value.message
    assert counters() == (5, 4, 0, 0, 0)
    assert StockMovement.objects.count() == 2
    stock_release(changes=[StockChange(level().product_id, level().location_id, 4)], actor="test")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [(dict(quantity=0, reason="x"), "quantity"), (dict(quantity=1, reason="  "), "reason"), (dict(quantity=1, reason="x", kind="receipt"), "type")],
    ids=["zero", "no-reason", "not-an-adjustment"],
)
def test_an_adjustment_must_say_how_much_and_why(sku, arguments, field):
    with pytest.raises(InvalidInput) as refused:
        stock_adjust(sku=sku, location=HERE, actor="test", **arguments)

    assert field in refused.value.fields
    assert not StockMovement.objects.exists()


# --- quarantine, scrap, safety stock --------------------------------------------------------


def test_quarantined_stock_stays_on_hand_but_is_not_available_and_scrap_writes_it_off(sku):
    stock_receive(sku=sku, location=HERE, quantity=10, actor="test")

    stock_quarantine(sku=sku, location=HERE, quantity=3, reason="crushed boxes", actor="test")
    assert counters() == (10, 0, 0, 3, 0)
    assert level().available == 7

    stock_scrap(sku=sku, location=HERE, quantity=2, reason="beyond repair", actor="test")
    assert counters() == (8, 0, 0, 1, 0)
    assert level().available == 7
    assert list(StockMovement.objects.filter(kind__in=["damage", "scrap"]).order_by("id").values_list("kind", "on_hand_delta", "damaged_delta")) == [
        ("damage", 0, 3),
        ("scrap", -2, -2),
    ]


def test_scrapping_more_than_is_quarantined_is_refused(sku):
    stock_receive(sku=sku, location=HERE, quantity=10, actor="test")
    stock_quarantine(sku=sku, location=HERE, quantity=1, reason="dented", actor="test")

    with pytest.raises(DomainError, match="Only 1 unit"):
        stock_scrap(sku=sku, location=HERE, quantity=2, reason="x", actor="test")

    assert counters() == (10, 0, 0, 1, 0)


def test_reserved_stock_cannot_be_quarantined(sku):
    stock_receive(sku=sku, location=HERE, quantity=5, actor="test")
    reserve(sku, HERE, 4)

    with pytest.raises(DomainError, match="below what is reserved"):
        stock_quarantine(sku=sku, location=HERE, quantity=2, reason="wet", actor="test")

    assert counters() == (5, 4, 0, 0, 0)
    stock_release(changes=[StockChange(level().product_id, level().location_id, 4)], actor="test")


def test_safety_stock_is_kept_back_from_sale_and_can_be_lowered_again(sku):
    stock_receive(sku=sku, location=HERE, quantity=10, actor="test")

    stock_set_safety(sku=sku, location=HERE, safety_stock=4, actor="test")
    assert level().available == 6
    assert stock_set_safety(sku=sku, location=HERE, safety_stock=4, actor="test") is None  # unchanged: no ledger row
    stock_set_safety(sku=sku, location=HERE, safety_stock=1, actor="test")

    assert counters() == (10, 0, 0, 0, 1)
    assert list(StockMovement.objects.filter(kind="safety_stock").order_by("id").values_list("safety_stock_delta", flat=True)) == [4, -3]


def test_negative_safety_stock_is_refused(sku):
    with pytest.raises(InvalidInput):
        stock_set_safety(sku=sku, location=HERE, safety_stock=-1, actor="test")


# --- reservations at the inventory level ----------------------------------------------------


def test_a_reservation_beyond_what_is_available_reserves_nothing(sku):
    other = LocationFactory(code="ny")
    stock_receive(sku=sku, location=HERE, quantity=5, actor="test")
    stock_receive(sku=sku, location="ny", quantity=1, actor="test")
    product_id = level().product_id
    with transaction.atomic():
        levels = stock_levels_lock([(product_id, level().location_id), (product_id, other.pk)])

        with pytest.raises(InsufficientStock):
            stock_reserve(
                changes=[StockChange(product_id, level().location_id, 3), StockChange(product_id, other.pk, 2)], levels=levels, actor="test"
            )

    assert counters() == (5, 0, 0, 0, 0) and counters(location="ny") == (1, 0, 0, 0, 0)
    assert not StockMovement.objects.filter(kind="reservation").exists()


def test_releasing_more_than_is_reserved_is_refused(sku):
    stock_receive(sku=sku, location=HERE, quantity=5, actor="test")
    reserve(sku, HERE, 2)

    with pytest.raises(DomainError, match="more stock than is reserved"):
        stock_release(changes=[StockChange(level().product_id, level().location_id, 3)], actor="test")

    assert counters() == (5, 2, 0, 0, 0)
    stock_release(changes=[StockChange(level().product_id, level().location_id, 2)], actor="test")
    assert counters() == (5, 0, 0, 0, 0)


# --- the ledger -----------------------------------------------------------------------------


def test_ledger_rows_cannot_be_changed_or_deleted(sku):
    movement = stock_receive(sku=sku, location=HERE, quantity=5, actor="test")

    movement.on_hand_delta = 500
    with pytest.raises(ValidationError, match="append-only"):
        movement.save()
    with pytest.raises(ValidationError, match="append-only"):
        movement.delete()

    assert StockMovement.objects.get().on_hand_delta == 5


def test_the_reconciliation_finds_a_counter_changed_behind_the_ledger(sku):
    stock_receive(sku=sku, location=HERE, quantity=5, actor="test")
    assert ledger_mismatches() == []

    StockLevel.objects.filter(product__sku=sku).update(on_hand=F("on_hand") + 1)

    [mismatch] = ledger_mismatches()
    assert mismatch["counter_vs_ledger"] == {"on_hand": (6, 5)}
    StockLevel.objects.filter(product__sku=sku).update(on_hand=F("on_hand") - 1)  # leave it consistent


def test_the_database_refuses_reserving_more_than_is_sellable(sku):
    stock_receive(sku=sku, location=HERE, quantity=5, actor="test")
    stock_quarantine(sku=sku, location=HERE, quantity=2, reason="dented", actor="test")

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(product__sku=sku).update(reserved=4)  # 4 > 5 on hand - 2 quarantined

    assert counters() == (5, 0, 0, 2, 0)


@pytest.mark.parametrize("counter", ["on_hand", "reserved", "incoming", "damaged", "safety_stock"])
def test_the_database_refuses_negative_counters(sku, counter):
    stock_receive(sku=sku, location=HERE, quantity=5, actor="test")

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(product__sku=sku).update(**{counter: -1})


def test_one_stock_row_per_sku_and_location(sku, warehouse):
    stock_receive(sku=sku, location=HERE, quantity=1, actor="test")

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.create(product=level().product, location=warehouse)


# --- available to promise -------------------------------------------------------------------


def test_available_to_promise_counts_only_sellable_stock_at_shipping_locations(sku):
    LocationFactory(code="ny", priority=10)
    LocationFactory(code="closed", is_active=False)
    LocationFactory(code="showroom", can_ship=False)
    for location, quantity in [(HERE, 10), ("ny", 4), ("closed", 50), ("showroom", 30)]:
        stock_receive(sku=sku, location=location, quantity=quantity, actor="test")
    reserve(sku, HERE, 3)
    stock_quarantine(sku=sku, location=HERE, quantity=1, reason="dented", actor="test")
    stock_set_safety(sku=sku, location=HERE, safety_stock=2, actor="test")
    stock_set_safety(sku=sku, location="ny", safety_stock=6, actor="test")  # more than it has: adds 0, not -2

    availability = stock_for_sku(level().product)

    assert availability.available_to_promise == (10 - 3 - 1 - 2) + 0
    assert available_to_promise([level().product_id]) == {level().product_id: 4}
    by_location = {row.location: (row.on_hand, row.reserved, row.damaged, row.safety_stock, row.available) for row in availability.locations}
    assert by_location == {
        HERE: (10, 3, 1, 2, 4),
        "ny": (4, 0, 0, 6, 0),
        "closed": (50, 0, 0, 0, 50),
        "showroom": (30, 0, 0, 0, 30),
    }
    assert [row.location for row in availability.locations][0] == "ny"  # highest priority first
    stock_release(changes=[StockChange(level().product_id, level().location_id, 3)], actor="test")


def test_available_to_promise_of_a_sku_never_stocked_is_zero(sku):
    product = ProductFactory(sku="SKU-NONE")

    assert stock_for_sku(product).available_to_promise == 0
    assert available_to_promise([product.pk]) == {product.pk: 0}


# --- catalogue ------------------------------------------------------------------------------


def test_a_duplicate_sku_is_refused(sku):
    with pytest.raises(DomainError, match="already exists") as refused:
        product_create(sku="SKU-A", name="Again", price=Decimal("1.00"), actor="test")

    assert refused.value.code == "duplicate_sku"


def test_a_product_needs_a_sku(db):
    with pytest.raises(InvalidInput) as refused:
        product_create(sku="  ", name="Nameless", price=Decimal("1.00"), actor="test")

    assert "sku" in refused.value.fields


def test_a_negative_price_is_refused_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(sku="SKU-NEG", price=Decimal("-1"))

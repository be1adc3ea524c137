"""Helpers for the ABC and cycle-count tests: shipping units through the stock services."""

from django.db import transaction
from django.utils import timezone

from inventory.models import Location, Product
from inventory.counts import cycle_count_plan
from inventory.services import StockChange, bin_create, stock_bin_assign, stock_levels_lock_sellable, stock_reserve, stock_ship


def ship(sku: str, location: str, quantity: int) -> None:
    """Reserve and ship ``quantity`` (a sale leaving the building), as fulfillment does."""
    product, place = Product.objects.get(sku=sku), Location.objects.get(code=location)
    change = StockChange(product_id=product.pk, location_id=place.pk, quantity=quantity)
    with transaction.atomic():
        levels = {(row.product_id, row.location_id): row for row in stock_levels_lock_sellable([product.pk])}
        stock_reserve(changes=[change], levels=levels, actor="test")
    stock_ship(changes=[change], actor="test")


def two_bin_count(stocked, settings, *, gtin: str | None = None):
    """Today's count at chicago, no tolerance: SKU-B (23 on hand) in bin A-1 first, then SKU-A (17,
    ``gtin``) in B-2, along the pick path."""
    settings.OMS_COUNT_FREQUENCY_DAYS = {"A": 1, "B": 1, "C": 1}
    settings.OMS_COUNT_TOLERANCE = {name: {"units": 0, "percent": 0} for name in "ABC"}
    bin_create(location="chicago", code="B-2", aisle="2", position="1", actor="test")
    bin_create(location="chicago", code="A-1", aisle="1", position="1", actor="test")
    stocked("SKU-A", 17, **({"gtin": gtin} if gtin else {}))
    stocked("SKU-B", 23)
    stock_bin_assign(sku="SKU-A", location="chicago", bin_code="B-2", actor="test")
    stock_bin_assign(sku="SKU-B", location="chicago", bin_code="A-1", actor="test")
    return cycle_count_plan(location="chicago", day=timezone.localdate(), actor="test")

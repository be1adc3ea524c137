"""Helpers for the ABC and cycle-count tests: shipping units through the stock services."""

from django.db import transaction

from inventory.models import Location, Product
from inventory.services import StockChange, stock_levels_lock_sellable, stock_reserve, stock_ship


def ship(sku: str, location: str, quantity: int) -> None:
    """Reserve and ship ``quantity`` (a sale leaving the building), as fulfillment does."""
    product, place = Product.objects.get(sku=sku), Location.objects.get(code=location)
    change = StockChange(product_id=product.pk, location_id=place.pk, quantity=quantity)
    with transaction.atomic():
        levels = {(row.product_id, row.location_id): row for row in stock_levels_lock_sellable([product.pk])}
        stock_reserve(changes=[change], levels=levels, actor="test")
    stock_ship(changes=[change], actor="test")

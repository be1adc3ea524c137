"""Reads of stock: availability, available-to-promise and the ledger reconciliation."""

from dataclasses import dataclass, field

from django.db.models import Sum

from oms.db import rows_select

from .models import Product, StockLevel, StockMovement


@dataclass
class LocationStock:
    location: str
    on_hand: int
    reserved: int
    incoming: int
    damaged: int
    safety_stock: int
    available: int


@dataclass
class SkuAvailability:
    sku: str
    available_to_promise: int
    incoming: int
    locations: list[LocationStock] = field(default_factory=list)


def products_by_sku(skus) -> dict[str, Product]:
    return {p.sku: p for p in rows_select(Product, "sku", sorted(set(skus)))}


def stock_for_sku(product: Product) -> SkuAvailability:
    """Per-location quantities of one SKU and what can be promised across shipping locations.

    Available-to-promise sums what is available (on hand less reserved, quarantined and safety
    stock) at active locations that ship; a location short of its safety stock adds nothing.
    """
    rows = StockLevel.objects.filter(product=product).select_related("location").order_by("location__priority", "location__code")
    result = SkuAvailability(sku=product.sku, available_to_promise=0, incoming=0)
    for row in rows:
        result.locations.append(
            LocationStock(
                location=row.location.code,
                on_hand=row.on_hand,
                reserved=row.reserved,
                incoming=row.incoming,
                damaged=row.damaged,
                safety_stock=row.safety_stock,
                available=max(row.available, 0),
            )
        )
        if row.location.is_active and row.location.can_ship:
            result.available_to_promise += max(row.available, 0)
            result.incoming += row.incoming
    return result


def available_to_promise(product_ids) -> dict[int, int]:
    """ATP per product id across active shipping locations, in one query."""
    totals = dict.fromkeys(product_ids, 0)
    rows = StockLevel.objects.filter(
        product_id__in=totals, location__is_active=True, location__can_ship=True
    ).values_list("product_id", "on_hand", "reserved", "damaged", "safety_stock")
    for product_id, on_hand, reserved, damaged, safety in rows:
        totals[product_id] += max(on_hand - reserved - damaged - safety, 0)
    return totals


COUNTERS = ("on_hand", "reserved", "incoming", "damaged", "safety_stock")


def ledger_mismatches() -> list[dict]:
    """Stock rows whose counters differ from the sums of their ledger rows (should be none)."""
    sums = {
        (row["product_id"], row["location_id"]): row
        for row in StockMovement.objects.values("product_id", "location_id").annotate(
            **{name: Sum(f"{name}_delta") for name in COUNTERS}
        )
    }
    mismatches = []
    for level in StockLevel.objects.values("product_id", "location_id", *COUNTERS):
        ledger = sums.pop((level["product_id"], level["location_id"]), None) or dict.fromkeys(COUNTERS, 0)
        diff = {name: (level[name], ledger[name] or 0) for name in COUNTERS if level[name] != (ledger[name] or 0)}
        if diff:
            mismatches.append({"product_id": level["product_id"], "location_id": level["location_id"], "counter_vs_ledger": diff})
    for (product_id, location_id), ledger in sums.items():
        if any(ledger[name] for name in COUNTERS):
            mismatches.append({"product_id": product_id, "location_id": location_id, "counter_vs_ledger": "no stock row"})
    return mismatches

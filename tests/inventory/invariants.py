"""What must hold for stock after any sequence of operations, as one readable list of problems."""

from django.db.models import Sum

from inventory.models import StockLevel
from inventory.selectors import COUNTERS, ledger_mismatches
from orders.models import Allocation, OrderLine


def stock_invariant_violations() -> list[str]:
    """Empty when counters equal the ledger, nothing is negative, nothing is over-reserved and
    every reserved unit belongs to an order line's allocation (and the other way round)."""
    problems = [f"counter differs from ledger: {m}" for m in ledger_mismatches()]
    held = {
        (row["line__product_id"], row["location_id"]): row["total"]
        for row in Allocation.objects.values("line__product_id", "location_id").annotate(total=Sum("quantity"))
    }
    for level in StockLevel.objects.select_related("product", "location"):
        where = f"{level.product.sku}@{level.location.code}"
        problems += [f"{where}: {name} is {getattr(level, name)}" for name in COUNTERS if getattr(level, name) < 0]
        if level.reserved > level.on_hand - level.damaged:
            problems.append(f"{where}: reserved {level.reserved} > on hand {level.on_hand} - quarantined {level.damaged}")
        allocated = held.pop((level.product_id, level.location_id), 0)
        if allocated != level.reserved:
            problems.append(f"{where}: reserved {level.reserved} but order allocations hold {allocated}")
    problems += [f"allocation without a stock row: {key} holds {total}" for key, total in held.items() if total]
    for line in OrderLine.objects.annotate(allocated=Sum("allocations__quantity")).select_related("order"):
        if (line.allocated or 0) != line.quantity_reserved:
            problems.append(f"{line.order} line {line.line_number}: {line.quantity_reserved} reserved, allocations {line.allocated or 0}")
    line_reserved = OrderLine.objects.aggregate(total=Sum("quantity_reserved"))["total"] or 0
    stock_reserved = StockLevel.objects.aggregate(total=Sum("reserved"))["total"] or 0
    if line_reserved != stock_reserved:
        problems.append(f"order lines hold {line_reserved} reserved unit(s), stock rows {stock_reserved}")
    return problems

"""Cycle counts: inventory accuracy (share of counted lines within tolerance) and the value of
the corrections posted, by location and ABC class. Read from the counts' lines (one aggregate
query each, plus the labels of a split)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum

from inventory.models_counts import CycleCountLine, CycleCountLineStatus

from .base import Filters, Kpi, drill, money, ratio, register
from .names import names

SPLITS = {"location": "count__location_id", "abc_class": "abc_class"}


def _posted(filters: Filters):
    """Lines whose count was settled (posted) in the range: the last count of each is the one that counts."""
    lines = CycleCountLine.objects.filter(status=CycleCountLineStatus.POSTED, posted_at__gte=filters.start, posted_at__lt=filters.end)
    if filters.location_id is not None:
        lines = lines.filter(count__location_id=filters.location_id)
    return lines if filters.sku is None else lines.filter(product__sku=filters.sku)


def _split(by: str | None, rows: list[dict], key: str, figure) -> list[dict] | None:
    if by not in SPLITS:
        return None
    groups = sorted({row[key] for row in rows}, key=str)
    labels = names(by, groups)
    return [{"group": group, "label": labels.get(group, group), "value": figure([row for row in rows if row[key] == group])}
            for group in groups]


def inventory_accuracy(filters: Filters, by: str | None) -> dict:
    key = SPLITS.get(by)
    rows = list(_posted(filters).values(*([key] if key else [])).annotate(
        lines=Count("id"), within=Count("id", filter=Q(within_tolerance=True))).order_by())

    def figure(selected):
        lines, within = sum(row["lines"] for row in selected), sum(row["within"] for row in selected)
        return {"lines_counted": lines, "within_tolerance": within, "accuracy_rate": ratio(within, lines)}

    return {"value": figure(rows), "rows": _split(by, rows, key, figure)}


register(Kpi(
    key="inventory_accuracy", title="Inventory accuracy", group="Inventory", unit="percent",
    definition="Of the cycle count lines settled in the range (a line's final count: the recount when one was asked for), "
               "the share whose counted quantity was within the tolerance of its class (OMS_COUNT_TOLERANCE) of the on-hand "
               "snapshot.",
    dimensions=("location", "abc_class"), filters=("location", "sku"), compute=inventory_accuracy,
    drilldown=lambda f: drill("Count lines beyond tolerance", _posted(f).filter(within_tolerance=False)),
))


def count_corrections(filters: Filters, by: str | None) -> dict:
    key = SPLITS.get(by)
    value = ExpressionWrapper(F("correction") * F("unit_cost"), output_field=DecimalField(max_digits=20, decimal_places=4))
    lines = _posted(filters).exclude(correction=0).exclude(correction__isnull=True)
    rows = list(lines.values(*([key] if key else []), "currency").annotate(
        net=Sum(value), gains=Sum(value, filter=Q(correction__gt=0)), losses=Sum(value, filter=Q(correction__lt=0)),
        units=Sum("correction"), lines=Count("id")).order_by())

    def figure(selected):
        per_currency: dict[str, dict] = {}
        for row in selected:
            total = per_currency.setdefault(row["currency"], {"net": Decimal(0), "gains": Decimal(0), "losses": Decimal(0), "units": 0, "lines": 0})
            for name in ("net", "gains", "losses"):
                total[name] += row[name] or 0
            total["units"] += row["units"] or 0
            total["lines"] += row["lines"]
        return [{"currency": currency, "value": money(total["net"]), "gains": money(total["gains"]), "losses": money(total["losses"]),
                 "units": total["units"], "lines_corrected": total["lines"]} for currency, total in sorted(per_currency.items())]

    return {"value": figure(rows), "rows": _split(by, rows, key, figure)}


register(Kpi(
    key="count_corrections", title="Count corrections at cost", group="Inventory", unit="money",
    definition="The corrections cycle counts posted to the ledger in the range, at each product's cost when posted (price "
               "when it has none), per currency: net, gains (found) and losses (missing), with units and lines corrected.",
    dimensions=("location", "abc_class"), filters=("location", "sku"), compute=count_corrections,
    drilldown=lambda f: drill("Count lines with a correction", _posted(f).exclude(correction=0)),
))

"""Inventory: stock value at cost, days of supply, stockouts and dead stock (stock as it is now;
sales from ``SkuDay``), and pick productivity (pick lists finished in the range)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum

from fulfillment.models_picking import PickList, PickListStatus
from inventory.models import StockLevel

from ..models import SkuDay, StockoutDay
from .base import Filters, Kpi, drill, money, products_link, register
from .names import names


def _located(rows, filters: Filters):
    """Rows of a product at a location, narrowed by the location and SKU filters."""
    if filters.location_id is not None:
        rows = rows.filter(location_id=filters.location_id)
    return rows if filters.sku is None else rows.filter(product__sku=filters.sku)


def _stock(filters: Filters):
    return _located(StockLevel.objects.all(), filters)


def stock_value(filters: Filters, by: str | None) -> dict:
    value_at_cost = ExpressionWrapper(F("on_hand") * F("product__cost"), output_field=DecimalField(max_digits=20, decimal_places=3))
    levels = _stock(filters).filter(on_hand__gt=0)
    keys = (["location_id"] if by == "location" else ["product__sku"] if by == "sku" else []) + ["product__currency"]
    rows = list(levels.values(*keys).annotate(value=Sum(value_at_cost), units=Sum("on_hand"),
                                              uncosted=Count("id", filter=Q(product__cost__isnull=True))).order_by(*keys))

    def figure(selected):
        return [{"currency": row["product__currency"], "value": money(row["value"] or Decimal(0)), "units": row["units"],
                 "levels_without_cost": row["uncosted"]} for row in selected]

    totals: dict[str, dict] = {}
    for row in rows:
        total = totals.setdefault(row["product__currency"], {"product__currency": row["product__currency"], "value": Decimal(0), "units": 0, "uncosted": 0})
        total["value"] += row["value"] or 0
        total["units"] += row["units"] or 0
        total["uncosted"] += row["uncosted"]
    result = {"value": figure(totals.values())}
    if by:
        key = keys[0]
        groups = sorted({row[key] for row in rows}, key=str)
        labels = names(by, groups)
        result["rows"] = [{"group": group, "label": labels.get(group, group), "value": figure([row for row in rows if row[key] == group])}
                          for group in groups]
    return result


register(Kpi(
    key="stock_value", title="Stock value at cost", group="Inventory", unit="money",
    definition="Units on hand now times each product's cost, per currency (products without a cost are counted apart); "
               "the date range does not apply.",
    dimensions=("location", "sku"), filters=("location", "sku"), compute=stock_value,
    drilldown=lambda f: drill("Stock levels on hand", _stock(f).filter(on_hand__gt=0)),
))


def _sold_per_sku(filters: Filters) -> dict[str, int]:
    rows = SkuDay.objects.filter(day__gte=filters.date_from, day__lte=filters.date_to)
    if filters.sku is not None:
        rows = rows.filter(sku=filters.sku)
    return dict(rows.values("sku").annotate(n=Sum("units")).order_by().values_list("sku", "n"))


def days_of_supply(filters: Filters, by: str | None) -> dict:
    """Per SKU: units available now over the average units ordered per day in the range."""
    days = (filters.date_to - filters.date_from).days + 1
    sold = _sold_per_sku(filters)
    stock = dict(_stock(filters).values("product__sku").annotate(n=Sum(F("on_hand") - F("reserved"))).order_by()
                 .values_list("product__sku", "n"))
    rows = []
    for sku in sorted(set(stock) | set(sold)):
        daily = sold.get(sku, 0) / days
        rows.append({"group": sku, "label": sku, "value": {
            "available": stock.get(sku, 0), "units_sold": sold.get(sku, 0),
            "turnover": round(sold.get(sku, 0) / stock[sku], 2) if stock.get(sku) else None,
            "days_of_supply": round(stock.get(sku, 0) / daily, 1) if daily else None}})
    stockouts = [row["group"] for row in rows if row["value"]["available"] <= 0 and row["value"]["units_sold"] > 0]
    dead = [row["group"] for row in rows if row["value"]["available"] > 0 and not row["value"]["units_sold"]]
    return {"value": {"skus": len(rows), "stocked_out_selling": len(stockouts), "dead_stock": len(dead),
                      "stocked_out_skus": stockouts[:100], "dead_stock_skus": dead[:100]}, "rows": rows if by == "sku" else None}


register(Kpi(
    key="days_of_supply", title="Days of supply, turnover, stockouts and dead stock", group="Inventory", unit="mixed",
    definition="Per SKU: units available now (on hand less reserved) over the average units ordered per day in the range "
               "(days of supply), units ordered over units available (turnover); SKUs selling but out of stock, and "
               "stocked SKUs that sold nothing in the range (dead stock).",
    dimensions=("sku",), filters=("location", "sku"), compute=days_of_supply,
    drilldown_of_answer=lambda f, answer: products_link("Products out of stock while selling", answer["value"]["stocked_out_skus"]),
))


def _pick_lists(filters: Filters):
    lists = PickList.objects.filter(status=PickListStatus.DONE, finished_at__gte=filters.start, finished_at__lt=filters.end,
                                    started_at__isnull=False)
    return lists if filters.location_id is None else lists.filter(location_id=filters.location_id)


def pick_productivity(filters: Filters, by: str | None) -> dict:
    lists = _pick_lists(filters)
    keys = ["location_id"] if by == "location" else []
    # One row per pick list (lines and units counted by the database), summed here: pick lists are
    # few next to their lines.
    per_list = lists.annotate(n_lines=Count("lines"), n_units=Sum("lines__quantity_picked"))
    rows = list(per_list.values(*keys, "id", "started_at", "finished_at", "walking_distance_m", "n_lines", "n_units").order_by())

    def figure(selected):
        hours = sum((row["finished_at"] - row["started_at"]).total_seconds() for row in selected) / 3600
        lines = sum(row["n_lines"] for row in selected)
        units = sum(row["n_units"] or 0 for row in selected)
        metres = sum(row["walking_distance_m"] for row in selected)
        return {"pick_lists": len(selected), "picker_hours": round(hours, 2), "lines_per_hour": round(lines / hours, 1) if hours else None,
                "units_per_hour": round(units / hours, 1) if hours else None, "metres_per_line": round(metres / lines, 1) if lines else None}

    result = {"value": figure(rows)}
    if by == "location":
        groups = sorted({row["location_id"] for row in rows})
        labels = names("location", groups)
        result["rows"] = [{"group": group, "label": labels.get(group, group), "value": figure([row for row in rows if row["location_id"] == group])}
                          for group in groups]
    return result


register(Kpi(
    key="pick_productivity", title="Pick productivity", group="Pick productivity", unit="per_hour",
    definition="Of the pick lists finished in the range: lines and units picked per picker-hour (start to finish of each "
               "list) and metres walked per line.",
    dimensions=("location",), filters=("location",), compute=pick_productivity,
    drilldown=lambda f: drill("Pick lists finished in the range", _pick_lists(f)),
))


def stockout_days(filters: Filters, by: str | None) -> dict:
    rows = _located(StockoutDay.objects.filter(day__gte=filters.date_from, day__lte=filters.date_to), filters)
    total = rows.aggregate(days=Count("id"), skus=Count("product_id", distinct=True))
    result = {"value": {"sku_location_days": total["days"], "skus": total["skus"]}}
    if by in ("sku", "location"):
        key = "product__sku" if by == "sku" else "location_id"
        grouped = list(rows.values(key).annotate(days=Count("id")).order_by(key))
        labels = names(by, [row[key] for row in grouped])
        result["rows"] = [{"group": row[key], "label": labels.get(row[key], row[key]), "value": row["days"]} for row in grouped]
    return result


register(Kpi(
    key="stockout_days", title="Stockout days", group="Inventory", unit="count",
    definition="Days in the range that a SKU ended with nothing sellable (on hand less quarantined, from the ledger) at a "
               "location, counted per SKU and location.",
    dimensions=("location", "sku"), filters=("location", "sku"), compute=stockout_days,
    drilldown=lambda f: products_link("Products out of stock on a day of the range", list(
        StockoutDay.objects.filter(day__gte=f.date_from, day__lte=f.date_to).values_list("product__sku", flat=True).distinct()[:200])),
))

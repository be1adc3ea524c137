"""Inventory: stock value at cost, days of supply, stockouts and dead stock (stock as it is now;
sales from ``SkuDay``), and pick productivity (pick lists finished in the range)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Window
from django.utils import timezone

from fulfillment.models_picking import PickList, PickListStatus
from inventory.models import StockLevel, StockMovement

from ..models import SkuDay, StockoutDay
from ..rollups import local_day
from .base import DRILL_IDS, Filters, Kpi, drill, group_label, money, products_link, register
from .names import names


def _located(rows, filters: Filters):
    """Rows of a product at a location, narrowed by the location, SKU and category filters."""
    if filters.location_id is not None:
        rows = rows.filter(location_id=filters.location_id)
    if filters.category is not None:
        rows = rows.filter(product__category=filters.category)
    return rows if filters.sku is None else rows.filter(product__sku=filters.sku)


def _stock(filters: Filters):
    return _located(StockLevel.objects.all(), filters)


STOCK_GROUP = {"location": "location_id", "sku": "product__sku", "category": "product__category"}


def stock_value(filters: Filters, by: str | None) -> dict:
    value_at_cost = ExpressionWrapper(F("on_hand") * F("product__cost"), output_field=DecimalField(max_digits=20, decimal_places=3))
    levels = _stock(filters).filter(on_hand__gt=0)
    keys = ([STOCK_GROUP[by]] if by else []) + ["product__currency"]
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
        result["rows"] = [{"group": group, "label": labels.get(group, group_label(by, group)),
                           "value": figure([row for row in rows if row[key] == group])} for group in groups]
    return result


register(Kpi(
    key="stock_value", title="Stock value at cost", group="Inventory", unit="money",
    definition="Units on hand now times each product's cost, per currency (products without a cost are counted apart); "
               "the date range does not apply.",
    dimensions=("location", "sku", "category"), filters=("location", "sku", "category"), compute=stock_value,
    drilldown=lambda f: drill("Stock levels on hand", _stock(f).filter(on_hand__gt=0)),
))


def _sold_per_sku(filters: Filters) -> dict[str, int]:
    rows = SkuDay.objects.filter(day__gte=filters.date_from, day__lte=filters.date_to)
    if filters.sku is not None:
        rows = rows.filter(sku=filters.sku)
    if filters.category is not None:
        rows = rows.filter(product__category=filters.category)
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
    dimensions=("sku",), filters=("location", "sku", "category"), compute=days_of_supply,
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


# Age buckets of stock on hand, by days since the units arrived: (upper bound in days, label).
AGE_BUCKETS = ((30, "0-30 days"), (90, "31-90 days"), (180, "91-180 days"), (365, "181-365 days"), (None, "over 365 days"))
AGED_AFTER_DAYS = 180


def _bucket(age_days: int) -> str:
    return next(label for bound, label in AGE_BUCKETS if bound is None or age_days <= bound)


def stock_on_hand_by_arrival(filters: Filters):
    """Each stock level's units on hand split by the movement that brought them, first in first
    out: the units on hand are the newest arrivals (receipts, restocked returns, transfers in,
    positive corrections), so walking a level's arrivals newest first, an arrival counts until
    the newer ones already cover what is on hand. One query: a running sum over the arrivals."""
    on_hand_now = StockLevel.objects.filter(product_id=OuterRef("product_id"), location_id=OuterRef("location_id")).values("on_hand")[:1]
    arrivals = _located(StockMovement.objects.filter(on_hand_delta__gt=0), filters).annotate(
        newer_and_this=Window(Sum("on_hand_delta"), partition_by=[F("product_id"), F("location_id")], order_by=F("id").desc()),
        on_hand_now=Subquery(on_hand_now),
    )
    # Arrivals whose newer siblings do not already cover the level's on-hand units.
    still_here = arrivals.filter(newer_and_this__lt=F("on_hand_now") + F("on_hand_delta"))
    for row in still_here.values("product_id", "location_id", "product__sku", "product__category", "product__currency", "product__cost",
                                 "created_at", "on_hand_delta", "newer_and_this", "on_hand_now"):
        newer = row["newer_and_this"] - row["on_hand_delta"]
        yield row, min(row["on_hand_delta"], row["on_hand_now"] - newer)


def stock_age(filters: Filters, by: str | None) -> dict:
    today = local_day(timezone.now())
    key = STOCK_GROUP.get(by or "")
    cells: dict = {}  # (group, bucket) -> units, units without cost, value per currency
    aged_levels: set[tuple[int, int]] = set()
    for row, units in stock_on_hand_by_arrival(filters):
        age = (today - local_day(row["created_at"])).days
        if age > AGED_AFTER_DAYS:
            aged_levels.add((row["product_id"], row["location_id"]))
        for group in {None, row[key] if key else None}:
            cell = cells.setdefault((group, _bucket(age)), {"units": 0, "uncosted": 0, "values": {}})
            cell["units"] += units
            if row["product__cost"] is None:
                cell["uncosted"] += units
            else:
                values = cell["values"]
                values[row["product__currency"]] = values.get(row["product__currency"], Decimal(0)) + units * row["product__cost"]

    def figure(group) -> dict:
        # Every bucket, empty ones too, so charts of different ranges and groups share one axis.
        shown = {}
        for _, label in AGE_BUCKETS:
            cell = cells.get((group, label)) or {"units": 0, "uncosted": 0, "values": {}}
            value = "; ".join(f"{currency} {money(amount)}" for currency, amount in sorted(cell["values"].items())) or "—"
            shown[label] = {"units": cell["units"], "value_at_cost": value, "units_without_cost": cell["uncosted"]}
        return shown

    result = {"value": figure(None), "aged_levels": len(aged_levels), "aged_level_keys": sorted(aged_levels)[:DRILL_IDS]}
    if by:
        groups = sorted({group for group, _ in cells} - {None}, key=str)
        labels = names(by, groups)
        result["rows"] = [{"group": group, "label": labels.get(group, group_label(by, group)), "value": figure(group)} for group in groups]
    return result


def _aged_levels_link(filters: Filters, answer: dict) -> dict:
    keys = answer.pop("aged_level_keys")
    match = Q(pk__in=[])
    for product_id, location_id in keys:
        match |= Q(product_id=product_id, location_id=location_id)
    return drill(f"Stock levels holding units that arrived over {AGED_AFTER_DAYS} days ago", StockLevel.objects.filter(match))


register(Kpi(
    key="stock_age", title="Aged stock", group="Inventory", unit="mixed",
    definition=f"Units on hand now by days since they arrived (receipt, restocked return, transfer in; first in, first out), "
               f"with their value at cost; stock over {AGED_AFTER_DAYS} days old is aged. The date range does not apply.",
    dimensions=("location", "sku", "category"), filters=("location", "sku", "category"), compute=stock_age,
    drilldown_of_answer=_aged_levels_link,
))

"""What a KPI is: a key, what it means, how it is split, how it is computed and what lies behind it.

Most KPIs are sums over one rollup table turned into a figure (a count, a ratio, an average): a
``RollupKpi`` states the table, the sums and the figure, and the grouping, the filters and the
weekday fold are done here once. KPIs about the present (backlog, holds, stock) read the live
tables with one aggregate query each.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model, Q, Sum
from django.urls import reverse

from ..rollups import day_bounds

UNCATEGORISED = "(no category)"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Every dimension a KPI may be split or filtered by: its label.
DIMENSIONS = {
    "day": "Local day", "hour": "Hour of day (local)", "weekday": "Weekday (local)", "channel": "Channel",
    "location": "Location", "carrier": "Carrier", "sku": "SKU", "country": "Destination country (lane)",
    "reason": "Return reason", "disposition": "Disposition", "stage": "Stage", "category": "Product category",
    "abc_class": "ABC class",
}
# The dimensions a request may filter on (query parameters), resolved to ids by the selectors.
FILTERS = ("channel", "location", "carrier", "sku", "category")


@dataclass(frozen=True)
class Filters:
    date_from: datetime.date
    date_to: datetime.date
    channel_id: int | None = None
    location_id: int | None = None
    carrier: str | None = None
    sku: str | None = None
    category: str | None = None

    def given(self) -> list[str]:
        return [name for name, value in (("channel", self.channel_id), ("location", self.location_id),
                                         ("carrier", self.carrier), ("sku", self.sku), ("category", self.category))
                if value is not None]

    @property
    def start(self) -> datetime.datetime:
        return day_bounds(self.date_from)[0]

    @property
    def end(self) -> datetime.datetime:
        return day_bounds(self.date_to)[1]


@dataclass
class Kpi:
    key: str
    title: str
    definition: str
    unit: str  # count, percent, hours, days, money, units, per_hour, metres, mixed
    group: str
    dimensions: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    compute: Callable[[Filters, str | None], dict] | None = None
    drilldown: Callable[[Filters], dict] | None = None
    # A drill-down made from the answer just computed, for a KPI whose rows behind the number
    # would cost as much to find again as the number itself.
    drilldown_of_answer: Callable[[Filters, dict], dict] | None = None

    def describe(self) -> dict:
        return {"key": self.key, "title": self.title, "definition": self.definition, "unit": self.unit, "group": self.group,
                "dimensions": list(self.dimensions), "filters": list(self.filters)}

    def answer(self, filters: Filters, by: str | None) -> dict:
        result = self.compute(filters, by)
        if self.drilldown_of_answer is not None:
            drilldown = self.drilldown_of_answer(filters, result)
        else:
            drilldown = self.drilldown(filters) if self.drilldown else None
        return {**self.describe(), "from": filters.date_from.isoformat(), "to": filters.date_to.isoformat(), "by": by,
                **result, "drilldown": drilldown}


REGISTRY: dict[str, Kpi] = {}


def register(kpi: Kpi) -> Kpi:
    assert kpi.key not in REGISTRY, kpi.key
    REGISTRY[kpi.key] = kpi
    return kpi


# --- Rollup KPIs --------------------------------------------------------------------------------

# Rollup field of each dimension / filter (a model lacking the field does not offer it).
FIELD = {"day": "day", "hour": "hour", "weekday": "day", "channel": "channel_id", "location": "location_id",
         "carrier": "carrier_code", "sku": "sku", "country": "ship_country", "reason": "reason_id",
         "disposition": "disposition", "stage": "stage", "category": "product__category"}
FILTER_VALUE = {"channel": "channel_id", "location": "location_id", "carrier": "carrier", "sku": "sku", "category": "category"}


def rollup_rows(model: type[Model], filters: Filters, sums: tuple[str, ...], *, by: str | None = None,
                currency: str | None = None, where: Q | None = None) -> list[tuple[Any, str | None, dict]]:
    """Sum ``sums`` over the rollup rows of the range and filters, grouped by ``by`` (and by
    currency when given): [(group, currency, sums)]. Weekdays fold the days' sums."""
    rows = model.objects.filter(day__gte=filters.date_from, day__lte=filters.date_to)
    for name in FILTERS:
        value = getattr(filters, FILTER_VALUE[name])
        if value is not None:
            rows = rows.filter(**{FIELD[name]: value})
    if where is not None:
        rows = rows.filter(where)
    keys = ([FIELD[by]] if by else []) + ([currency] if currency else [])
    sums_of = {f"s_{name}": Sum(name) for name in sums}
    # No split: one aggregate row (``values()`` with no field would group by every column).
    aggregated = rows.values(*keys).annotate(**sums_of).order_by(*keys) if keys else [rows.aggregate(**sums_of)]
    folded: dict[tuple, dict] = {}
    for row in aggregated:
        group = row[FIELD[by]] if by else None
        if by == "weekday":
            group = group.isoweekday()
        key = (group, row[currency] if currency else None)
        totals = folded.setdefault(key, dict.fromkeys(sums, 0))
        for name in sums:
            totals[name] += row[f"s_{name}"] or 0
    def order(item):
        (group, cur), _ = item
        return (group is None, group if group is not None else 0, cur or "")

    return [(group, cur, totals) for (group, cur), totals in sorted(folded.items(), key=order)]


def ratio(part, whole, scale=100) -> float | None:
    """part / whole * scale, rounded to 2 places; None when there is nothing to divide by."""
    return None if not whole else round(float(part) * scale / float(whole), 2)


def money(amount) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


def group_label(by: str | None, group) -> Any:
    if by == "category" and not group:
        return UNCATEGORISED
    if by == "weekday":
        return WEEKDAYS[group - 1]
    if isinstance(group, datetime.date):
        return group.isoformat()
    return group


def rollup_kpi(*, model: type[Model], sums: tuple[str, ...], figure: Callable[[dict], Any], currency: str | None = None,
               where: Q | None = None, labels: Callable[[str, list], dict] | None = None) -> Callable[[Filters, str | None], dict]:
    """A compute function: the figure of the whole range (``value``) and, split ``by`` a
    dimension, one row per group. With ``currency``, money is never added across currencies:
    the value is a list of {currency, value}."""

    def compute(filters: Filters, by: str | None) -> dict:
        def shaped(rows):
            if currency:
                return [{"currency": cur, "value": figure(totals)} for _, cur, totals in rows]
            return figure(rows[0][2]) if rows else figure(dict.fromkeys(sums, 0))

        total = rollup_rows(model, filters, sums, currency=currency, where=where)
        result = {"value": shaped(total)}
        if by:
            grouped = rollup_rows(model, filters, sums, by=by, currency=currency, where=where)
            groups: dict = {}
            for group, cur, totals in grouped:
                groups.setdefault(group, []).append((group, cur, totals))
            names = labels(by, list(groups)) if labels else {}
            result["rows"] = [{"group": group_label(by, group), "label": names.get(group, group_label(by, group)),
                               "value": shaped(rows)} for group, rows in groups.items()]
        return result

    return compute


def per_sku(filters: Filters, by: str | None) -> bool:
    """The question names products (a SKU, a category): only the per-SKU tables can answer it."""
    return filters.sku is not None or filters.category is not None or by in ("sku", "category")


def finest_needed(coarse, per_sku_compute):
    """Answer from the small per-channel table unless a SKU is asked for: a year of ``OrderDay``
    is a few thousand rows, of ``SkuDay`` one per SKU sold each day."""

    def compute(filters: Filters, by: str | None) -> dict:
        return (per_sku_compute if per_sku(filters, by) else coarse)(filters, by)

    return compute


# --- Drill-downs ---------------------------------------------------------------------------------

# A drill-down names the rows behind a figure: the newest of them (ids) and the console list
# showing those (``id__in``: the admin accepts it on every list, where lookups across relations,
# such as an order's placing day on a fulfillment order, are refused). One bounded query: no count
# of a year of rows next to a figure read from the rollups in milliseconds.
DRILL_IDS = 200


def drill(label: str, queryset) -> dict:
    model = queryset.model._meta.concrete_model
    # A semi-join rather than DISTINCT: the joins of a filter (lines, refunds) may repeat a row.
    newest = model._default_manager.filter(pk__in=queryset.values("pk")).order_by("-pk")
    ids = list(newest.values_list("pk", flat=True)[: DRILL_IDS + 1])
    more = len(ids) > DRILL_IDS
    ids = ids[:DRILL_IDS]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return {"label": f"{label} (the newest {DRILL_IDS})" if more else label, "ids": ids, "more": more,
            "url": f"{url}?{urlencode({'id__in': ','.join(map(str, ids)) or '0'})}"}


def _given(lookups: dict) -> dict:
    return {key: value for key, value in lookups.items() if value is not None}


def orders_of(filters: Filters, *, live: bool = True, **lookups):
    """The orders placed in the range (cancelled ones left out when ``live``)."""
    from orders.models import Order, OrderStatus

    orders = Order.objects.filter(placed_at__gte=filters.start, placed_at__lt=filters.end, **_given(lookups))
    if filters.channel_id is not None:
        orders = orders.filter(channel_id=filters.channel_id)
    if filters.sku is not None:
        orders = orders.filter(lines__sku=filters.sku)
    if filters.category is not None:
        orders = orders.filter(lines__product__category=filters.category)
    return orders.exclude(status=OrderStatus.CANCELLED) if live else orders


def orders_link(filters: Filters, label: str = "Orders placed in the range", *, live: bool = True, **lookups) -> dict:
    return drill(label, orders_of(filters, live=live, **lookups))


def order_lines_link(filters: Filters, label: str = "Orders placed in the range (with the SKU)") -> dict:
    return orders_link(filters, label)


def fulfillment_orders_of(filters: Filters, **lookups):
    from fulfillment.models import FulfillmentOrder, FulfillmentStatus

    fos = FulfillmentOrder.objects.filter(order__placed_at__gte=filters.start, order__placed_at__lt=filters.end, **_given(lookups))
    for field, value in (("order__channel_id", filters.channel_id), ("location_id", filters.location_id), ("carrier_code", filters.carrier)):
        if value is not None:
            fos = fos.filter(**{field: value})
    return fos.exclude(status=FulfillmentStatus.CANCELLED)


def fulfillment_orders_link(filters: Filters, label: str = "Fulfillment orders of the orders placed in the range", **lookups) -> dict:
    return drill(label, fulfillment_orders_of(filters, **lookups))


def products_link(label: str, skus: list[str] | None = None) -> dict:
    from inventory.models import Product

    products = Product.objects.all() if skus is None else Product.objects.filter(sku__in=skus)
    return drill(label, products)

"""Promises, fill and splits, shipping (from ``FulfillmentDay``, ``OrderDay`` and ``SkuDay``)."""

from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum

from shipping.models import CarrierCharge, Shipment

from ..models import FulfillmentDay, OrderDay, SkuDay
from .base import (
    Filters, Kpi, drill, finest_needed, fulfillment_orders_link, fulfillment_orders_of, group_label, money, order_lines_link, orders_link, ratio, register,
    rollup_kpi, rollup_rows,
)
from .names import names

FULFILLMENT_DIMENSIONS = ("day", "weekday", "channel", "location", "carrier", "country")
FULFILLMENT_FILTERS = ("channel", "location", "carrier")
WITH_SHIPMENTS = Q(shipments__gt=0)


def _fulfillment(group, key, title, definition, unit, sums, figure, drilldown, currency=None, where=None):
    """A KPI of ``FulfillmentDay``: split and filtered by channel, location, carrier and lane."""
    register(Kpi(key=key, title=title, definition=definition, unit=unit, group=group,
                 dimensions=FULFILLMENT_DIMENSIONS, filters=FULFILLMENT_FILTERS,
                 compute=rollup_kpi(model=FulfillmentDay, sums=sums, figure=figure, currency=currency, labels=names, where=where),
                 drilldown=drilldown))


# --- Promises ---
_fulfillment("Promises", "on_time_ship", "On-time shipping",
             "Share of shipped fulfillment orders (of the orders placed in the range) that shipped on or before their "
             "promised ship date (local day); those without a promise are left out.", "percent",
             ("ship_promised", "shipped_on_time"), lambda s: ratio(s["shipped_on_time"], s["ship_promised"]),
             lambda f: fulfillment_orders_link(f, "Shipped fulfillment orders", shipped_at__isnull=False))
_fulfillment("Promises", "on_time_delivery", "On-time delivery",
             "Share of delivered fulfillment orders delivered on or before the promised delivery date (local day); "
             "those without a promise are left out.", "percent",
             ("delivery_promised", "delivered_on_time"), lambda s: ratio(s["delivered_on_time"], s["delivery_promised"]),
             lambda f: fulfillment_orders_link(f, "Delivered fulfillment orders", delivered_at__isnull=False))
_fulfillment("Promises", "late_shipments", "Late shipments",
             "Shipments of the range's orders that the carrier delivered after the promised date or that were flagged late.",
             "count", ("late_shipments",), lambda s: s["late_shipments"],
             lambda f: late_link(f))

# --- Fill and splits ---
_fulfillment("Fill and splits", "short_picks", "Short picks",
             "Share of pick lines (for the range's orders) where fewer units were found than asked for; units short alongside.",
             "percent", ("pick_lines", "short_pick_lines", "units_picked_short"),
             lambda s: {"rate": ratio(s["short_pick_lines"], s["pick_lines"]), "lines": s["short_pick_lines"],
                        "units": s["units_picked_short"]},
             lambda f: fulfillment_orders_link(f))

# --- Shipping ---
_fulfillment("Shipping", "shipping_cost_per_shipment", "Shipping cost per shipment",
             "The carriers' prices of the shipments of the range's orders divided by the shipments, per currency.", "money",
             ("shipping_cost", "shipments"), lambda s: money(s["shipping_cost"] / s["shipments"]) if s["shipments"] else None,
             lambda f: fulfillment_orders_link(f, "Fulfillment orders with a shipment", shipment__isnull=False), currency="shipping_currency", where=WITH_SHIPMENTS)
_fulfillment("Shipping", "shipping_cost_per_unit", "Shipping cost per unit",
             "The carriers' prices of the shipments divided by the units in them, per currency.", "money",
             ("shipping_cost", "units_in_shipments"),
             lambda s: money(s["shipping_cost"] / s["units_in_shipments"]) if s["units_in_shipments"] else None,
             lambda f: fulfillment_orders_link(f, "Fulfillment orders with a shipment", shipment__isnull=False), currency="shipping_currency", where=WITH_SHIPMENTS)
_fulfillment("Shipping", "transit_time", "Transit time",
             "Average days from shipped to delivered of the delivered fulfillment orders; split by carrier and country for lanes.",
             "days", ("delivered", "transit_seconds"),
             lambda s: round(s["transit_seconds"] / s["delivered"] / 86400, 2) if s["delivered"] else None,
             lambda f: fulfillment_orders_link(f, "Delivered fulfillment orders", delivered_at__isnull=False))
_fulfillment("Shipping", "late_rate", "Late rate",
             "Share of shipments delivered after the promised date or flagged late; split by carrier and country for lanes.",
             "percent", ("shipments", "late_shipments"), lambda s: ratio(s["late_shipments"], s["shipments"]),
             lambda f: late_link(f), where=WITH_SHIPMENTS)


def _late_ids(f):
    """Fulfillment orders whose shipment the carrier flagged late or delivered after its promise
    (the rollup's test, in the ORM)."""
    late = Q(shipment__late=True) | Q(shipment__delivered_at__date__gt=F("shipment__promised_delivery_date"))
    return fulfillment_orders_of(f).filter(late).values("pk")


def late_link(f):
    return fulfillment_orders_link(f, "Fulfillment orders whose shipment was late", id__in=_late_ids(f))


ORDER_DIMENSIONS = ("day", "weekday", "channel")
register(Kpi(
    key="split_rate", title="Split-shipment rate", group="Fill and splits", unit="percent",
    definition="Share of the range's orders (not cancelled) that ship in more than one fulfillment order.",
    dimensions=ORDER_DIMENSIONS, filters=("channel",),
    compute=rollup_kpi(model=OrderDay, sums=("orders", "split_orders"), figure=lambda s: ratio(s["split_orders"], s["orders"]), labels=names),
    drilldown=lambda f: orders_link(f),
))
register(Kpi(
    key="backorder_rate", title="Backorders", group="Fill and splits", unit="mixed",
    definition="Share of the range's orders (not cancelled) that were backordered at some point, and the average hours "
               "from backordered to allocated of those allocated since.",
    dimensions=ORDER_DIMENSIONS, filters=("channel",),
    compute=rollup_kpi(model=OrderDay, sums=("orders", "backordered_orders", "backorder_seconds"), labels=names,
                       figure=lambda s: {"rate": ratio(s["backordered_orders"], s["orders"]), "orders": s["backordered_orders"],
                                         "mean_hours": round(s["backorder_seconds"] / s["backordered_orders"] / 3600, 2)
                                         if s["backordered_orders"] else None}),
    drilldown=lambda f: orders_link(f, "Orders placed in the range that were backordered", events__to_status="backordered"),
))
register(Kpi(
    key="fill_rate", title="Fill rate", group="Fill and splits", unit="percent",
    definition="Share of the units ordered on the range's orders (not cancelled) that have shipped.",
    dimensions=("day", "weekday", "channel", "sku"), filters=("channel", "sku"),
    compute=finest_needed(
        rollup_kpi(model=OrderDay, sums=("units", "units_shipped"), figure=lambda s: ratio(s["units_shipped"], s["units"]), labels=names),
        rollup_kpi(model=SkuDay, sums=("units", "units_shipped"), figure=lambda s: ratio(s["units_shipped"], s["units"]), labels=names),
    ),
    drilldown=lambda f: order_lines_link(f),
))


def shipping_cost_per_order(filters, by):
    """The shipments' prices (``FulfillmentDay``, per shipping currency) over the orders placed
    (``OrderDay``), both of the range's orders, matched group by group."""
    costs = rollup_rows(FulfillmentDay, filters, ("shipping_cost",), by=by, currency="shipping_currency", where=WITH_SHIPMENTS)
    orders = {group: totals["orders"] for group, _, totals in rollup_rows(OrderDay, filters, ("orders",), by=by)}

    def per_order(group, rows):
        return [{"currency": cur, "value": money(totals["shipping_cost"] / orders[group]) if orders.get(group) else None}
                for row_group, cur, totals in rows if row_group == group]

    if not by:
        return {"value": per_order(None, costs)}
    groups = sorted(set(orders) | {group for group, _, _ in costs}, key=lambda group: (group is None, group if group is not None else 0))
    labels = names(by, groups)
    total = rollup_rows(FulfillmentDay, filters, ("shipping_cost",), currency="shipping_currency", where=WITH_SHIPMENTS)
    all_orders = sum(orders.values())
    return {"value": [{"currency": cur, "value": money(totals["shipping_cost"] / all_orders) if all_orders else None}
                      for _, cur, totals in total],
            "rows": [{"group": group_label(by, group), "label": labels.get(group, group_label(by, group)), "value": per_order(group, costs)}
                     for group in groups]}


register(Kpi(
    key="shipping_cost_per_order", title="Shipping cost per order", group="Shipping", unit="money",
    definition="The carriers' prices of the shipments of the orders placed in the range over those orders (not cancelled), per currency.",
    dimensions=ORDER_DIMENSIONS, filters=("channel",), compute=shipping_cost_per_order,
    drilldown=lambda f: orders_link(f),
))


def _billed_shipments(filters: Filters):
    """Shipments of ours bought in the range (by the day the label was bought) that a carrier
    billed; with the carrier filter, that carrier's."""
    shipments = Shipment.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end, carrier_charges__isnull=False)
    if filters.carrier is not None:
        shipments = shipments.filter(carrier__code=filters.carrier)
    return Shipment.objects.filter(pk__in=shipments.values("pk"))


def _billed_total():
    return Subquery(CarrierCharge.objects.filter(shipment_id=OuterRef("pk")).order_by().values("shipment_id")
                    .annotate(total=Sum("amount")).values("total")[:1])


def shipping_billed_vs_quoted(filters: Filters, by: str | None) -> dict:
    """Per carrier (when split) and currency: the quotes and the bills of the billed shipments,
    the difference, and how many were billed above their quote. Three aggregate queries."""
    shipments = _billed_shipments(filters)
    keys = (["carrier__code"] if by == "carrier" else []) + ["currency"]
    quoted = {tuple(row[k] for k in keys): row for row in shipments.values(*keys).annotate(n=Count("id"), quoted=Sum("price")).order_by(*keys)}
    charge_keys = [f"shipment__{k}" if k != "currency" else "currency" for k in keys]
    billed = {tuple(row[k] for k in charge_keys): row["billed"]
              for row in CarrierCharge.objects.filter(shipment__in=shipments).values(*charge_keys).annotate(billed=Sum("amount")).order_by()}
    over = {tuple(row[k] for k in keys): row["n"] for row in shipments.annotate(billed=_billed_total()).filter(billed__gt=F("price"))
            .values(*keys).annotate(n=Count("id")).order_by(*keys)}

    def figure(rows: dict) -> list[dict]:
        return [{"currency": currency, "value": {
            "shipments_billed": row["n"], "quoted": money(row["quoted"]), "billed": money(row["billed"]),
            "difference": money(row["billed"] - row["quoted"]), "difference_rate": ratio(row["billed"] - row["quoted"], row["quoted"]),
            "billed_over_quote": row["over"]}} for currency, row in sorted(rows.items())]

    # Per group (the keys' all but last) and currency (the last key); the whole is their sum.
    grouped: dict = {}
    whole: dict = {}
    for key, row in quoted.items():
        for into in (grouped.setdefault(key[:-1], {}), whole):
            cell = into.setdefault(key[-1], {"n": 0, "quoted": Decimal(0), "billed": Decimal(0), "over": 0})
            cell["n"] += row["n"]
            cell["quoted"] += row["quoted"]
            cell["billed"] += billed.get(key, Decimal(0))
            cell["over"] += over.get(key, 0)
    result = {"value": figure(whole)}
    if by:
        result["rows"] = [{"group": group[0], "label": group[0], "value": figure(grouped[group])} for group in sorted(grouped)]
    return result


register(Kpi(
    key="shipping_billed_vs_quoted", title="Shipping billed against quoted", group="Shipping", unit="money",
    definition="Of the shipments bought in the range that a carrier has billed (its invoices imported): the quotes they were bought "
               "at, what the carrier billed, the difference, and how many were billed above their quote; per currency.",
    dimensions=("carrier",), filters=("carrier",), compute=shipping_billed_vs_quoted,
    drilldown=lambda f: drill("Shipments billed above their quote", _billed_shipments(f).annotate(billed=_billed_total())
                              .filter(billed__gt=F("price"))),
))

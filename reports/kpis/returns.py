"""Returns and refunds (from ``ReturnDay``, ``SkuDay`` and ``RefundDay``)."""

from __future__ import annotations

from orders.models import Order
from returns.models import RefundStatus, ReturnRequest, ReturnStatus

from ..models import OrderDay, RefundDay, ReturnDay, SkuDay
from .base import Filters, Kpi, drill, group_label, money, per_sku, ratio, register, rollup_kpi, rollup_rows
from .names import names


def _returns_of(f: Filters):
    returns = ReturnRequest.objects.filter(order__placed_at__gte=f.start, order__placed_at__lt=f.end).exclude(
        status__in=[ReturnStatus.REJECTED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED])
    if f.channel_id is not None:
        returns = returns.filter(order__channel_id=f.channel_id)
    if f.sku is not None:
        returns = returns.filter(lines__order_line__sku=f.sku)
    if f.category is not None:
        returns = returns.filter(lines__order_line__product__category=f.category)
    return returns


def return_rate(filters: Filters, by: str | None) -> dict:
    """Units asked back over units sold, both of the range's orders. Split by reason, each row is
    that reason's units over all units sold (the rows add up to the total rate)."""
    sold_in = SkuDay if per_sku(filters, by) else OrderDay
    sold_total = rollup_rows(sold_in, filters, ("units",))
    sold = sold_total[0][2]["units"] if sold_total else 0
    back_total = rollup_rows(ReturnDay, filters, ("units_requested",))
    back = back_total[0][2]["units_requested"] if back_total else 0
    result = {"value": {"rate": ratio(back, sold), "units_returned": back, "units_sold": sold}}
    if by:
        returned = {group: totals["units_requested"] for group, _, totals in rollup_rows(ReturnDay, filters, ("units_requested",), by=by)}
        if by == "reason":
            denominators = dict.fromkeys(returned, sold)
        else:
            denominators = {group: totals["units"] for group, _, totals in rollup_rows(sold_in, filters, ("units",), by=by)}
        labels = names(by, list(returned))
        result["rows"] = [{"group": group_label(by, group), "label": labels.get(group, group_label(by, group)),
                           "value": {"rate": ratio(units, denominators.get(group)), "units_returned": units,
                                     "units_sold": denominators.get(group, 0)}}
                          for group, units in returned.items()]
    return result


register(Kpi(
    key="return_rate", title="Return rate", group="Returns", unit="percent",
    definition="Units asked back (returns not rejected, cancelled or expired) over units sold, both of the orders placed in the range.",
    dimensions=("day", "weekday", "channel", "sku", "category", "reason"), filters=("channel", "sku", "category"), compute=return_rate,
    drilldown=lambda f: drill("Returns of the orders placed in the range", _returns_of(f)),
))


def disposition_share(filters: Filters, by: str | None) -> dict:
    rows = rollup_rows(ReturnDay, filters, ("units_accepted",), by="disposition")
    inspected = sum(totals["units_accepted"] for disposition, _, totals in rows if disposition)
    shares = {disposition: {"units": totals["units_accepted"], "share": ratio(totals["units_accepted"], inspected)}
              for disposition, _, totals in rows if disposition}
    return {"value": shares}


register(Kpi(
    key="restock_share", title="Restock vs scrap", group="Returns", unit="percent",
    definition="How the accepted returned units of the range's orders were disposed of (restock, refurbish, quarantine, "
               "scrap, return to vendor), as shares of the inspected units.",
    dimensions=(), filters=("channel", "sku", "category"), compute=disposition_share,
    drilldown=lambda f: drill("Inspected returns of the orders placed in the range", _returns_of(f).filter(inspected_at__isnull=False)),
))



def _refund_link(f: Filters) -> dict:
    orders = Order.objects.filter(refunds__status=RefundStatus.SUCCEEDED, refunds__succeeded_at__gte=f.start, refunds__succeeded_at__lt=f.end)
    if f.channel_id is not None:
        orders = orders.filter(channel_id=f.channel_id)
    return drill("Orders with a refund paid in the range", orders)


register(Kpi(
    key="refunds", title="Refunds paid", group="Returns", unit="money",
    definition="Refunds that succeeded in the range (by the day they were paid), per currency.",
    dimensions=("day", "weekday", "channel"), filters=("channel",),
    compute=rollup_kpi(model=RefundDay, sums=("amount", "refunds"), currency="currency", labels=names,
                       figure=lambda s: {"amount": money(s["amount"]), "refunds": s["refunds"]}),
    drilldown=_refund_link,
))
register(Kpi(
    key="days_to_refund", title="Days from request to refund", group="Returns", unit="days",
    definition="Average days from the return request to its refund succeeding, of the refunds paid in the range.",
    dimensions=("day", "weekday", "channel"), filters=("channel",),
    compute=rollup_kpi(model=RefundDay, sums=("with_request", "request_seconds"), labels=names,
                       figure=lambda s: round(s["request_seconds"] / s["with_request"] / 86400, 2) if s["with_request"] else None),
    drilldown=_refund_link,
))

"""Volume: orders, units, revenue and average order value (from ``OrderDay`` and ``SkuDay``)."""

from ..models import OrderDay, SkuDay
from .base import Kpi, money, order_lines_link, orders_link, register, rollup_kpi
from .names import names

VOLUME_DIMENSIONS = ("day", "hour", "weekday", "channel")

register(Kpi(
    key="orders", title="Orders", group="Volume", unit="count",
    definition="Orders placed in the range (local days), cancelled ones left out.",
    dimensions=VOLUME_DIMENSIONS, filters=("channel",),
    compute=rollup_kpi(model=OrderDay, sums=("orders",), figure=lambda s: s["orders"], labels=names),
    drilldown=orders_link,
))
register(Kpi(
    key="cancelled_orders", title="Cancelled orders", group="Volume", unit="count",
    definition="Orders placed in the range that are cancelled now.",
    dimensions=VOLUME_DIMENSIONS, filters=("channel",),
    compute=rollup_kpi(model=OrderDay, sums=("cancelled_orders",), figure=lambda s: s["cancelled_orders"], labels=names),
    drilldown=lambda f: orders_link(f, "Cancelled orders placed in the range", live=False, status="cancelled"),
))
register(Kpi(
    key="units", title="Units ordered", group="Volume", unit="units",
    definition="Units on the lines of the orders placed in the range, cancelled orders left out.",
    dimensions=VOLUME_DIMENSIONS, filters=("channel",),
    compute=rollup_kpi(model=OrderDay, sums=("units",), figure=lambda s: s["units"], labels=names),
    drilldown=orders_link,
))
register(Kpi(
    key="revenue", title="Revenue", group="Volume", unit="money",
    definition="Grand totals (goods, shipping and tax, less discounts) of the orders placed in the range, cancelled "
               "ones left out; one figure per currency.",
    dimensions=VOLUME_DIMENSIONS, filters=("channel",),
    compute=rollup_kpi(model=OrderDay, sums=("revenue",), figure=lambda s: money(s["revenue"]), currency="currency", labels=names),
    drilldown=orders_link,
))
register(Kpi(
    key="average_order_value", title="Average order value", group="Volume", unit="money",
    definition="Revenue divided by orders, per currency.",
    dimensions=VOLUME_DIMENSIONS, filters=("channel",),
    compute=rollup_kpi(model=OrderDay, sums=("revenue", "orders"), currency="currency", labels=names,
                       figure=lambda s: money(s["revenue"] / s["orders"]) if s["orders"] else None),
    drilldown=orders_link,
))
register(Kpi(
    key="sku_units", title="Units sold by SKU", group="Volume", unit="units",
    definition="Units ordered of each SKU on the orders placed in the range, cancelled orders left out.",
    dimensions=("day", "weekday", "channel", "sku", "category"), filters=("channel", "sku", "category"),
    compute=rollup_kpi(model=SkuDay, sums=("units",), figure=lambda s: s["units"], labels=names),
    drilldown=lambda f: order_lines_link(f),
))

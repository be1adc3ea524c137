"""Daily rollups: rebuild one local day of every rollup table with set-based INSERT ... SELECT.

``rollup_day`` replaces one day's rows in one transaction (delete, then insert the aggregates
computed by the database), so rebuilding a day twice gives the same rows. ``rollups_rebuild``
does a range, one transaction per day. ``rollups_refresh`` (the beat job) finds the days whose
facts changed since its last run, from the timestamps the other apps record (order updates, order
events, fulfillment orders, shipments, pick lists, packages, returns, refunds), and re-rolls them.

The SQL is written once with a few dialect pieces (local hour and date in the merchant's time
zone, seconds between two timestamps) so it runs on PostgreSQL and on SQLite (the demo).
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from fulfillment.models import FulfillmentLine, FulfillmentOrder
from inventory.models import StockMovement
from fulfillment.models_picking import Package, PickList, PickListLine
from oms.errors import InvalidInput
from orders.models import Order, OrderEvent, OrderLine
from returns.models import Refund, ReturnLine, ReturnRequest
from shipping.models import Shipment

from .models import FulfillmentDay, OrderDay, RefundDay, ReturnDay, RollupRun, SkuDay, StageDay, StockoutDay

# Upper bounds (seconds) of the stage-duration histogram buckets; the last bucket is open.
# Percentiles read from a histogram are the upper bound of the bucket holding the rank: exact
# enough to tell 2 hours from 2 days, the same on PostgreSQL and SQLite, and a year of them sums
# in a few thousand rows.
MINUTE, HOUR, DAY = 60, 3600, 86400
BUCKETS = [
    1 * MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 20 * MINUTE, 30 * MINUTE, 45 * MINUTE,
    1 * HOUR, 90 * MINUTE, 2 * HOUR, 3 * HOUR, 4 * HOUR, 6 * HOUR, 8 * HOUR, 12 * HOUR, 16 * HOUR, 20 * HOUR,
    1 * DAY, 36 * HOUR, 2 * DAY, 60 * HOUR, 3 * DAY, 4 * DAY, 5 * DAY, 6 * DAY, 7 * DAY, 10 * DAY, 14 * DAY, 21 * DAY, 30 * DAY,
]
OPEN_BUCKET = len(BUCKETS)
# A change committed a little after the job read the clock carries an earlier timestamp: each run
# looks back this far before the previous run's start, so such a change is still seen.
REFRESH_OVERLAP = datetime.timedelta(minutes=15)
REFRESH_KEY = "daily"
ROLLUP_MODELS = (OrderDay, SkuDay, FulfillmentDay, StageDay, ReturnDay, RefundDay, StockoutDay)


def merchant_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The UTC instants a local day starts and ends at (23 or 25 hours long on DST change days)."""
    zone = merchant_zone()
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    return start.astimezone(datetime.UTC), end.astimezone(datetime.UTC)


def local_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(merchant_zone()).date()


@dataclass(frozen=True)
class Dialect:
    """The pieces of SQL that differ between PostgreSQL and SQLite."""

    vendor: str
    zone: str

    def local_hour(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"CAST(EXTRACT(HOUR FROM {column} AT TIME ZONE '{self.zone}') AS integer)"
        return f"django_datetime_extract('hour', {column}, '{self.zone}', '{connection.timezone_name}')"

    def local_date(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"CAST({column} AT TIME ZONE '{self.zone}' AS date)"
        return f"django_datetime_cast_date({column}, '{self.zone}', '{connection.timezone_name}')"

    def seconds(self, start: str, end: str) -> str:
        if self.vendor == "postgresql":
            return f"EXTRACT(EPOCH FROM ({end} - {start}))"
        return f"((julianday({end}) - julianday({start})) * 86400.0)"


def dialect() -> Dialect:
    zone = settings.TIME_ZONE
    # Inlined into SQL: only a plain IANA name may get there.
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", zone):
        raise InvalidInput(f"TIME_ZONE {zone!r} is not a time zone name.", fields={"TIME_ZONE": ["Not a time zone name."]})
    return Dialect(vendor=connection.vendor, zone=zone)


def _bucket(seconds_sql: str) -> str:
    whens = " ".join(f"WHEN {seconds_sql} < {bound} THEN {index}" for index, bound in enumerate(BUCKETS))
    return f"CASE {whens} ELSE {OPEN_BUCKET} END"


def _tables() -> dict[str, str]:
    models = {
        "order": Order, "line": OrderLine, "event": OrderEvent, "fo": FulfillmentOrder, "fline": FulfillmentLine,
        "picklist": PickList, "pickline": PickListLine, "package": Package, "shipment": Shipment,
        "request": ReturnRequest, "rline": ReturnLine, "refund": Refund,
        "order_day": OrderDay, "sku_day": SkuDay, "fulfillment_day": FulfillmentDay, "stage_day": StageDay,
        "return_day": ReturnDay, "refund_day": RefundDay, "movement": StockMovement, "stockout_day": StockoutDay,
    }
    return {name: connection.ops.quote_name(model._meta.db_table) for name, model in models.items()}


def _statements(d: Dialect) -> list[str]:
    """INSERT ... SELECT for each rollup table; parameters: %(day)s, %(start)s, %(end)s."""
    t = _tables()
    in_day = "o.placed_at >= %(start)s AND o.placed_at < %(end)s"
    orders_of_day = f"SELECT o.id FROM {t['order']} o WHERE {in_day}"
    fos_of_day = f"SELECT fo.id FROM {t['fo']} fo JOIN {t['order']} o ON o.id = fo.order_id WHERE {in_day}"
    live = "o.status <> 'cancelled'"
    order_day = f"""
        INSERT INTO {t['order_day']} (day, hour, channel_id, currency, orders, cancelled_orders, lines, units, units_shipped, revenue,
                                      split_orders, backordered_orders, backorder_seconds)
        SELECT %(day)s, {d.local_hour('o.placed_at')}, o.channel_id, o.currency,
               SUM(CASE WHEN {live} THEN 1 ELSE 0 END),
               SUM(CASE WHEN {live} THEN 0 ELSE 1 END),
               SUM(CASE WHEN {live} THEN COALESCE(l.lines, 0) ELSE 0 END),
               SUM(CASE WHEN {live} THEN COALESCE(l.units, 0) ELSE 0 END),
               SUM(CASE WHEN {live} THEN COALESCE(l.shipped, 0) ELSE 0 END),
               SUM(CASE WHEN {live} THEN o.grand_total ELSE 0 END),
               SUM(CASE WHEN {live} AND f.fos > 1 THEN 1 ELSE 0 END),
               SUM(CASE WHEN {live} AND b.backordered_at IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN {live} AND b.allocated_at IS NOT NULL THEN {d.seconds('b.backordered_at', 'b.allocated_at')} ELSE 0 END)
        FROM {t['order']} o
        LEFT JOIN (SELECT order_id, COUNT(*) AS lines, SUM(quantity) AS units, SUM(quantity_shipped) AS shipped FROM {t['line']}
                   WHERE order_id IN ({orders_of_day}) GROUP BY order_id) l ON l.order_id = o.id
        LEFT JOIN (SELECT order_id, COUNT(*) AS fos FROM {t['fo']}
                   WHERE status <> 'cancelled' AND order_id IN ({orders_of_day}) GROUP BY order_id) f ON f.order_id = o.id
        LEFT JOIN (SELECT first.order_id, first.backordered_at,
                          (SELECT MIN(e.created_at) FROM {t['event']} e WHERE e.order_id = first.order_id AND e.kind = 'status'
                             AND e.to_status = 'allocated' AND e.created_at >= first.backordered_at) AS allocated_at
                   FROM (SELECT order_id, MIN(created_at) AS backordered_at FROM {t['event']}
                         WHERE kind = 'status' AND to_status = 'backordered' AND order_id IN ({orders_of_day})
                         GROUP BY order_id) first) b ON b.order_id = o.id
        WHERE {in_day}
        GROUP BY {d.local_hour('o.placed_at')}, o.channel_id, o.currency
    """
    sku_day = f"""
        INSERT INTO {t['sku_day']} (day, channel_id, product_id, sku, currency, lines, units, revenue, units_shipped, units_returned)
        SELECT %(day)s, o.channel_id, l.product_id, l.sku, o.currency, COUNT(*), SUM(l.quantity), SUM(l.line_total),
               SUM(l.quantity_shipped), SUM(l.quantity_returned)
        FROM {t['line']} l JOIN {t['order']} o ON o.id = l.order_id
        WHERE {in_day} AND {live}
        GROUP BY o.channel_id, l.product_id, l.sku, o.currency
    """
    shipped_on_time = f"{d.local_date('fo.shipped_at')} <= fo.promised_ship_date"
    delivered_on_time = f"{d.local_date('fo.delivered_at')} <= fo.promised_delivery_date"
    shipment_late = f"(s.late = TRUE OR (s.delivered_at IS NOT NULL AND {d.local_date('s.delivered_at')} > s.promised_delivery_date))"
    fulfillment_day = f"""
        INSERT INTO {t['fulfillment_day']} (day, channel_id, location_id, carrier_code, ship_country, shipping_currency,
               fulfillment_orders, units, units_picked_short, pick_lines, short_pick_lines, shipped, ship_promised,
               shipped_on_time, delivered, delivery_promised, delivered_on_time, late_shipments, transit_seconds,
               shipments, units_in_shipments, shipping_cost)
        SELECT %(day)s, o.channel_id, fo.location_id, fo.carrier_code, o.ship_country, COALESCE(s.currency, ''),
               COUNT(*), SUM(COALESCE(fl.units, 0)), SUM(COALESCE(pk.short_units, 0)), SUM(COALESCE(pk.lines, 0)),
               SUM(COALESCE(pk.short_lines, 0)),
               SUM(CASE WHEN fo.shipped_at IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN fo.shipped_at IS NOT NULL AND fo.promised_ship_date IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN fo.shipped_at IS NOT NULL AND fo.promised_ship_date IS NOT NULL AND {shipped_on_time} THEN 1 ELSE 0 END),
               SUM(CASE WHEN fo.delivered_at IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN fo.delivered_at IS NOT NULL AND fo.promised_delivery_date IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN fo.delivered_at IS NOT NULL AND fo.promised_delivery_date IS NOT NULL AND {delivered_on_time}
                        THEN 1 ELSE 0 END),
               SUM(CASE WHEN s.id IS NOT NULL AND {shipment_late} THEN 1 ELSE 0 END),
               SUM(CASE WHEN fo.delivered_at IS NOT NULL AND fo.shipped_at IS NOT NULL
                        THEN {d.seconds('fo.shipped_at', 'fo.delivered_at')} ELSE 0 END),
               SUM(CASE WHEN s.id IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN s.id IS NOT NULL THEN COALESCE(fl.units, 0) ELSE 0 END),
               SUM(COALESCE(s.price, 0))
        FROM {t['fo']} fo
        JOIN {t['order']} o ON o.id = fo.order_id
        LEFT JOIN {t['shipment']} s ON s.id = fo.shipment_id AND s.status <> 'voided'
        LEFT JOIN (SELECT fulfillment_order_id, SUM(quantity) AS units FROM {t['fline']}
                   WHERE fulfillment_order_id IN ({fos_of_day}) GROUP BY fulfillment_order_id) fl ON fl.fulfillment_order_id = fo.id
        LEFT JOIN (SELECT fl2.fulfillment_order_id, COUNT(*) AS lines,
                          SUM(CASE WHEN pl.short THEN 1 ELSE 0 END) AS short_lines,
                          SUM(CASE WHEN pl.short THEN pl.quantity - pl.quantity_picked ELSE 0 END) AS short_units
                   FROM {t['pickline']} pl JOIN {t['fline']} fl2 ON fl2.id = pl.fulfillment_line_id
                   JOIN {t['picklist']} plist ON plist.id = pl.pick_list_id
                   WHERE plist.status <> 'cancelled' AND fl2.fulfillment_order_id IN ({fos_of_day})
                   GROUP BY fl2.fulfillment_order_id) pk ON pk.fulfillment_order_id = fo.id
        WHERE {in_day} AND fo.status <> 'cancelled'
        GROUP BY o.channel_id, fo.location_id, fo.carrier_code, o.ship_country, COALESCE(s.currency, '')
    """
    stamps = f"""
        SELECT fo.location_id, o.placed_at AS captured,
               (SELECT MIN(e.created_at) FROM {t['event']} e
                 WHERE e.order_id = o.id AND e.kind = 'status' AND e.to_status = 'allocated') AS allocated,
               (SELECT MIN(plist.started_at) FROM {t['pickline']} pl JOIN {t['fline']} fl ON fl.id = pl.fulfillment_line_id
                  JOIN {t['picklist']} plist ON plist.id = pl.pick_list_id
                 WHERE fl.fulfillment_order_id = fo.id AND plist.status <> 'cancelled') AS picking,
               (SELECT MAX(p.closed_at) FROM {t['package']} p WHERE p.fulfillment_order_id = fo.id) AS packed,
               fo.shipped_at AS shipped, fo.delivered_at AS delivered
        FROM {t['fo']} fo JOIN {t['order']} o ON o.id = fo.order_id
        WHERE {in_day} AND fo.status <> 'cancelled'
    """
    pairs = [(StageDay.Stage.CAPTURED_ALLOCATED, "captured", "allocated"), (StageDay.Stage.ALLOCATED_PICKING, "allocated", "picking"),
             (StageDay.Stage.PICKING_PACKED, "picking", "packed"), (StageDay.Stage.PACKED_SHIPPED, "packed", "shipped"),
             (StageDay.Stage.SHIPPED_DELIVERED, "shipped", "delivered")]
    # A stage counts when both its ends are known; clocks a second apart never make it negative.
    durations = " UNION ALL ".join(
        f"SELECT '{stage.value}' AS stage, st.location_id, "
        f"CASE WHEN st.{end} > st.{start} THEN {d.seconds(f'st.{start}', f'st.{end}')} ELSE 0 END AS secs "
        f"FROM st WHERE st.{start} IS NOT NULL AND st.{end} IS NOT NULL"
        for stage, start, end in pairs
    )
    stage_day = f"""
        INSERT INTO {t['stage_day']} (day, location_id, stage, bucket, count, seconds)
        WITH st AS ({stamps})
        SELECT %(day)s, du.location_id, du.stage, {_bucket('du.secs')}, COUNT(*), SUM(du.secs)
        FROM ({durations}) du
        GROUP BY du.location_id, du.stage, {_bucket('du.secs')}
    """
    return_day = f"""
        INSERT INTO {t['return_day']} (day, channel_id, product_id, sku, reason_id, disposition, units_requested,
                                       units_received, units_accepted)
        SELECT %(day)s, o.channel_id, l.product_id, l.sku, rl.reason_id, rl.disposition, SUM(rl.quantity),
               SUM(rl.quantity_received), SUM(rl.quantity_accepted)
        FROM {t['rline']} rl JOIN {t['request']} r ON r.id = rl.request_id
        JOIN {t['line']} l ON l.id = rl.order_line_id JOIN {t['order']} o ON o.id = l.order_id
        WHERE {in_day} AND r.status NOT IN ('rejected', 'cancelled', 'expired')
        GROUP BY o.channel_id, l.product_id, l.sku, rl.reason_id, rl.disposition
    """
    refund_day = f"""
        INSERT INTO {t['refund_day']} (day, channel_id, currency, refunds, amount, with_request, request_seconds)
        SELECT %(day)s, o.channel_id, rf.currency, COUNT(*), SUM(rf.amount),
               SUM(CASE WHEN r.id IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN r.id IS NOT NULL THEN {d.seconds('r.created_at', 'rf.succeeded_at')} ELSE 0 END)
        FROM {t['refund']} rf JOIN {t['order']} o ON o.id = rf.order_id
        LEFT JOIN {t['request']} r ON r.id = rf.request_id
        WHERE rf.status = 'succeeded' AND rf.succeeded_at >= %(start)s AND rf.succeeded_at < %(end)s
        GROUP BY o.channel_id, rf.currency
    """
    # Balances at the end of the day from the whole ledger up to then: one grouped scan.
    stockout_day = f"""
        INSERT INTO {t['stockout_day']} (day, product_id, location_id, sellable)
        SELECT %(day)s, m.product_id, m.location_id, SUM(m.on_hand_delta) - SUM(m.damaged_delta)
        FROM {t['movement']} m WHERE m.created_at < %(end)s
        GROUP BY m.product_id, m.location_id
        HAVING SUM(m.on_hand_delta) - SUM(m.damaged_delta) <= 0
    """
    return [order_day, sku_day, fulfillment_day, stage_day, return_day, refund_day, stockout_day]


def _params(day: datetime.date) -> dict:
    start, end = day_bounds(day)
    ops = connection.ops
    return {"day": ops.adapt_datefield_value(day), "start": ops.adapt_datetimefield_value(start),
            "end": ops.adapt_datetimefield_value(end)}


def rollup_day(*, day: datetime.date) -> None:
    """Replace every rollup row of ``day`` with the aggregates of what the database holds now.

    One transaction: readers see the old rows or the new ones, never a half-built day. On
    PostgreSQL an advisory lock per day keeps two rebuilds of the same day from both inserting.
    """
    d = dialect()
    statements = _statements(d)
    params = _params(day)
    with transaction.atomic(), connection.cursor() as cursor:
        if d.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x5245, day.toordinal()])
        for model in ROLLUP_MODELS:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE day = %s", [params["day"]])
        for statement in statements:
            cursor.execute(statement, params)


def parse_day(value: str, *, name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a date as YYYY-MM-DD, not {value!r}.", fields={name: ["A date as YYYY-MM-DD."]}) from None


MAX_REBUILD_DAYS = 3660


def rollups_rebuild(*, date_from: datetime.date, date_to: datetime.date) -> int:
    """Rebuild every day from ``date_from`` to ``date_to`` inclusive, one transaction per day;
    returns how many days. Safe to repeat: each day's rows are replaced, not added to."""
    if date_to < date_from:
        raise InvalidInput("The range ends before it starts: --to must be on or after --from.", fields={"to": ["Before from."]})
    days = (date_to - date_from).days + 1
    if days > MAX_REBUILD_DAYS:
        raise InvalidInput(f"At most {MAX_REBUILD_DAYS} days at once (asked for {days}).", fields={"to": ["Range too long."]})
    for offset in range(days):
        rollup_day(day=date_from + datetime.timedelta(days=offset))
    return days


def days_changed_since(since: datetime.datetime) -> set[datetime.date]:
    """The local days whose rollups may have changed since ``since``: the placing days of orders
    that anything was recorded about, the days of refunds that changed, and the days stock
    movements were recorded on."""
    d = dialect()
    t = _tables()
    order_ids = " UNION ".join([
        f"SELECT id FROM {t['order']} WHERE updated_at >= %(since)s",
        f"SELECT order_id FROM {t['event']} WHERE created_at >= %(since)s",
        f"SELECT order_id FROM {t['fo']} WHERE updated_at >= %(since)s",
        f"SELECT fo.order_id FROM {t['fo']} fo JOIN {t['shipment']} s ON s.id = fo.shipment_id WHERE s.updated_at >= %(since)s",
        f"SELECT fo.order_id FROM {t['package']} p JOIN {t['fo']} fo ON fo.id = p.fulfillment_order_id WHERE p.closed_at >= %(since)s",
        f"SELECT fo.order_id FROM {t['picklist']} plist JOIN {t['pickline']} pl ON pl.pick_list_id = plist.id "
        f"JOIN {t['fline']} fl ON fl.id = pl.fulfillment_line_id JOIN {t['fo']} fo ON fo.id = fl.fulfillment_order_id "
        f"WHERE plist.started_at >= %(since)s OR plist.finished_at >= %(since)s OR pl.confirmed_at >= %(since)s",
        f"SELECT order_id FROM {t['request']} WHERE updated_at >= %(since)s",
        f"SELECT order_id FROM {t['refund']} WHERE updated_at >= %(since)s",
    ])
    params = {"since": connection.ops.adapt_datetimefield_value(since)}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT {d.local_date('placed_at')} FROM {t['order']} WHERE id IN ({order_ids})", params)
        days = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            f"SELECT DISTINCT {d.local_date('succeeded_at')} FROM {t['refund']} "
            "WHERE updated_at >= %(since)s AND succeeded_at IS NOT NULL", params,
        )
        days |= {row[0] for row in cursor.fetchall()}
        cursor.execute(f"SELECT DISTINCT {d.local_date('created_at')} FROM {t['movement']} WHERE created_at >= %(since)s", params)
        days |= {row[0] for row in cursor.fetchall()}
    return {day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day) for day in days if day is not None}


def rollups_refresh(*, now: datetime.datetime | None = None) -> int:
    """The incremental job: re-roll the days touched since the previous run started (less a
    margin), then move the watermark; returns how many days. The first run rolls every day that
    has orders. Running it twice in a row re-rolls the same days to the same rows."""
    now = now or timezone.now()
    run = RollupRun.objects.filter(key=REFRESH_KEY).first()
    if run is None:
        first = Order.objects.order_by("placed_at").values_list("placed_at", flat=True).first()
        days = set()
        if first is not None:
            start, end = local_day(first), local_day(now)
            days = {start + datetime.timedelta(days=n) for n in range((end - start).days + 1)}
    else:
        days = days_changed_since(run.changes_until - REFRESH_OVERLAP)
    for day in sorted(days):
        rollup_day(day=day)
    RollupRun.objects.update_or_create(
        key=REFRESH_KEY, defaults={"changes_until": now, "days_rolled": len(days), "finished_at": timezone.now()},
    )
    return len(days)

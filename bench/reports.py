"""KPIs over a synthetic year of 1,000,000 order lines: each KPI's answer from the daily rollups
against the same numbers computed by a plain SQL aggregate over the raw tables, in the same run.

    .venv/bin/python bench/reports.py            # REPORTS_BENCH_LINES=1000000 by default
    .venv/bin/python bench/reports.py --reuse    # the last run's year again: time the KPIs and refreshes only

On a throw-away PostgreSQL database (``oms_rkpis_bench``; ``BENCH_REPORTS_DATABASE_URL`` to point
elsewhere) the year is generated inside PostgreSQL with ``INSERT ... SELECT`` over
``generate_series`` (seeded ``random()``, so every run makes the same year): orders of 3 lines
(3% cancelled, 10% split across two locations), an "allocated" audit event each, fulfillment
orders, lines, parcels, carrier shipments with prices and promised dates, returns of 2% of the
orders with their refunds. Then it times:

- the rebuild of the whole year (``rollups_rebuild``, one transaction per day) and the refresh
  of one day (``rollup_day``, median of 7 days);
- each KPI over the year from the rollups (``reports.selectors.kpi_answer``: its statements
  counted) against a hand-written SQL aggregate over the raw tables giving the same figure, and
  checks they agree (percentiles: the exact ``percentile_cont`` must fall in the histogram bucket
  the rollup answers with).

Not a timed test: it prints figures for a person to read and compare.
"""

import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
URL = os.environ.get("BENCH_REPORTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_rkpis_bench")
LINES = int(os.environ.get("REPORTS_BENCH_LINES", "1000000"))
LINES_PER_ORDER = 3
ORDERS = LINES // LINES_PER_ORDER
YEAR_START = datetime.date(2025, 12, 1)
DAYS = 365
REPEAT = 5
NOT_COUNTED = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")

import intake  # noqa: E402  (bench/intake.py: database set-up)


def insert_select(model, supplied: dict[str, str], source: str, params=()) -> int:
    """INSERT INTO the model's table SELECT ``supplied`` column expressions FROM ``source``; the
    columns not supplied take the model's default (as a parameter), or stay NULL / db_default."""
    from django.db import connection

    columns, expressions, values = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.has_db_default():
            continue
        if field.column in supplied:
            columns.append(field.column)
            expressions.append(supplied[field.column])
        elif field.has_default() or (not field.null and field.get_default() is not None):
            columns.append(field.column)
            expressions.append("%s")
            values.append(field.get_db_prep_save(field.get_default(), connection))
        elif not field.null:
            raise ValueError(f"{model.__name__}.{field.name} needs a value")
    quote = connection.ops.quote_name
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) SELECT {', '.join(expressions)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        return cursor.rowcount


def generate() -> dict:
    from django.db import connection

    from fulfillment.models import FulfillmentLine, FulfillmentOrder
    from fulfillment.models_picking import Package
    from inventory.models import Location, Product
    from orders.models import Channel, Order, OrderEvent, OrderLine
    from returns.models import Refund, ReturnLine, ReturnReason, ReturnRequest
    from shipping.models import Carrier, ServiceLevel, Shipment

    web = Channel.objects.create(code="web", name="Web")
    Channel.objects.create(code="pos", name="Shop till", kind="pos")
    for code in ("chi", "nyc", "lax"):
        Location.objects.create(code=code, name=code.upper(), country="US")
    Product.objects.bulk_create([Product(sku=f"B-{n:05d}", name=f"Bench {n}", price=Decimal("20.00"), cost=Decimal(8 + n % 7))
                                 for n in range(2000)])
    carrier = Carrier.objects.create(code="ups", name="UPS")
    service = ServiceLevel.objects.create(carrier=carrier, code="ground", name="Ground")
    reason = ReturnReason.objects.create(code="too-small", label="Too small")
    channel_ids = list(Channel.objects.order_by("pk").values_list("pk", flat=True))
    location_ids = list(Location.objects.order_by("pk").values_list("pk", flat=True))
    first_product = Product.objects.order_by("pk").values_list("pk", flat=True).first()
    timings = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        # Scratch table: one row per order with its random draws, so every table agrees on them.
        cursor.execute(f"""
            CREATE UNLOGGED TABLE bench_plan AS
            SELECT g AS n,
                   TIMESTAMPTZ '{YEAR_START.isoformat()} 00:00:00+00' + (random() * {DAYS} * 86400) * INTERVAL '1 second' AS placed_at,
                   CASE WHEN random() < 0.7 THEN {channel_ids[0]} ELSE {channel_ids[1]} END AS channel_id,
                   (ARRAY{location_ids})[1 + floor(random() * 3)::int] AS location_id,
                   (ARRAY{location_ids})[1 + floor(random() * 3)::int] AS split_location_id,
                   random() < 0.03 AS cancelled, random() < 0.10 AS split, random() < 0.02 AS returned,
                   (random() * 3600)::int AS allocate_s, (3600 + random() * 40000)::int AS pack_s,
                   (3600 + random() * 90000)::int AS ship_s, (86400 + random() * 345600)::int AS transit_s,
                   1 + floor(random() * 3)::int AS promise_days, floor(random() * 1997)::int AS product_offset,
                   (5 + random() * 15)::numeric(8, 2) AS postage
            FROM generate_series(1, {ORDERS}) g
        """)
    started = time.perf_counter()
    insert_select(Order, {
        "channel_id": "p.channel_id", "external_id": "'b-' || p.n", "currency": "'USD'", "placed_at": "p.placed_at",
        "created_at": "p.placed_at", "updated_at": "p.placed_at", "ship_country": "'US'",
        "status": "CASE WHEN p.cancelled THEN 'cancelled' ELSE 'delivered' END", "subtotal": "60.00 * 2",
        "grand_total": "(20.00 * 1 + 20.00 * 2 + 20.00 * 3)", "promised_ship_date": "(p.placed_at + p.promise_days * INTERVAL '1 day')::date",
    }, "bench_plan p ORDER BY p.n")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE bench_order AS SELECT o.id, p.* FROM {Order._meta.db_table} o "
                       "JOIN bench_plan p ON o.external_id = 'b-' || p.n")
        cursor.execute("CREATE INDEX ON bench_order (id)")
        cursor.execute("ANALYZE bench_order")
    insert_select(OrderLine, {
        "order_id": "b.id", "line_number": "k", "sku": "'B-' || lpad((b.product_offset + k)::text, 5, '0')",
        "product_id": f"{first_product} + b.product_offset + k", "quantity": "k", "unit_price": "20.00",
        "line_total": "20.00 * k", "quantity_shipped": "CASE WHEN b.cancelled THEN 0 ELSE k END",
        "quantity_returned": "CASE WHEN b.returned AND NOT b.cancelled AND k = 1 THEN 1 ELSE 0 END",
    }, f"bench_order b CROSS JOIN generate_series(1, {LINES_PER_ORDER}) k")
    insert_select(OrderEvent, {
        "order_id": "b.id", "kind": "'status'", "to_status": "'allocated'", "created_at": "b.placed_at + b.allocate_s * INTERVAL '1 second'",
    }, "bench_order b WHERE NOT b.cancelled")
    insert_select(Shipment, {
        "carrier_id": str(carrier.pk), "service_id": str(service.pk), "tracking_number": "'BT' || b.n || '-' || s",
        "reference": "'FO-' || b.n || '-' || s", "origin": "'{\"country\": \"US\"}'::jsonb", "destination": "'{\"country\": \"US\"}'::jsonb",
        "price": "b.postage", "currency": "'USD'", "status": "'delivered'",
        "collection_date": "(b.placed_at + (b.allocate_s + b.pack_s + b.ship_s) * INTERVAL '1 second')::date",
        "promised_delivery_date": "(b.placed_at + (b.promise_days + 3) * INTERVAL '1 day')::date",
        "shipped_at": "b.placed_at + (b.allocate_s + b.pack_s + b.ship_s) * INTERVAL '1 second'",
        "delivered_at": "b.placed_at + (b.allocate_s + b.pack_s + b.ship_s + b.transit_s) * INTERVAL '1 second'",
        "created_at": "b.placed_at", "updated_at": "b.placed_at",
    }, "bench_order b CROSS JOIN generate_series(1, 2) s WHERE NOT b.cancelled AND (s = 1 OR b.split)")
    shipped = "b.placed_at + (b.allocate_s + b.pack_s + b.ship_s) * INTERVAL '1 second'"
    insert_select(FulfillmentOrder, {
        "order_id": "b.id", "location_id": "CASE WHEN s = 1 THEN b.location_id ELSE b.split_location_id END", "sequence": "s",
        "number": "'FO-' || b.n || '-' || s", "status": "'delivered'", "promised_ship_date": "(b.placed_at + b.promise_days * INTERVAL '1 day')::date",
        "promised_delivery_date": "(b.placed_at + (b.promise_days + 3) * INTERVAL '1 day')::date",
        "shipment_id": f"(SELECT sh.id FROM {Shipment._meta.db_table} sh WHERE sh.tracking_number = 'BT' || b.n || '-' || s)",
        "carrier_code": "'ups'", "shipped_at": shipped, "delivered_at": f"{shipped} + b.transit_s * INTERVAL '1 second'",
        "created_at": "b.placed_at", "updated_at": "b.placed_at",
    }, "bench_order b CROSS JOIN generate_series(1, 2) s WHERE NOT b.cancelled AND (s = 1 OR b.split)")
    fo, line = FulfillmentOrder._meta.db_table, OrderLine._meta.db_table
    insert_select(FulfillmentLine, {
        "fulfillment_order_id": "f.id", "order_line_id": "l.id", "product_id": "l.product_id", "quantity": "l.quantity",
        "quantity_picked": "l.quantity", "quantity_packed": "l.quantity", "quantity_shipped": "l.quantity",
    }, f"{line} l JOIN {fo} f ON f.order_id = l.order_id AND f.sequence = CASE WHEN l.line_number = 3 "
       f"AND EXISTS (SELECT 1 FROM {fo} f2 WHERE f2.order_id = l.order_id AND f2.sequence = 2) THEN 2 ELSE 1 END")
    insert_select(Package, {
        "fulfillment_order_id": "f.id", "closed_at": "b.placed_at + (b.allocate_s + b.pack_s) * INTERVAL '1 second'",
        "created_at": "b.placed_at",
    }, f"{fo} f JOIN bench_order b ON b.id = f.order_id")
    insert_select(ReturnRequest, {
        "order_id": "b.id", "number": "'R-' || b.n", "status": "'refunded'", "created_at": "b.placed_at + INTERVAL '10 days'",
        "updated_at": "b.placed_at + INTERVAL '12 days'",
    }, "bench_order b WHERE b.returned AND NOT b.cancelled")
    request = ReturnRequest._meta.db_table
    insert_select(ReturnLine, {
        "request_id": "r.id", "order_line_id": "l.id", "quantity": "1", "reason_id": str(reason.pk), "quantity_received": "1",
        "quantity_accepted": "1", "disposition": "CASE WHEN mod(l.id, 4) = 0 THEN 'scrap' ELSE 'restock' END",
    }, f"{request} r JOIN {line} l ON l.order_id = r.order_id AND l.line_number = 1")
    insert_select(Refund, {
        "request_id": "r.id", "order_id": "r.order_id", "amount": "20.00", "computed_amount": "20.00", "currency": "'USD'",
        "provider": "'builtin'", "status": "'succeeded'", "idempotency_key": "'bench-' || r.id", "created_at": "r.updated_at",
        "updated_at": "r.updated_at", "succeeded_at": "r.updated_at",
    }, f"{request} r")
    timings["generate"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_plan")
        cursor.execute("DROP TABLE bench_order")
        cursor.execute("ANALYZE")
        cursor.execute(f"SELECT COUNT(*) FROM {line}")
        timings["lines"] = cursor.fetchone()[0]
    return timings


# --- The same figures straight from the raw tables ------------------------------------------------

def raw_figures(date_from: datetime.date, date_to: datetime.date) -> dict:
    """Each KPI's figure by a plain aggregate over the raw tables (no rollup), for the same range."""
    start = datetime.datetime.combine(date_from, datetime.time(), tzinfo=datetime.UTC)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC)
    in_range = "o.placed_at >= %(start)s AND o.placed_at < %(end)s"
    queries = {
        "orders": f"SELECT COUNT(*) FROM orders_order o WHERE {in_range} AND o.status <> 'cancelled'",
        "units": f"SELECT SUM(l.quantity) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id WHERE {in_range} AND o.status <> 'cancelled'",
        "revenue": f"SELECT SUM(o.grand_total) FROM orders_order o WHERE {in_range} AND o.status <> 'cancelled'",
        "average_order_value": f"SELECT ROUND(AVG(o.grand_total), 2) FROM orders_order o WHERE {in_range} AND o.status <> 'cancelled'",
        "split_rate": f"""SELECT ROUND(100.0 * COUNT(*) FILTER (WHERE (SELECT COUNT(*) FROM fulfillment_fulfillmentorder f
                            WHERE f.order_id = o.id AND f.status <> 'cancelled') > 1) / COUNT(*), 2)
                          FROM orders_order o WHERE {in_range} AND o.status <> 'cancelled'""",
        "fill_rate": f"""SELECT ROUND(100.0 * SUM(l.quantity_shipped) / SUM(l.quantity), 2) FROM orders_orderline l
                         JOIN orders_order o ON o.id = l.order_id WHERE {in_range} AND o.status <> 'cancelled'""",
        "on_time_ship": f"""SELECT ROUND(100.0 * COUNT(*) FILTER (WHERE (f.shipped_at AT TIME ZONE 'UTC')::date <= f.promised_ship_date)
                            / COUNT(*), 2) FROM fulfillment_fulfillmentorder f JOIN orders_order o ON o.id = f.order_id
                            WHERE {in_range} AND f.status <> 'cancelled' AND f.shipped_at IS NOT NULL AND f.promised_ship_date IS NOT NULL""",
        "on_time_delivery": f"""SELECT ROUND(100.0 * COUNT(*) FILTER (WHERE (f.delivered_at AT TIME ZONE 'UTC')::date <= f.promised_delivery_date)
                            / COUNT(*), 2) FROM fulfillment_fulfillmentorder f JOIN orders_order o ON o.id = f.order_id
                            WHERE {in_range} AND f.status <> 'cancelled' AND f.delivered_at IS NOT NULL AND f.promised_delivery_date IS NOT NULL""",
        "shipping_cost_per_shipment": f"""SELECT ROUND(AVG(s.price), 2) FROM fulfillment_fulfillmentorder f JOIN orders_order o ON o.id = f.order_id
                            JOIN shipping_shipment s ON s.id = f.shipment_id WHERE {in_range} AND f.status <> 'cancelled' AND s.status <> 'voided'""",
        "transit_time": f"""SELECT ROUND((AVG(EXTRACT(EPOCH FROM f.delivered_at - f.shipped_at)) / 86400)::numeric, 2)
                            FROM fulfillment_fulfillmentorder f JOIN orders_order o ON o.id = f.order_id
                            WHERE {in_range} AND f.status <> 'cancelled' AND f.delivered_at IS NOT NULL""",
        "return_rate": f"""SELECT ROUND(100.0 * (SELECT SUM(rl.quantity) FROM returns_returnline rl JOIN returns_returnrequest r ON r.id = rl.request_id
                             JOIN orders_orderline l ON l.id = rl.order_line_id JOIN orders_order o ON o.id = l.order_id
                             WHERE {in_range} AND r.status NOT IN ('rejected', 'cancelled', 'expired'))
                           / (SELECT SUM(l.quantity) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
                              WHERE {in_range} AND o.status <> 'cancelled'), 2)""",
        "refunds": """SELECT SUM(rf.amount) FROM returns_refund rf WHERE rf.status = 'succeeded'
                      AND rf.succeeded_at >= %(start)s AND rf.succeeded_at < %(end)s""",
        "stage_time": f"""SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM p.closed_at - f.shipped_at) * -1)
                          FROM fulfillment_fulfillmentorder f JOIN orders_order o ON o.id = f.order_id
                          JOIN fulfillment_package p ON p.fulfillment_order_id = f.id WHERE {in_range} AND f.status <> 'cancelled'""",
    }
    from django.db import connection

    results = {}
    with connection.cursor() as cursor:
        for key, sql in queries.items():
            times = []
            for _ in range(REPEAT):
                began = time.perf_counter()
                cursor.execute(sql, {"start": start, "end": end})
                value = cursor.fetchone()[0]
                times.append(time.perf_counter() - began)
            results[key] = (value, statistics.median(times))
    return results


def rollup_figure(key: str, value):
    """The rollup answer in the raw query's shape, for the comparison."""
    if key in ("revenue", "average_order_value", "shipping_cost_per_shipment"):
        return Decimal(value[0]["value"])
    if key == "refunds":
        return Decimal(value[0]["value"]["amount"])
    if key == "return_rate":
        return value["rate"]
    if key == "stage_time":
        return value["packed_shipped"]["p50_hours"]
    return value


def agree(key: str, rolled, raw) -> bool:
    if raw is None or rolled is None:
        return raw == rolled
    if key == "stage_time":
        # The exact median must lie in the bucket the histogram answers with (upper bound, hours).
        from reports.rollups import BUCKETS

        upper = rolled * 3600
        lower = max([bound for bound in BUCKETS if bound < upper], default=0)
        return lower <= float(raw) <= upper
    return abs(float(rolled) - float(raw)) <= 0.011


def main():
    reuse = "--reuse" in sys.argv  # the year of the last run, already rolled up (to re-time the KPIs alone)
    if not reuse:
        intake.recreate_database(URL)
    os.environ.setdefault("TIME_ZONE", "UTC")
    intake._django_setup(URL)
    from django.conf import settings
    from django.core.management import call_command

    assert settings.TIME_ZONE == "UTC", "the raw SQL baselines take days in UTC"
    call_command("migrate", verbosity=0)
    if reuse:
        return measure()
    print(f"Generating a year of {LINES:,} order lines ({ORDERS:,} orders) with INSERT ... SELECT ...", flush=True)
    made = generate()
    print(f"  {made['lines']:,} lines in {made['generate']:.1f} s")
    measure(rebuild=True)


def measure(rebuild: bool = False):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.kpis import REGISTRY
    from reports.rollups import rollup_day, rollups_rebuild
    from reports.selectors import kpi_answer, kpi_filters

    date_from, date_to = YEAR_START, YEAR_START + datetime.timedelta(days=DAYS - 1)
    if rebuild:
        began = time.perf_counter()
        rollups_rebuild(date_from=date_from, date_to=date_to)
        took = time.perf_counter() - began
        print(f"\nRebuild of the year ({DAYS} days): {took:.1f} s ({took / DAYS * 1000:.0f} ms a day)")
    day_times = []
    for offset in range(100, 107):
        began = time.perf_counter()
        rollup_day(day=date_from + datetime.timedelta(days=offset))
        day_times.append(time.perf_counter() - began)
    with CaptureQueriesContext(connection) as day_queries:
        rollup_day(day=date_from + datetime.timedelta(days=200))
    print(f"Refresh of one day: median {statistics.median(day_times) * 1000:.0f} ms, "
          f"{sum(1 for q in day_queries.captured_queries if not q['sql'].startswith(NOT_COUNTED))} statements")

    from django.utils import timezone

    from orders.models import Order
    from reports.models import RollupRun
    from reports.rollups import REFRESH_OVERLAP, rollups_refresh

    RollupRun.objects.update_or_create(key="daily", defaults={"changes_until": timezone.now() + REFRESH_OVERLAP, "finished_at": timezone.now()})
    began = time.perf_counter()
    untouched = rollups_refresh()
    idle = time.perf_counter() - began
    # 100 late changes spread over the year (as refunds or scans landing on old orders would)
    late = list(Order.objects.order_by("pk").values_list("pk", flat=True)[::ORDERS // 100][:100])
    Order.objects.filter(pk__in=late).update(updated_at=timezone.now())
    began = time.perf_counter()
    touched = rollups_refresh()
    busy = time.perf_counter() - began
    print(f"Incremental refresh: nothing changed {idle * 1000:.0f} ms ({untouched} days); "
          f"100 orders changed across the year {busy:.1f} s ({touched} days re-rolled)")

    raw = raw_figures(date_from, date_to)
    params = {"from": date_from.isoformat(), "to": date_to.isoformat()}
    print(f"\nEach KPI over the year: from the rollups vs a plain SQL aggregate over the raw tables (median of {REPEAT})")
    print(f"{'KPI':28} {'figure ms':>9} {'queries':>7} {'+drill ms':>9} {'raw SQL ms':>10} {'raw/figure':>10}  {'agree':5} figure")
    all_agree = True
    slowest = 0.0
    for key, kpi in REGISTRY.items():
        filters, _ = kpi_filters(kpi, params)
        figure_times, answer_times = [], []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                value = kpi.compute(filters, None)["value"]
                figure_times.append(time.perf_counter() - began)
            began = time.perf_counter()
            kpi_answer(key=key, params=params)
            answer_times.append(time.perf_counter() - began)
        counted = sum(1 for q in queries.captured_queries if not q["sql"].startswith(NOT_COUNTED))
        figure_ms, answer_ms = statistics.median(figure_times) * 1000, statistics.median(answer_times) * 1000
        slowest = max(slowest, answer_ms)
        line = f"{key:28} {figure_ms:9.1f} {counted:7} {answer_ms:9.1f}"
        if key in raw:
            expected, raw_time = raw[key]
            mine = rollup_figure(key, value)
            ok = agree(key, mine, expected)
            all_agree &= ok
            print(f"{line} {raw_time * 1000:10.1f} {raw_time * 1000 / figure_ms:9.0f}x  {'yes' if ok else 'NO':5} {mine} (raw: {expected})")
        else:
            print(f"{line} {'-':>10} {'-':>10}  {'-':5} (live, or no single raw aggregate)")
    print(f"\nSlowest whole answer (figure, split-free, with its drill-down): {slowest:.0f} ms")
    by_hour = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        kpi_answer(key="orders", params={**params, "by": "hour"})
        by_hour.append(time.perf_counter() - began)
    print(f"\norders by hour over the year: {statistics.median(by_hour) * 1000:.1f} ms")
    dashboards_measure(date_from, date_to, raw)
    print("All figures agree with the raw tables." if all_agree else "SOME FIGURES DISAGREE with the raw tables.")


def dashboards_measure(date_from: datetime.date, date_to: datetime.date, raw: dict) -> None:
    """Each console dashboard over the year, tiles and charts (``reports.dashboards.dashboard_tiles``),
    and its PDF, against the plain SQL aggregates of the same KPIs over the raw tables (the time of
    those the raw baselines cover, summed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.dashboards import DASHBOARDS, dashboard_pdf, dashboard_tiles
    from reports.kpis import Filters

    filters = Filters(date_from=date_from, date_to=date_to)
    print(f"\nEach dashboard over the year (tiles with charts; median of {REPEAT}) vs the raw SQL of its KPIs")
    print(f"{'dashboard':12} {'tiles':>5} {'page ms':>8} {'queries':>7} {'raw SQL ms':>10} {'raw/page':>8} {'PDF ms':>7}")
    for name, dashboard in DASHBOARDS.items():
        times = []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                dashboard_tiles(name, filters)
                times.append(time.perf_counter() - began)
        counted = sum(1 for q in queries.captured_queries if not q["sql"].startswith(NOT_COUNTED))
        keys = {tile.key for tile in dashboard.tiles}
        raw_ms = sum(raw[key][1] for key in keys if key in raw) * 1000
        covered = sum(1 for key in keys if key in raw)
        began = time.perf_counter()
        dashboard_pdf(name, filters)
        pdf_ms = (time.perf_counter() - began) * 1000
        page_ms = statistics.median(times) * 1000
        print(f"{name:12} {len(dashboard.tiles):5} {page_ms:8.0f} {counted:7} {raw_ms:10.0f} {raw_ms / page_ms:7.1f}x {pdf_ms:7.0f}"
              f"   (raw SQL for {covered} of its {len(keys)} KPIs)")


if __name__ == "__main__":
    main()

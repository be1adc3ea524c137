"""The integration API at scale: list pages over 100,000 orders, and bulk against single creates.

    python bench/api.py [--orders 100000] [--samples 15] [--bulk 500]

On a throw-away PostgreSQL database (``oms_bench_api``; ``BENCH_API_DATABASE_URL`` to point
elsewhere), served by gunicorn over keep-alive HTTP, one client:

1. seeds ``--orders`` orders (3 lines each, reservations on the allocated ones, holds on the held
   ones) with set-based SQL, so the seed takes seconds rather than the hour intake would;
2. **list pages**: ``GET /api/v1/orders/?page_size=N`` for N = 10, 100 and 500, on the first page
   and on a page deep in the list (reached by following ``next``). It reports the median latency,
   the queries per request (counted in-process) and, as the baseline from the same run, a raw-SQL
   ceiling: psycopg reading the same page (orders, lines, reservations, holds, channel) in the same
   number of round trips and encoding it as JSON, with no framework in between;
3. **bulk create**: ``--bulk`` orders posted one by one (``POST /api/v1/orders/``) against the same
   number in one ``POST /api/v1/orders/bulk/``, and the queries each costs.

Not a timed test: it prints figures for a person to read and compare.
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["BENCH_DATABASE_URL"] = os.environ.get("BENCH_API_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_api")
# No rate limit while measuring: the bench is one client asking as fast as it can.
os.environ["OMS_API_RATE_LIMIT_PER_MINUTE"] = "0"

import intake  # noqa: E402  (bench/intake.py: database set-up, seed, server)

BENCH_URL = intake.BENCH_URL
PAGE_SIZES = (10, 100, 500)

SEED_SQL = [
    # 5,000 customers
    """INSERT INTO customers_customer (kind, email, first_name, last_name, company_name, vat_number, phone, group_id,
           email_opt_in, sms_opt_in, created_at, updated_at, version)
       SELECT 'person', 'list' || g || '@example.com', 'List', 'Customer ' || g, '', '', '', NULL, true, false, now(), now(), 1
       FROM generate_series(1, 5000) g""",
    # the orders: mostly allocated, some held, backordered and shipped, spread over 90 days
    """INSERT INTO orders_order (number, channel_id, external_id, customer_id, email, status, payment_status, currency,
           subtotal, shipping_price, discount_total, tax_total, grand_total, shipping_address, billing_address,
           ship_country, destination_latitude, destination_longitude, placed_at, created_at, updated_at, version, note, routing)
       SELECT 'SO-' || lpad(nextval('orders_order_number_seq')::text, 7, '0'), %(channel)s, 'list-' || g,
              c.id, c.email,
              CASE WHEN g %% 10 = 0 THEN 'on_hold' WHEN g %% 10 = 1 THEN 'backordered' WHEN g %% 10 = 2 THEN 'shipped' ELSE 'allocated' END,
              'paid', 'USD', 59.70, 4.95, 0, 0, 64.65,
              '{"name": "List Customer", "line1": "1 Main Street", "city": "Boston", "region": "MA", "postal_code": "02108", "country": "US"}',
              '{}', 'US', 42.36, -71.06,
              now() - (g || ' seconds')::interval * 77, now() - (g || ' seconds')::interval * 77, now(), 1, '', '{}'
       FROM generate_series(1, %(orders)s) g
       JOIN customers_customer c ON c.email = 'list' || (g %% 5000 + 1) || '@example.com'
       ORDER BY g DESC""",
    """INSERT INTO orders_orderline (order_id, line_number, sku, product_id, name, quantity, unit_price, discount, tax,
           line_total, quantity_reserved, quantity_shipped, quantity_returned)
       SELECT o.id, n, p.sku, p.id, p.name, 3, 19.90, 0, 0, 59.70,
              CASE WHEN o.status = 'allocated' THEN 3 ELSE 0 END,
              CASE WHEN o.status = 'shipped' THEN 3 ELSE 0 END, 0
       FROM orders_order o CROSS JOIN generate_series(1, 3) n
       JOIN inventory_product p ON p.sku = 'B-' || lpad(((o.id * 3 + n) %% 200)::text, 4, '0')
       WHERE o.external_id LIKE 'list-%%'""",
    """INSERT INTO orders_allocation (line_id, location_id, quantity, created_at)
       SELECT l.id, %(location)s, l.quantity_reserved, now() FROM orders_orderline l WHERE l.quantity_reserved > 0""",
    """INSERT INTO orders_orderhold (order_id, reason, detail, created_at, released_at, released_by_id, release_note)
       SELECT o.id, 'fraud_risk', 'bench', now(), NULL, NULL, '' FROM orders_order o WHERE o.status = 'on_hold'""",
    "ANALYZE",
]


def seed_orders(count: int) -> None:
    import psycopg

    with psycopg.connect(BENCH_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        channel = conn.execute("SELECT id FROM orders_channel WHERE code = 'web'").fetchone()[0]
        location = conn.execute("SELECT id FROM inventory_location ORDER BY id LIMIT 1").fetchone()[0]
        for sql in SEED_SQL:
            conn.execute(sql, {"channel": channel, "orders": count, "location": location})


# --- the raw-SQL ceiling of one list page ---------------------------------------------------

RAW_PAGE = [
    "SELECT o.id, o.number, o.status, o.payment_status, c.code, o.external_id, o.email, o.currency, o.subtotal,"
    " o.discount_total, o.tax_total, o.shipping_price, o.grand_total, o.shipping_address, o.billing_address,"
    " o.placed_at, o.created_at, o.version, o.note FROM orders_order o JOIN orders_channel c ON c.id = o.channel_id"
    " WHERE o.id < %s ORDER BY o.id DESC LIMIT %s",
    "SELECT order_id, id, line_number, sku, name, quantity, unit_price, discount, tax, line_total, quantity_reserved,"
    " quantity_shipped FROM orders_orderline WHERE order_id = ANY(%s) ORDER BY line_number",
    "SELECT a.line_id, l.code, a.quantity FROM orders_allocation a JOIN inventory_location l ON l.id = a.location_id"
    " WHERE a.line_id = ANY(%s) ORDER BY a.id",
    "SELECT order_id, reason, detail, created_at FROM orders_orderhold WHERE order_id = ANY(%s) AND released_at IS NULL ORDER BY id",
]


def raw_page(conn, before_id: int, size: int) -> bytes:
    cur = conn.cursor()
    orders = cur.execute(RAW_PAGE[0], (before_id, size)).fetchall()
    ids = [row[0] for row in orders]
    lines = cur.execute(RAW_PAGE[1], (ids,)).fetchall()
    allocations = cur.execute(RAW_PAGE[2], ([row[1] for row in lines],)).fetchall()
    holds = cur.execute(RAW_PAGE[3], (ids,)).fetchall()
    by_line: dict[int, list] = {}
    for line_id, code, quantity in allocations:
        by_line.setdefault(line_id, []).append({"location": code, "quantity": quantity})
    by_order: dict[int, list] = {}
    for row in lines:
        by_order.setdefault(row[0], []).append(
            {"line_number": row[2], "sku": row[3], "name": row[4], "quantity": row[5], "unit_price": str(row[6]),
             "discount": str(row[7]), "tax": str(row[8]), "line_total": str(row[9]), "quantity_reserved": row[10],
             "quantity_shipped": row[11], "allocations": by_line.get(row[1], [])}
        )
    held: dict[int, list] = {}
    for order_id, reason, detail, created in holds:
        held.setdefault(order_id, []).append({"reason": reason, "detail": detail, "created_at": created.isoformat()})
    results = [
        {"id": o[0], "number": o[1], "status": o[2], "payment_status": o[3], "channel": o[4], "external_id": o[5],
         "email": o[6], "currency": o[7], "subtotal": str(o[8]), "discount_total": str(o[9]), "tax_total": str(o[10]),
         "shipping_price": str(o[11]), "grand_total": str(o[12]), "shipping_address": o[13], "billing_address": o[14] or None,
         "placed_at": o[15].isoformat(), "created_at": o[16].isoformat(), "version": o[17], "note": o[18],
         "holds": held.get(o[0], []), "lines": by_order.get(o[0], [])}
        for o in orders
    ]
    return json.dumps({"next": None, "previous": None, "results": results}).encode()


# --- HTTP -----------------------------------------------------------------------------------


class Api:
    def __init__(self, port: int, raw_key: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.headers = {"Authorization": f"Api-Key {raw_key}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body=None) -> tuple[int, dict, float]:
        headers = dict(self.headers)
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        started = time.perf_counter()
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        return response.status, json.loads(payload) if payload else {}, elapsed


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def measure_lists(api: Api, samples: int, orders: int) -> dict:
    import psycopg

    conn = psycopg.connect(BENCH_URL.replace("postgres://", "postgresql://"), autocommit=True)
    top = conn.execute("SELECT max(id) + 1 FROM orders_order").fetchone()[0]
    figures = {}
    for size in PAGE_SIZES:
        first = f"/api/v1/orders/?page_size={size}"
        status, body, _ = api.call("GET", first)
        assert status == 200 and len(body["results"]) == size, (status, str(body)[:300])
        # A page about 40% of the way down the list, reached by following the cursor.
        deep, hops = first, 0
        target = max(1, int(orders * 0.4 / size))
        while hops < target and body["next"]:
            status, body, _ = api.call("GET", deep)
            deep, hops = _path(body["next"]), hops + 1
        deep_before = body["results"][-1]["id"]
        timings = {"first": [], "deep": [], "raw_first": [], "raw_deep": []}
        for _ in range(samples):  # interleaved, so a passing disturbance hits both sides
            timings["first"].append(api.call("GET", first)[2])
            timings["deep"].append(api.call("GET", deep)[2])
            started = time.perf_counter()
            raw_page(conn, top, size)
            timings["raw_first"].append(time.perf_counter() - started)
            started = time.perf_counter()
            raw_page(conn, deep_before, size)
            timings["raw_deep"].append(time.perf_counter() - started)
        figures[size] = {name: statistics.median(values) * 1000 for name, values in timings.items()}
    conn.close()
    return figures


def count_list_queries(raw_key: str) -> dict[int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    client.get("/api/v1/orders/?page_size=10")  # warm caches (the key lookup)
    counts = {}
    for size in PAGE_SIZES:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/orders/?page_size={size}")
        assert response.status_code == 200, response.content[:300]
        counts[size] = len(ctx.captured_queries)
    return counts


def count_bulk_queries(raw_key: str, count: int) -> tuple[int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    rng = random.Random(7)
    # Warm the process as a running server is: the key and the webhook subscriptions looked up once.
    client.post("/api/v1/orders/", intake.order_body(rng, 3), content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    with CaptureQueriesContext(connection) as ctx:
        client.post("/api/v1/orders/", intake.order_body(rng, 3), content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    single = len([q for q in ctx.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")])
    bodies = [intake.order_body(rng, 3) for _ in range(count)]
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/v1/orders/bulk/", {"orders": bodies}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 200, response.content[:300]
    bulk = len([q for q in ctx.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")])
    return single, bulk


def measure_bulk(api: Api, count: int, rounds: int) -> tuple[list[float], list[float]]:
    rng = random.Random(11)
    singles, bulks = [], []
    for _ in range(rounds):
        bodies = [intake.order_body(rng, 3) for _ in range(count)]
        started = time.perf_counter()
        for body in bodies:
            status, answer, _ = api.call("POST", "/api/v1/orders/", body)
            assert status == 201, (status, str(answer)[:300])
        singles.append(time.perf_counter() - started)
        bodies = [intake.order_body(rng, 3) for _ in range(count)]
        status, answer, elapsed = api.call("POST", "/api/v1/orders/bulk/", {"orders": bodies})
        assert status == 200 and answer["created"] == count, (status, str(answer)[:500])
        bulks.append(elapsed)
    return singles, bulks


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000, help="orders to list over")
    parser.add_argument("--samples", type=int, default=15, help="requests per page size and position; medians are reported")
    parser.add_argument("--bulk", type=int, default=500, help="orders per bulk call, and single calls to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="bulk against singles, interleaved; medians are reported")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()

    intake.recreate_database()
    intake._django_setup()
    raw_key = intake.seed()
    started = time.perf_counter()
    seed_orders(args.orders)
    seeded_in = time.perf_counter() - started
    list_queries = count_list_queries(raw_key)
    from django.db import connections

    connections.close_all()

    port = intake._free_port()
    server = intake.start_server(port, args.workers)
    try:
        api = Api(port, raw_key)
        lists = measure_lists(api, args.samples, args.orders)
        singles, bulks = measure_bulk(api, args.bulk, args.rounds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    single_queries, bulk_queries = count_bulk_queries(raw_key, args.bulk)

    print(f"bench/api  PostgreSQL, {args.orders:,} orders (seeded in {seeded_in:.1f} s), gunicorn {args.workers} sync workers, one keep-alive client")
    print("  GET /api/v1/orders/  median ms over", args.samples, "requests; raw SQL = psycopg, same rows, JSON-encoded")
    print("  page size | queries | first page: API   raw  ratio | deep page (40% down): API   raw  ratio")
    for size in PAGE_SIZES:
        f = lists[size]
        print(
            f"  {size:9d} | {list_queries[size]:7d} | {f['first']:16.1f} {f['raw_first']:5.1f} {f['first'] / f['raw_first']:5.1f}x"
            f" | {f['deep']:26.1f} {f['raw_deep']:5.1f} {f['deep'] / f['raw_deep']:5.1f}x"
        )
    print(f"  queries constant in page size: {len(set(list_queries.values())) == 1}")
    single, bulk = statistics.median(singles), statistics.median(bulks)
    print(f"  create {args.bulk} orders, median of {args.rounds} interleaved rounds:")
    print(f"    {args.bulk} single POSTs:  {single:7.2f} s  ({args.bulk / single:6.1f} orders/s, {single_queries} queries each)")
    print(f"    one bulk POST:     {bulk:7.2f} s  ({args.bulk / bulk:6.1f} orders/s, {bulk_queries} queries in all, {bulk_queries / args.bulk:.1f} per order)")
    print(f"    bulk is {single / bulk:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())

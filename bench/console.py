"""The operator console at scale: the home, the order list and the order page over 100,000 orders,
against the same pages as Django's default admin builds them, measured in the same run.

    python bench/console.py [--orders 100000] [--samples 30]

On a throw-away PostgreSQL database (``oms_bench_console``; ``BENCH_CONSOLE_DATABASE_URL`` to
point elsewhere), in-process through Django's test client (the server's time: middleware,
session, queries, rendering; no network), logged in as a superuser:

1. seeds ``--orders`` orders with set-based SQL as ``bench/api.py`` does, in the mix a running
   shop has (most delivered or completed; a few percent on hold for every reason, backordered,
   allocated, in fulfillment at three locations, shipped with some carrier exceptions and late
   shipments), plus three orders of 1, 10 and 50 lines placed through intake (their page);
2. serves the console (``/admin/``, ``oms.admin_site.ConsoleSite``) next to a plain
   ``AdminSite`` (``/plain/``) on which the orders are registered with a plain ``ModelAdmin``
   showing the same columns and fields, with Django's defaults: no ``list_select_related`` beyond
   what Django adds for foreign-key columns, no prefetching, the full result count, and each
   order's holds and each line's reservations read where they are shown. The plain home is the
   same tiles computed the straightforward way: a COUNT and a MIN per tile and per row;
3. per page: queries (at two sizes: list pages of 50 and 200 rows, orders of 1, 10 and 50 lines)
   and p50/p95 time over ``--samples`` requests, console and plain interleaved, and the ratio.

Not a timed test: it prints figures for a person to read and compare.
"""

import argparse
import os
import statistics
import sys
import time
import types
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["BENCH_DATABASE_URL"] = os.environ.get("BENCH_CONSOLE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_console")

import intake  # noqa: E402  (bench/intake.py: database set-up, seed)

BENCH_URL = intake.BENCH_URL

# Order g of the seed (1..N) gets its status from g % 100: a shop's mix, most orders done.
SEED_SQL = [
    """INSERT INTO customers_customer (kind, email, first_name, last_name, company_name, vat_number, phone, group_id,
           email_opt_in, sms_opt_in, created_at, updated_at, version)
       SELECT 'person', 'console' || g || '@example.com', 'Console', 'Customer ' || g, '', '', '', NULL, true, false, now(), now(), 1
       FROM generate_series(1, 5000) g""",
    """INSERT INTO orders_order (number, channel_id, external_id, customer_id, email, status, payment_status, currency,
           subtotal, shipping_price, discount_total, tax_total, grand_total, shipping_address, billing_address,
           ship_country, destination_latitude, destination_longitude, placed_at, promised_delivery_date, created_at, updated_at,
           version, note, routing)
       SELECT 'SO-' || lpad(nextval('orders_order_number_seq')::text, 7, '0'), %(channel)s, 'console-' || g, c.id, c.email,
              CASE WHEN g %% 100 < 2 THEN 'on_hold' WHEN g %% 100 = 2 THEN 'backordered' WHEN g %% 100 < 5 THEN 'allocated'
                   WHEN g %% 100 < 8 THEN 'in_fulfillment' WHEN g %% 100 = 8 THEN 'partially_shipped' WHEN g %% 100 < 30 THEN 'shipped'
                   WHEN g %% 100 < 60 THEN 'delivered' WHEN g %% 100 < 98 THEN 'completed' ELSE 'cancelled' END,
              'paid', 'USD', 59.70, 4.95, 0, 0, 64.65,
              '{"name": "Console Customer", "line1": "1 Main Street", "city": "Boston", "region": "MA", "postal_code": "02108", "country": "US"}',
              '{}', 'US', 42.36, -71.06,
              now() - (g || ' seconds')::interval * 77, (now() - (g || ' seconds')::interval * 77)::date + 5,
              now() - (g || ' seconds')::interval * 77, now(), 1, '', '{}'
       FROM generate_series(1, %(orders)s) g
       JOIN customers_customer c ON c.email = 'console' || (g %% 5000 + 1) || '@example.com'
       ORDER BY g DESC""",
    """INSERT INTO orders_orderline (order_id, line_number, sku, product_id, name, quantity, unit_price, discount, tax,
           line_total, quantity_reserved, quantity_shipped, quantity_returned)
       SELECT o.id, n, p.sku, p.id, p.name, 3, 19.90, 0, 0, 59.70,
              CASE WHEN o.status IN ('allocated', 'in_fulfillment') THEN 3 ELSE 0 END,
              CASE WHEN o.status IN ('shipped', 'delivered', 'completed') THEN 3 ELSE 0 END, 0
       FROM orders_order o CROSS JOIN generate_series(1, 3) n
       JOIN inventory_product p ON p.sku = 'B-' || lpad(((o.id * 3 + n) %% 200)::text, 4, '0')
       WHERE o.external_id LIKE 'console-%%'""",
    """INSERT INTO orders_allocation (line_id, location_id, quantity, created_at)
       SELECT l.id, (SELECT id FROM inventory_location ORDER BY id OFFSET (l.order_id %% 3) LIMIT 1), l.quantity_reserved, now()
       FROM orders_orderline l WHERE l.quantity_reserved > 0""",
    # every hold reason, one open hold per held order
    """INSERT INTO orders_orderhold (order_id, reason, detail, created_at, released_at, released_by_id, release_note)
       SELECT o.id, (ARRAY['payment', 'fraud_risk', 'address', 'credit_limit', 'stock', 'quantity_price', 'manual'])[o.id %% 7 + 1],
              'bench', o.placed_at, NULL, NULL, ''
       FROM orders_order o WHERE o.status = 'on_hold'""",
    # a fulfillment order per order in fulfillment: pending, picking or packed, at one of three locations
    """INSERT INTO fulfillment_fulfillmentorder (order_id, location_id, sequence, number, status, priority, promised_ship_date,
           promised_delivery_date, is_held, tracking_number, shipment_id, carrier_code, service_code, shipped_at, delivered_at,
           cancelled_at, cancel_reason, created_at, updated_at, version)
       SELECT o.id, (SELECT id FROM inventory_location ORDER BY id OFFSET (o.id %% 3) LIMIT 1), 1, o.number || '-1',
              (ARRAY['pending', 'picking', 'packed'])[o.id %% 3 + 1], 100, NULL, o.promised_delivery_date, o.id %% 17 = 0, '', NULL,
              '', '', NULL, NULL, NULL, '', o.placed_at, now(), 1
       FROM orders_order o WHERE o.status = 'in_fulfillment'""",
    # a shipment per shipped order: in transit, some carrier exceptions, some late
    """INSERT INTO shipping_shipment (carrier_id, service_id, tracking_number, status, reference, origin, destination, declared_value,
           price, currency, quote, collection_date, promised_delivery_date, shipped_at, delivered_at, last_scan_at, status_changed_at,
           voided_at, late, late_reason, late_promise_flagged_at, late_no_scan_flagged_at, label_pdf, label_format, created_by_label,
           manifest_id, direction, return_of_id, tracking_url, created_at, updated_at)
       SELECT %(carrier)s, %(service)s, 'BENCH' || o.id, CASE WHEN o.id %% 50 = 0 THEN 'exception' ELSE 'in_transit' END,
              o.number || '-1', '{"country": "US"}', '{"country": "US"}', 0, 5.00, 'USD', '{}', o.placed_at::date,
              o.promised_delivery_date, o.placed_at, NULL, o.placed_at, o.placed_at, NULL, o.id %% 20 = 3,
              CASE WHEN o.id %% 20 = 3 THEN 'bench' ELSE '' END, NULL, NULL, NULL, '', '', NULL, 'outbound', NULL, '', o.placed_at, now()
       FROM orders_order o WHERE o.status = 'shipped'""",
    "ANALYZE",
]


def seed_orders(count: int) -> None:
    import psycopg

    with psycopg.connect(BENCH_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        channel = conn.execute("SELECT id FROM orders_channel WHERE code = 'web'").fetchone()[0]
        carrier, service = conn.execute(
            "SELECT c.id, s.id FROM shipping_carrier c JOIN shipping_servicelevel s ON s.carrier_id = c.id ORDER BY c.id, s.id LIMIT 1"
        ).fetchone()
        for sql in SEED_SQL:
            conn.execute(sql, {"channel": channel, "orders": count, "carrier": carrier, "service": service})


def orders_of_sizes(sizes) -> dict[int, int]:
    """Orders of 1, 10 and 50 lines through intake (events, reservations, routing decision)."""
    from orders.services import order_intake
    from orders.services.intake import AddressData, LineData, OrderIntakeData

    ids = {}
    for size in sizes:
        data = OrderIntakeData(
            channel="web", external_id=f"page-{size}", currency="USD", email="page@example.com", first_name="Page", last_name="Order",
            shipping_address=AddressData(country="US", name="Page Order", line1="1 Main Street", city="Boston", region="MA", postal_code="02108"),
            lines=[LineData(sku=f"B-{i:04d}", quantity=1, unit_price=Decimal("19.90")) for i in range(size)], payment_status="paid",
        )
        ids[size] = order_intake(data=data, actor="bench").order.pk
    return ids


# --- the plain site: Django's default admin, same columns and fields --------------------------


def plain_site():
    from django.contrib import admin
    from django.db.models import Min
    from django.utils import timezone

    from fulfillment.models import FulfillmentOrder, PickList
    from inventory.models import Location
    from oms.admin_site import ConsoleSite
    from orders.models import HoldReason, Order, OrderEvent, OrderHold, OrderLine
    from shipping.models import Shipment
    from shipping.work_queues import IN_QUEUE

    class PlainLines(admin.TabularInline):
        model = OrderLine
        extra = 0
        fields = readonly_fields = ("line_number", "sku", "name", "quantity", "unit_price", "discount", "tax", "line_total",
                                    "quantity_reserved", "quantity_shipped", "quantity_returned", "reservations")

        @admin.display(description="Reserved at")
        def reservations(self, line):
            return ", ".join(f"{a.location.code} × {a.quantity}" for a in line.allocations.all())

    class PlainHolds(admin.TabularInline):
        model = OrderHold
        extra = 0
        fields = readonly_fields = ("reason", "detail", "created_at", "released_at", "released_by", "release_note")

    class PlainEvents(admin.TabularInline):
        model = OrderEvent
        extra = 0
        fields = readonly_fields = ("created_at", "kind", "message", "from_status", "to_status", "actor_label")

    class PlainOrderAdmin(admin.ModelAdmin):
        list_display = ("number", "status", "channel", "customer", "grand_total", "hold_reasons", "placed_at")
        list_filter = ("status", "channel", "payment_status", "created_at")
        search_fields = ("number", "external_id", "email")
        date_hierarchy = "placed_at"
        list_per_page = 50
        inlines = (PlainLines, PlainHolds, PlainEvents)
        readonly_fields = (
            "number", "status", "channel", "external_id", "customer", "email", "payment_status", "currency", "subtotal", "shipping_price",
            "discount_total", "tax_total", "grand_total", "shipping_address", "billing_address", "ship_country", "placed_at",
            "promised_ship_date", "promised_delivery_date", "created_at", "updated_at", "routing",
        )
        fields = readonly_fields

        @admin.display(description="Holds")
        def hold_reasons(self, order):
            return ", ".join(hold.get_reason_display() for hold in order.holds.filter(released_at__isnull=True)) or "—"

    def count_and_oldest(queryset, field):
        return queryset.count(), queryset.aggregate(oldest=Min(field))["oldest"]

    class PlainSite(admin.AdminSite):
        index_template = ConsoleSite.index_template

        def index(self, request, extra_context=None):
            """The console's tiles computed the straightforward way: a COUNT and a MIN per tile and row."""
            today = timezone.localdate()
            unshipped = ["pending", "on_hold", "backordered", "allocated", "in_fulfillment", "partially_shipped"]

            def tile(key, title, headline, rows=()):
                count, oldest = headline
                return {"key": key, "title": title, "count": count, "oldest": oldest, "url": None, "age_label": "oldest", "read_only": False,
                        "rows": [{"label": label, "count": n, "oldest": at, "url": None} for label, (n, at) in rows]}

            orders, holds = Order.objects.all(), OrderHold.objects.filter(released_at__isnull=True, order__status="on_hold")
            locations = list(Location.objects.all())
            floor = {
                key: [(location.code, count_and_oldest(FulfillmentOrder.objects.filter(location=location, **where), "created_at"))
                      for location in locations]
                for key, where in (("pick", {"status": "pending", "is_held": False}), ("pack", {"status": "picking"}),
                                   ("ship", {"status": "packed"}), ("fulfillment_holds", {"is_held": True, "status__in": ["pending", "picking", "packed"]}))
            }
            trouble = Shipment.objects.filter(IN_QUEUE)
            queues = [
                tile("release", "To release", count_and_oldest(orders.filter(status="on_hold"), "placed_at"),
                     [(label, count_and_oldest(holds.filter(reason=reason), "created_at")) for reason, label in HoldReason.choices]),
                tile("allocate", "To allocate", count_and_oldest(orders.filter(status__in=["backordered", "pending"]), "placed_at"),
                     [(status, count_and_oldest(orders.filter(status=status), "placed_at")) for status in ("backordered", "pending")]),
                tile("start_fulfillment", "To send to the floor", count_and_oldest(orders.filter(status="allocated"), "placed_at")),
                tile("pick", "To pick", count_and_oldest(FulfillmentOrder.objects.filter(status="pending", is_held=False), "created_at"),
                     [*floor["pick"], ("Open pick lists", count_and_oldest(PickList.objects.filter(status__in=["open", "in_progress"]), "created_at"))]),
                tile("pack", "Picking / to pack", count_and_oldest(FulfillmentOrder.objects.filter(status="picking"), "created_at"), floor["pack"]),
                tile("ship", "To ship", count_and_oldest(FulfillmentOrder.objects.filter(status="packed"), "created_at"), floor["ship"]),
                tile("fulfillment_holds", "Fulfillment on hold", count_and_oldest(
                    FulfillmentOrder.objects.filter(is_held=True, status__in=["pending", "picking", "packed"]), "created_at"), floor["fulfillment_holds"]),
                tile("exceptions", "Exceptions and late shipments", count_and_oldest(trouble, "created_at"),
                     [(label, count_and_oldest(trouble.filter(**where), "created_at")) for label, where in (
                         ("Carrier exceptions", {"status": "exception"}), ("Returned to sender", {"status": "returned_to_sender"}), ("Late", {"late": True}))]),
                tile("late", "Late orders", count_and_oldest(orders.filter(status__in=unshipped, promised_delivery_date__lt=today), "promised_delivery_date")),
            ]
            return super().index(request, {"work_queues": queues, "read_only": False})

    site = PlainSite(name="plain")
    site.register(Order, PlainOrderAdmin)
    return site


def urls_with(site) -> str:
    """The project's URLs plus the plain site at /plain/, as a module Django can load."""
    from django.urls import path

    from config import urls

    module = types.ModuleType("bench_console_urls")
    module.urlpatterns = [path("plain/", site.urls), *urls.urlpatterns]
    sys.modules[module.__name__] = module
    return module.__name__


# --- measuring -------------------------------------------------------------------------------


def queries_of(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: the first request fills per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def timings(client, pairs: dict[str, tuple[str, str]], samples: int) -> dict[str, tuple[list[float], list[float]]]:
    """Per page: the console's and the plain site's times, interleaved request by request."""
    result = {name: ([], []) for name in pairs}
    for _ in range(samples):
        for name, urls in pairs.items():
            for side, url in enumerate(urls):
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (url, response.status_code)
                result[name][side].append(elapsed * 1000)
    return result


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the database")
    parser.add_argument("--samples", type=int, default=30, help="requests per page and side; p50 and p95 are reported")
    args = parser.parse_args()

    intake.recreate_database()
    intake._django_setup()
    intake.seed(carriers=True)
    started = time.perf_counter()
    seed_orders(args.orders)
    seeded_in = time.perf_counter() - started
    page_orders = orders_of_sizes((1, 10, 50))

    from django.conf import settings
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import clear_url_caches

    from orders.models import Order

    site = plain_site()
    settings.ROOT_URLCONF = urls_with(site)
    clear_url_caches()
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("bench", "bench@example.com", "x"))
    console_list, plain_list = admin.site._registry[Order], site._registry[Order]

    def page(order_id: int) -> tuple[str, str]:
        return f"/admin/orders/order/{order_id}/change/", f"/plain/orders/order/{order_id}/change/"

    # Queries, at two sizes each: constant for the console, growing for the plain side.
    queries = {"home": (queries_of(client, "/admin/"), queries_of(client, "/plain/"))}
    for rows in (50, 200):
        console_list.list_per_page = plain_list.list_per_page = rows
        queries[f"order list, {rows} rows"] = (queries_of(client, "/admin/orders/order/"), queries_of(client, "/plain/orders/order/"))
    console_list.list_per_page = plain_list.list_per_page = 50
    for lines, order_id in page_orders.items():
        console_url, plain_url = page(order_id)
        queries[f"order page, {lines} lines"] = (queries_of(client, console_url), queries_of(client, plain_url))

    pairs = {
        "home": ("/admin/", "/plain/"),
        "order list, 50 rows": ("/admin/orders/order/", "/plain/orders/order/"),
        "on-hold list, 50 rows": ("/admin/orders/order/?status__exact=on_hold", "/plain/orders/order/?status__exact=on_hold"),
        **{f"order page, {lines} lines": page(order_id) for lines, order_id in page_orders.items()},
    }
    times = timings(client, pairs, args.samples)

    total = Order.objects.count()
    print(f"bench/console  PostgreSQL, {total:,} orders (seeded in {seeded_in:.1f} s), in-process test client, superuser")
    print(f"  console = /admin/ (ConsoleSite); plain = Django's default ModelAdmin/AdminSite, same columns; {args.samples} requests each")
    print(f"  {'page':24} | {'queries':>15} | {'p50 ms console / plain':>24} | {'p95 ms console / plain':>24} | p50 ratio")
    for name in queries:
        console_q, plain_q = queries[name]
        line = f"  {name:24} | {console_q:6d} / {plain_q:6d} |"
        if name in times:
            console_t, plain_t = times[name]
            c50, p50_ = statistics.median(console_t), statistics.median(plain_t)
            line += f" {c50:10.1f} / {p50_:10.1f} | {p95(console_t):10.1f} / {p95(plain_t):10.1f} | {p50_ / c50:5.1f}x"
        print(line)
    for name in pairs:
        if name not in queries:
            console_t, plain_t = times[name]
            c50, p50_ = statistics.median(console_t), statistics.median(plain_t)
            print(f"  {name:24} | {'':15} | {c50:10.1f} / {p50_:10.1f} | {p95(console_t):10.1f} / {p95(plain_t):10.1f} | {p50_ / c50:5.1f}x")
    list_constant = queries["order list, 50 rows"][0] == queries["order list, 200 rows"][0]
    page_constant = len({queries[f"order page, {lines} lines"][0] for lines in page_orders}) == 1
    print(f"  console queries constant in page size: {list_constant}; in order size: {page_constant}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

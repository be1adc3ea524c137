"""The customer portal's order page and tracking page over 100,000 orders: queries per page for
orders of 1, 10 and 50 lines, and p50/p95 latency through Django's test client.

    .venv/bin/python bench/portal.py            # PORTAL_BENCH_ORDERS=100000 by default

On a throw-away PostgreSQL database (``oms_bench_portal``; ``BENCH_PORTAL_DATABASE_URL`` to point
elsewhere): 10,000 customers and 100,000 shipped orders (a line, a fulfillment order, a carrier
booking and a scan each) are bulk-created, then three orders of 1, 10 and 50 lines, each shipped
in one parcel with 1, 10 and 20 carrier scans. The pages are requested in-process through Django's test
client (middleware, session, templates, all of it), a signed-in customer's order page and a
tracking link's page, and their statements counted (transaction control left out). The baseline,
measured in the same run, is the 1-line order: the target is the same count for every size.
Latency: 300 requests of each page on orders and parcels picked at random among the 100,000.

Not a timed test: it prints figures for a person to read and compare.
"""

import datetime
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
URL = os.environ.get("BENCH_PORTAL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_portal")
ORDERS = int(os.environ.get("PORTAL_BENCH_ORDERS", "100000"))
CUSTOMERS = max(ORDERS // 10, 1)
SIZES = (1, 10, 50)
REQUESTS = 300
BATCH = 2000
ROWS = 1000  # rows per INSERT: PostgreSQL takes at most 65,535 parameters
NOT_COUNTED = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")

import intake  # noqa: E402  (bench/intake.py: database set-up)


def bulk_orders(count: int, *, first: int, lines: int, customer_ids: list[int], scans: int) -> list[int]:
    """``count`` shipped orders of ``lines`` lines each, straight into the tables; their ids."""
    from fulfillment.models import FulfillmentLine, FulfillmentOrder, FulfillmentStatus
    from inventory.models import Location, Product
    from orders.models import Channel, Order, OrderEvent, OrderLine, OrderStatus
    from shipping.models import Carrier, Shipment, ShipmentStatus, TrackingEvent

    channel, location = Channel.objects.get(code="web"), Location.objects.get(code="chi")
    carrier = Carrier.objects.filter(code="oms-post").first() or Carrier.objects.first()
    service = carrier.services.first()
    products = list(Product.objects.order_by("pk")[:max(lines, 1)])
    now = datetime.datetime.now(datetime.timezone.utc)
    address = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "Boston", "region": "MA", "postal_code": "02108", "country": "US"}
    order_ids = []
    for start in range(first, first + count, BATCH):
        serials = range(start, min(start + BATCH, first + count))
        orders = Order.objects.bulk_create([
            Order(
                number=f"PB-{n:08d}", channel=channel, external_id=f"pb-{n}", customer_id=customer_ids[n % len(customer_ids)], email=f"c{n % len(customer_ids)}@bench.example",
                status=OrderStatus.SHIPPED, payment_status="paid", currency="USD", subtotal=Decimal("19.90") * lines, grand_total=Decimal("19.90") * lines,
                shipping_address=address, ship_country="US", placed_at=now - datetime.timedelta(minutes=n),
            )
            for n in serials
        ], batch_size=ROWS)
        OrderLine.objects.bulk_create([
            OrderLine(order=order, line_number=i + 1, sku=products[i].sku, product=products[i], name=products[i].name, quantity=1, unit_price=Decimal("19.90"),
                      line_total=Decimal("19.90"), quantity_shipped=1)
            for order in orders for i in range(lines)
        ], batch_size=ROWS)
        OrderEvent.objects.bulk_create([
            OrderEvent(order=order, kind=OrderEvent.Kind.STATUS, from_status=before, to_status=after, created_at=now)
            for order in orders for before, after in (("pending", "allocated"), ("allocated", "in_fulfillment"), ("in_fulfillment", "shipped"))
        ], batch_size=ROWS)
        shipments = Shipment.objects.bulk_create([
            Shipment(
                carrier=carrier, service=service, tracking_number=f"PB{order.pk:010d}", status=ShipmentStatus.IN_TRANSIT, reference=f"{order.number}-1",
                origin={"country": "US", "city": "Chicago", "postal_code": "60607"}, destination=address, price=Decimal("5.00"), currency="USD",
                collection_date=now.date(), promised_delivery_date=now.date() + datetime.timedelta(days=3), shipped_at=now,
            )
            for order in orders
        ], batch_size=ROWS)
        fulfillment_orders = FulfillmentOrder.objects.bulk_create([
            FulfillmentOrder(order=order, location=location, sequence=1, number=f"{order.number}-1", status=FulfillmentStatus.SHIPPED,
                             tracking_number=shipment.tracking_number, shipment=shipment, carrier_code=carrier.code, shipped_at=now)
            for order, shipment in zip(orders, shipments)
        ], batch_size=ROWS)
        order_lines = {}
        for line in OrderLine.objects.filter(order__in=orders).only("pk", "order_id", "product_id"):
            order_lines.setdefault(line.order_id, []).append(line)
        FulfillmentLine.objects.bulk_create([
            FulfillmentLine(fulfillment_order=fo, order_line=line, product_id=line.product_id, quantity=1, quantity_picked=1, quantity_packed=1, quantity_shipped=1)
            for fo in fulfillment_orders for line in order_lines[fo.order_id]
        ], batch_size=ROWS)
        TrackingEvent.objects.bulk_create([
            TrackingEvent(shipment=shipment, carrier_event_id=f"{shipment.tracking_number}-{k}", tracking_number=shipment.tracking_number,
                          code="in_transit", status_text="Departed facility", location="Chicago IL", occurred_at=now + datetime.timedelta(hours=k))
            for shipment in shipments for k in range(scans)
        ], batch_size=ROWS)
        order_ids += [order.pk for order in orders]
    return order_ids


def signed_in_client(customer_id: int):
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client

    from portal.auth import SESSION_KEY

    session = SessionStore()
    session[SESSION_KEY] = customer_id
    session.save()
    client = Client()
    client.cookies[settings.OMS_PORTAL_SESSION_COOKIE_NAME] = session.session_key
    return client


def counted(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return sum(1 for query in ctx.captured_queries if not query["sql"].startswith(NOT_COUNTED))


def latencies(requests: list[tuple[object, str]]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    times = []
    for client, path in requests:
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    cuts = statistics.quantiles(times, n=100)
    return statistics.median(times), cuts[94]


def main() -> None:
    intake.recreate_database(URL)
    intake._django_setup(URL)
    intake.seed(carriers=True)
    from django.test import Client

    from customers.models import Customer
    from orders.models import Order
    from portal.links import TRACKING_PATH, tracking_token
    from shipping.models import Shipment

    began = time.perf_counter()
    customers = Customer.objects.bulk_create([Customer(email=f"c{n}@bench.example", first_name="Bench") for n in range(CUSTOMERS)], batch_size=BATCH)
    customer_ids = [customer.pk for customer in customers]
    order_ids = bulk_orders(ORDERS, first=0, lines=1, customer_ids=customer_ids, scans=1)
    # The measured parcels were scanned as often as they have lines (at most 20 times): events vary too.
    measured = {size: bulk_orders(1, first=ORDERS + size, lines=size, customer_ids=[customer_ids[0]], scans=min(size, 20))[0] for size in SIZES}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{Order.objects.count():,} orders of {len(customer_ids):,} customers, {Shipment.objects.count():,} shipments, made in {time.perf_counter() - began:.0f} s\n")

    client = signed_in_client(customer_ids[0])
    anonymous = Client()  # the tracking link's holder: no session at all
    numbers = dict(Order.objects.filter(pk__in=measured.values()).values_list("pk", "number"))
    shipment_of = dict(Shipment.objects.filter(fulfillment_orders__order_id__in=measured.values()).values_list("fulfillment_orders__order_id", "pk"))
    counted(client, f"/portal/orders/{numbers[measured[1]]}/")  # warm the process (templates, statements)
    order_counts = [counted(client, f"/portal/orders/{numbers[measured[size]]}/") for size in SIZES]
    tracking_counts = [counted(anonymous, TRACKING_PATH.format(token=tracking_token(shipment_of[measured[size]]))) for size in SIZES]
    print("Queries per page (statements sent to PostgreSQL, transaction control left out)\n")
    print(f"{'page':<16}" + "".join(f"{f'{n} line' + ('s' if n > 1 else ''):>12}" for n in SIZES) + "   constant?")
    for name, row in (("order page", order_counts), ("tracking page", tracking_counts)):
        print(f"{name:<16}" + "".join(f"{count:>12}" for count in row) + f"   {'yes' if len(set(row)) == 1 else 'NO'}")

    rng = random.Random(15)
    picked = rng.sample(order_ids, REQUESTS)
    owners = dict(Order.objects.filter(pk__in=picked).values_list("pk", "customer_id"))
    order_numbers = dict(Order.objects.filter(pk__in=picked).values_list("pk", "number"))
    clients = {owner: signed_in_client(owner) for owner in set(owners.values())}
    shipments = dict(Shipment.objects.filter(fulfillment_orders__order_id__in=picked).values_list("fulfillment_orders__order_id", "pk"))
    order_p50, order_p95 = latencies([(clients[owners[pk]], f"/portal/orders/{order_numbers[pk]}/") for pk in picked])
    tracking_p50, tracking_p95 = latencies([(anonymous, TRACKING_PATH.format(token=tracking_token(shipments[pk]))) for pk in picked])
    print(f"\nLatency through Django's test client, {REQUESTS} requests each on random orders among {ORDERS:,} (ms)\n")
    print(f"{'page':<16}{'p50':>10}{'p95':>10}")
    print(f"{'order page':<16}{order_p50:>10.1f}{order_p95:>10.1f}")
    print(f"{'tracking page':<16}{tracking_p50:>10.1f}{tracking_p95:>10.1f}")


if __name__ == "__main__":
    main()

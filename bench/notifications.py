"""Shipped notices at volume: rendered and delivered by the Celery worker path against plain smtplib.

    python bench/notifications.py [--messages 10000] [--concurrency N (default: one per CPU, as Celery)]

On a throw-away PostgreSQL database (``oms_bench_notify``; ``BENCH_NOTIFY_DATABASE_URL`` to point
elsewhere) and Redis database 13, with an SMTP server on localhost (aiosmtpd's ``Sink``, in its own
process, so it takes no CPU time from either side's process):

1. seeds ``--messages`` customers, each with an order of two lines, a fulfillment order and its
   shipment (bulk inserts), and one queued ``shipped`` e-mail in the notification log per order
   (a quarter of the customers write German);
2. renders every message once in this process (``message_build``: the context read from the
   database, templates, branding, the MIME bytes) to have the baseline's input, and reports that rate;
3. **baseline**: ``smtplib`` sends those pre-rendered messages over one SMTP session, nothing else;
4. **worker path**: every message is handed to the workers as the subscribers' commit hands it
   (``_enqueue``: a send task unless one is already waiting), and a real Celery worker
   (``--concurrency`` processes, Redis broker and cache) runs ``portal.tasks.notification_send``:
   claim a batch, read its context in a few queries, render, send (one SMTP session kept per
   worker process), record ``sent``. Measured from the first enqueue until the log says every
   message is sent.

It prints messages per second for each and the ratio worker/baseline (target: at least 50%).
Not a timed test: figures for a person to read.
"""

import argparse
import os
import smtplib
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get("BENCH_NOTIFY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_notify")
os.environ["BENCH_DATABASE_URL"] = BENCH_URL
REDIS_URL = "redis://127.0.0.1:6379/13"
QUEUE = f"oms-notify-bench-{uuid.uuid4().hex[:8]}"
# The web side and the workers share a cache (as CACHE_URL makes them in production): a burst asks
# for one send task, not one per message.
os.environ.update(CELERY_BROKER_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER="false", CACHE_URL="rediscache://127.0.0.1:6379/13")

import intake  # noqa: E402  (bench/intake.py: database set-up)

from config.celery import channel_queue, worker_queues  # noqa: E402


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_server_start(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the SMTP server did not start")


def seed(count: int) -> list[int]:
    """Customers, orders, shipments and one queued shipped notice each; returns the notices' ids."""
    import datetime
    from decimal import Decimal

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from customers.models import Customer
    from fulfillment.models import FulfillmentLine, FulfillmentOrder
    from inventory.models import Location, Product
    from orders.models import Channel, Order, OrderLine
    from portal.models import ChannelBranding, Notification, NotificationKind
    from shipping.demo import demo_shipping_seed
    from shipping.models import Carrier, Shipment

    demo_shipping_seed()
    channel = Channel.objects.create(code="web", name="Web shop")
    ChannelBranding.objects.create(channel=channel, shop_name="Nordlicht Wear", sender_email="hello@nordlicht.example", reply_to="care@nordlicht.example",
                                   footer_text="Nordlicht GmbH, Hafenstraße 1, 20457 Hamburg", logo_url="https://nordlicht.example/logo.png")
    location = Location.objects.create(code="chi", name="Chicago DC", country="US", city="Chicago", postal_code="60607", latitude=41.85, longitude=-87.65)
    products = Product.objects.bulk_create([Product(sku="MER-NAVY-M", name="Merino crew jumper, navy, M", price=Decimal("89")),
                                            Product(sku="SOCK-3", name="Organic cotton socks, 3 pairs", price=Decimal("15"))])
    carrier = Carrier.objects.order_by("id").first()
    service = carrier.services.order_by("id").first()
    customers = Customer.objects.bulk_create([
        Customer(email=f"bench{i}@example.com", first_name="Ada", last_name=f"Bench {i}", language="de" if i % 4 == 0 else "en")
        for i in range(count)
    ], batch_size=500)
    address = {"name": "Ada Bench", "line1": "1 Main Street", "city": "Boston", "region": "MA", "postal_code": "02108", "country": "US"}
    orders = Order.objects.bulk_create([
        Order(channel=channel, external_id=f"bench-{i}", customer=c, email=c.email, currency="USD", shipping_address=address, ship_country="US")
        for i, c in enumerate(customers)
    ], batch_size=500)
    lines = OrderLine.objects.bulk_create([
        OrderLine(order=o, line_number=n + 1, sku=p.sku, product=p, name=p.name, quantity=n + 1, unit_price=p.price, line_total=p.price * (n + 1))
        for o in orders for n, p in enumerate(products)
    ], batch_size=500)
    today = datetime.date.today()
    shipments = Shipment.objects.bulk_create([
        Shipment(carrier=carrier, service=service, tracking_number=f"BN{i:09d}US", reference=f"FO-{i}", origin={"country": "US"},
                 destination=address, price=Decimal("5.90"), currency="USD", collection_date=today,
                 promised_delivery_date=today + datetime.timedelta(days=3))
        for i in range(count)
    ], batch_size=500)
    fulfillment_orders = FulfillmentOrder.objects.bulk_create([
        FulfillmentOrder(order=o, location=location, sequence=1, number=f"FO-{i}", shipment=s, tracking_number=s.tracking_number)
        for i, (o, s) in enumerate(zip(orders, shipments, strict=True))
    ], batch_size=500)
    FulfillmentLine.objects.bulk_create([
        FulfillmentLine(fulfillment_order=fo, order_line=line, product=line.product, quantity=line.quantity, quantity_picked=line.quantity, quantity_packed=line.quantity, quantity_shipped=line.quantity)
        for fo, pair in zip(fulfillment_orders, zip(lines[::2], lines[1::2], strict=True), strict=True) for line in pair
    ], batch_size=500)
    notices = Notification.objects.bulk_create([
        Notification(event_uuid=uuid.uuid4(), event_name="fulfillment.shipped", kind=NotificationKind.SHIPPED, medium="email",
                     recipient=c.email, customer=c, order=o, channel=channel, context={"shipment_id": s.pk}, language=c.language,
                     message_id=f"<{uuid.uuid4().hex}@nordlicht.example>")
        for c, o, s in zip(customers, orders, shipments, strict=True)
    ], batch_size=500)
    return [n.pk for n in notices]


def prerender(ids: list[int]) -> tuple[list[tuple[str, str, bytes]], float]:
    from portal.models import Notification
    from portal.notifications.delivery import message_build

    from portal.notifications.render import MessageFacts

    started = time.perf_counter()
    messages = []
    from django.conf import settings

    step = settings.OMS_NOTIFICATION_BATCH  # as the worker reads them, a batch at a time
    for first in range(0, len(ids), step):
        rows = list(Notification.objects.select_related("customer").filter(pk__in=ids[first:first + step]).order_by("id"))
        facts = MessageFacts(rows)
        for notification in rows:
            message, _ = message_build(notification, facts)
            messages.append((message.from_email, notification.recipient, message.message().as_bytes(linesep="\r\n")))
    return messages, time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def worker_cpu_seconds(pid: int) -> float:
    """The worker's CPU time, its pool processes' included (they are alive while measured)."""
    total = cpu_seconds(pid)
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for child_pid in child.read_text().split():
            total += cpu_seconds(int(child_pid))
    return total


def baseline(messages, port: int) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    with smtplib.SMTP("127.0.0.1", port) as session:
        for sender, recipient, body in messages:
            session.sendmail(sender, [recipient], body)
    return time.perf_counter() - started, time.process_time() - cpu


def worker_path(ids: list[int], port: int, concurrency: int) -> tuple[float, float, int]:
    from celery import current_app

    from portal.models import Notification, NotificationStatus
    from portal.notifications.log import _enqueue

    env = dict(os.environ, DATABASE_URL=BENCH_URL, DJANGO_SETTINGS_MODULE="tests.webhooks.worker_settings", OMS_TEST_CELERY_QUEUE=QUEUE,
               EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port),
               CELERY_BROKER_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER="false", DEBUG="false")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo" if concurrency == 1 else "prefork",
         "--concurrency", str(concurrency), "-Q", worker_queues(QUEUE), "--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        current_app.conf.update(task_always_eager=False, broker_url=REDIS_URL, task_default_queue=QUEUE)
        time.sleep(5)  # the worker's start-up (Django, the broker) is not what is measured
        started, cpu = time.perf_counter(), worker_cpu_seconds(worker.pid)
        for notification_id in ids:  # as each shipment's commit does
            _enqueue(notification_id)
        remaining = len(ids)
        while remaining:
            time.sleep(0.2)
            remaining = Notification.objects.filter(pk__in=ids).exclude(status=NotificationStatus.SENT).count()
            if worker.poll() is not None:
                raise SystemExit("the worker stopped")
        elapsed, used = time.perf_counter() - started, worker_cpu_seconds(worker.pid) - cpu
        failed = Notification.objects.filter(pk__in=ids, status=NotificationStatus.FAILED).count()
        return elapsed, used, failed
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        import redis

        redis.Redis.from_url(REDIS_URL).delete(QUEUE, channel_queue(QUEUE))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: Celery's own default, one per CPU)")
    arguments = parser.parse_args()
    intake.recreate_database(BENCH_URL)
    intake._django_setup(BENCH_URL)
    port = free_port()
    server = smtp_server_start(port)
    try:
        print(f"seeding {arguments.messages} shipped orders and their notices...", flush=True)
        ids = seed(arguments.messages)
        messages, render_seconds = prerender(ids)
        size = sum(len(body) for _, _, body in messages) / len(messages)
        print(f"rendered in this process: {len(messages) / render_seconds:8.0f} messages/s (average {size / 1024:.1f} KiB, text + HTML)")
        base, base_cpu = baseline(messages, port)
        base_rate = len(messages) / base
        print(f"baseline, smtplib, one session, pre-rendered: {base_rate:8.0f} messages/s ({base:.1f} s; {base_cpu:.1f} CPU s in the client)")
        elapsed, used, failed = worker_path(ids, port, arguments.concurrency)
        rate = len(ids) / elapsed
        print(f"worker path ({arguments.concurrency} process(es)), render + send + log: {rate:8.0f} messages/s "
              f"({elapsed:.1f} s; {used:.1f} CPU s in the worker; {failed} failed)")
        print(f"ratio worker/baseline: {rate / base_rate:.0%} (target at least 50%)")
        print(f"CPU per message: worker {used / len(ids) * 1000:.1f} ms, baseline client {base_cpu / len(messages) * 1000:.2f} ms "
              f"(the machine's load: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    finally:
        os.killpg(server.pid, 15)


if __name__ == "__main__":
    main()

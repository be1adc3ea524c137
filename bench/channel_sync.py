"""Stock out to channels: what the coalescing push absorbs, against pushing every change, in one run.

    python bench/channel_sync.py [--orders 600] [--threads 6] [--skus 3] [--samples 30] [--rounds 3]

On a throw-away PostgreSQL database (``oms_bench_sync``; ``BENCH_SYNC_DATABASE_URL`` to point
elsewhere) and Redis (127.0.0.1:6379, db 11) it seeds a WooCommerce channel with "push stock" on,
starts a fake stateful shop on 127.0.0.1 (``tests/channels/stock_platform.py``: keeps each
product's stock, counts the stock-setting calls) and a real Celery worker, then:

0. **no push**: the burst of 1. with push stock off, for what intake does alone;
1. **coalesced** (the OMS's sync): ``--threads`` threads record ``--orders`` one-line orders on
   ``--skus`` hot SKUs as fast as they can; each order's reservation nudges the sync after its
   commit. Reported: stock changes per second during the burst, the time until the shop shows
   every final figure, and the stock calls (and figures) sent per change.
2. **naive** (the baseline): the same burst with push stock off and a listener that, after each
   commit, reads the product's figure and PUTs it to the same shop at once (one call per change,
   in the order's thread). Reported the same way, and whether the shop ends right (concurrent
   pushes of one SKU can arrive out of order and leave a stale figure).
   The three run interleaved for ``--rounds`` rounds (medians reported).
3. **delay**: ``--samples`` single orders, one at a time, with the sync on: the time from the
   reservation's commit to the shop receiving the new figure (p50, p95).

Not a timed test: it prints figures for a person to read and compare.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import intake  # noqa: E402  (bench/intake.py: database set-up)

from config.celery import channel_queue, worker_queues  # noqa: E402

ROOT = intake.ROOT
URL = os.environ.get("BENCH_SYNC_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench_sync")
REDIS = "redis://127.0.0.1:6379/11"
QUEUE = f"stock-bench-{uuid.uuid4().hex[:8]}"
PREFIX = f"stock-bench-{uuid.uuid4().hex[:8]}"


def setup():
    os.environ["CACHE_URL"] = REDIS  # shared with the worker: the "push queued" marks
    os.environ["CELERY_BROKER_URL"] = REDIS
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    intake.recreate_database(URL)
    intake._django_setup(URL)
    from celery import current_app
    from django.conf import settings
    from django.core.management import call_command

    settings.CACHES["default"]["KEY_PREFIX"] = PREFIX
    current_app.conf.update(task_default_queue=QUEUE, task_always_eager=False, broker_url=REDIS)
    call_command("migrate", verbosity=0)


def seed(shop_url: str, skus: int, stock: int):
    from inventory.models import Location, Product
    from inventory.services import stock_receive
    from orders.models import Channel, ChannelConnection

    Location.objects.create(code="chi", name="Chicago DC", country="US", city="Chicago", postal_code="60607", latitude=41.85, longitude=-87.65)
    channel = Channel.objects.create(code="woo", name="Woo shop", adapter=Channel.Adapter.WOOCOMMERCE)
    ChannelConnection.objects.create(
        channel=channel, woocommerce_url=shop_url, woocommerce_consumer_key="ck_bench", woocommerce_consumer_secret="cs_bench",
        stock_push_enabled=False, woocommerce_requests_per_second=100,
    )
    for n in range(skus):
        Product.objects.create(sku=f"HOT-{n}", name=f"Hot item {n}", price="19.90")
        stock_receive(sku=f"HOT-{n}", location="chi", quantity=stock, actor="bench")


def push_switch(on: bool):
    from orders.models import ChannelConnection
    from orders.services.stock_sync import stock_push_channels_forget

    ChannelConnection.objects.update(stock_push_enabled=on)
    stock_push_channels_forget()


def start_worker() -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "tests.channels.stock_worker_settings", "DATABASE_URL": URL, "OMS_TEST_CELERY_QUEUE": QUEUE,
        "OMS_TEST_CACHE_URL": REDIS, "OMS_TEST_CACHE_PREFIX": PREFIX, "DEBUG": "false",
    }
    log = tempfile.NamedTemporaryFile(prefix="bench-sync-worker-", suffix=".log", delete=False)
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", worker_queues(QUEUE), "--loglevel", os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
               "--without-heartbeat", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log.name


def order(sku: str):
    from decimal import Decimal

    from orders.services import AddressData, LineData, OrderIntakeData, order_intake

    data = OrderIntakeData(
        channel="woo", external_id=f"B-{uuid.uuid4().hex}", currency="USD", email="buyer@example.com", first_name="Ada", last_name="Lovelace",
        shipping_address=AddressData(name="Ada Lovelace", line1="12 Main Street", city="Boston", region="MA", postal_code="02108", country="US"),
        payment_status="paid", lines=[LineData(sku=sku, quantity=1, unit_price=Decimal("19.90"))],
    )
    return order_intake(data=data, actor="bench")


def figures(skus: list[str]) -> dict[str, int]:
    from inventory.models import Product
    from inventory.selectors import available_to_promise_for_skus

    products = list(Product.objects.filter(sku__in=skus).order_by("sku"))
    return {p.sku: promise.available_to_promise for p, promise in zip(products, available_to_promise_for_skus(products, channel="woo"))}


def burst(orders: int, threads: int, skus: list[str]) -> float:
    """Record the orders from ``threads`` threads; returns the seconds from first to last commit."""
    from django.db import connections

    errors = []

    def customer(index: int):
        try:
            for n in range(orders // threads):
                order(skus[(index + n) % len(skus)])
        except Exception as error:
            errors.append(repr(error))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=customer, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise SystemExit(f"orders failed: {errors[:3]}")
    return time.monotonic() - started


def settle(shop, skus: list[str], timeout: float = 120) -> float | None:
    """Seconds until the shop shows every SKU's figure (None: not within ``timeout``)."""
    started = time.monotonic()
    wanted = figures(skus)
    while time.monotonic() - started < timeout:
        if all(shop.quantity(sku) == wanted[sku] for sku in skus):
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def naive_listener(shop):
    """The baseline: after each commit, read the products' figures and PUT each to the shop now."""
    from inventory.models import Product
    from orders.models import ChannelConnection
    from orders.platforms import StockUpdate, client_for

    connection = ChannelConnection.objects.select_related("channel").get()
    local = threading.local()
    ids = {}

    def push(product_ids):
        client = getattr(local, "client", None) or client_for(connection)
        local.client = client
        products = list(Product.objects.filter(pk__in=product_ids))
        for sku, figure in figures([p.sku for p in products]).items():
            ids.setdefault(sku, shop.ids[sku])
            client.stock_set(StockUpdate(ids[sku], figure))

    return push


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--skus", type=int, default=3)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    setup()
    from tests.channels.stock_platform import StockShop

    skus = [f"HOT-{n}" for n in range(args.skus)]
    shop = StockShop({sku: 1000 + n for n, sku in enumerate(skus)})
    seed(shop.url, args.skus, stock=10 * (args.orders * args.rounds + args.samples))
    worker, log = start_worker()
    try:
        time.sleep(3)  # the worker connects
        burst(args.orders // 4, args.threads, skus)  # warm-up, no push: connections, caches, prepared statements
        from inventory.changes import _listeners, stock_listen

        listener = naive_listener(shop)
        runs = {"none": [], "coalesced": [], "naive": []}
        lags, calls, sent, naive_right = [], {"coalesced": 0, "naive": 0}, {"coalesced": 0, "naive": 0}, True
        for _ in range(args.rounds):  # interleaved, medians reported: the machine's mood hits all sides alike
            # 0. no push at all: what intake does without the sync
            push_switch(False)
            runs["none"].append(args.orders / burst(args.orders, args.threads, skus))
            # 1. the OMS's sync
            push_switch(True)
            calls_before, seen_before = shop.stock_calls, len(shop.seen)
            runs["coalesced"].append(args.orders / burst(args.orders, args.threads, skus))
            lags.append(settle(shop, skus))
            calls["coalesced"] += shop.stock_calls - calls_before
            sent["coalesced"] += len(shop.seen) - seen_before
            # 2. naive: push every change at once, in the order's thread
            push_switch(False)
            stock_listen(listener)
            calls_before, seen_before = shop.stock_calls, len(shop.seen)
            runs["naive"].append(args.orders / burst(args.orders, args.threads, skus))
            _listeners.remove(listener)
            wanted = figures(skus)
            naive_right = naive_right and all(shop.quantity(sku) == wanted[sku] for sku in skus)
            calls["naive"] += shop.stock_calls - calls_before
            sent["naive"] += len(shop.seen) - seen_before
            for sku in skus:  # the next round starts from a shop that is right
                shop.stock[shop.ids[sku]] = wanted[sku]
        changes = args.orders * args.rounds
        coalesced = {"rate": statistics.median(runs["coalesced"]), "lag": None if None in lags else max(lags),
                     "calls": calls["coalesced"], "figures": sent["coalesced"]}
        naive = {"rate": statistics.median(runs["naive"]), "calls": calls["naive"], "figures": sent["naive"]}

        # 3. delay from a reservation's commit to the shop's new figure
        push_switch(True)
        delays = []
        for n in range(args.samples):
            sku = skus[n % len(skus)]
            seen_before = len(shop.seen)
            order(sku)  # commits on return
            committed = time.monotonic()
            target = figures([sku])[sku]
            deadline = committed + 30
            while time.monotonic() < deadline:
                arrived = [t for t, product_id, quantity in shop.seen[seen_before:] if product_id == shop.ids[sku] and quantity == target]
                if arrived:
                    delays.append(arrived[0] - committed)
                    break
                time.sleep(0.005)
            time.sleep(0.3)
    finally:
        intake_stop = worker
        intake_stop.terminate()
        try:
            intake_stop.wait(timeout=10)
        except subprocess.TimeoutExpired:
            intake_stop.kill()
        shop.close()
        import redis

        redis.Redis.from_url(REDIS).delete(QUEUE, channel_queue(QUEUE))  # nothing left for the next run

    print(f"\n{args.rounds} rounds of {args.orders} one-line orders from {args.threads} threads on {args.skus} SKUs (PostgreSQL, "
          f"one Celery worker, debounce {os.environ.get('OMS_STOCK_SYNC_DEBOUNCE_SECONDS', '1.0')} s); changes/s are medians\n")
    print(f"{'':28}{'changes/s':>10}{'stock calls':>13}{'calls/change':>14}{'figures sent':>14}{'shop right':>12}")
    print(f"{'no push (intake alone)':28}{statistics.median(runs['none']):>10.1f}{'-':>13}{'-':>14}{'-':>14}{'-':>12}")
    print(f"{'coalesced (OMS sync)':28}{coalesced['rate']:>10.1f}{coalesced['calls']:>13}{coalesced['calls'] / changes:>14.3f}"
          f"{coalesced['figures']:>14}{'yes' if coalesced['lag'] is not None else 'NO':>12}")
    print(f"{'naive (push every change)':28}{naive['rate']:>10.1f}{naive['calls']:>13}{naive['calls'] / changes:>14.3f}"
          f"{naive['figures']:>14}{'yes' if naive_right else 'NO':>12}")
    if coalesced["lag"] is not None:
        print(f"\ncoalesced: the shop showed every final figure at most {coalesced['lag']:.2f} s after a round's last order")
    print(f"rate ratio coalesced/naive: {coalesced['rate'] / naive['rate']:.2f}; coalesced/no push: "
          f"{coalesced['rate'] / statistics.median(runs['none']):.2f}")
    if delays:
        ordered = sorted(delays)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
        print(f"\nreservation commit -> shop sees the figure ({len(delays)} of {args.samples} samples): "
              f"p50 {statistics.median(delays) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"(worker log: {log})")


if __name__ == "__main__":
    main()

"""The proof: a real Celery worker on Redis keeps a (fake, stateful) WooCommerce shop's stock
figure right while 500 orders on one SKU arrive concurrently, in far fewer pushes than orders."""

import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.db import connections

from config.celery import channel_queue, worker_queues
from inventory.selectors import available_to_promise_for_skus
from inventory.services import stock_receive
from orders.models import Channel, ChannelConnection, ChannelListing
from orders.services.stock_sync import stock_push_channels_forget

from ..factories import ChannelFactory, LocationFactory, ProductFactory, place_order
from ..processes import REDIS_HOST, REDIS_PORT, database_url, needs_redis, process_stop
from ..webhooks.test_worker_e2e import _forget_connections
from .stock_platform import StockShop

REDIS_DB = 11
ORDERS = 500
THREADS = 5
WAIT_SECONDS = 90
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, needs_redis("for a real Celery worker")]


@pytest.fixture
def shared_redis(settings):
    """Broker and cache on Redis, on names of this test's own: the test process enqueues (no
    in-process tasks) and shares the "push queued" marks with the worker."""
    queue = f"stock-test-{uuid.uuid4().hex[:12]}"
    prefix = f"stock-test-{uuid.uuid4().hex[:8]}"
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}}
    conf = current_app.conf
    saved = {name: conf[name] for name in ("task_always_eager", "broker_url", "task_default_queue")}
    conf.update(task_always_eager=False, broker_url=url, task_default_queue=queue)
    _forget_connections()
    try:
        yield url, queue, prefix
    finally:
        _forget_connections()
        conf.update(saved)
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=2)
        client.delete(queue, channel_queue(queue))
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


@pytest.fixture
def worker(shared_redis, transactional_db):
    url, queue, prefix = shared_redis
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "tests.channels.stock_worker_settings", "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": url, "CELERY_TASK_ALWAYS_EAGER": "false", "OMS_TEST_CELERY_QUEUE": queue,
        "OMS_TEST_CACHE_URL": url, "OMS_TEST_CACHE_PREFIX": prefix,
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-stock-worker-", suffix=".log", delete=False)
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", worker_queues(queue), "--loglevel", "INFO",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process, Path(log.name)
    finally:
        process_stop(process)
        log.close()
        os.unlink(log.name)


@pytest.fixture
def shop():
    server = StockShop({"HOT-1": 501})
    yield server
    server.close()


def test_500_concurrent_orders_on_one_sku_end_with_the_platform_showing_the_final_figure_in_few_pushes(worker, shop):
    process, log = worker
    warehouse = LocationFactory(code="chicago", name="Chicago DC")
    product = ProductFactory(sku="HOT-1")
    stock_receive(sku="HOT-1", location=warehouse.code, quantity=2 * ORDERS, actor="test")
    channel = ChannelFactory(code="woo-de", name="Woo DE", kind=Channel.Kind.WEB, adapter=Channel.Adapter.WOOCOMMERCE)
    ChannelConnection.objects.create(
        channel=channel, woocommerce_url=shop.url, woocommerce_consumer_key="ck_x", woocommerce_consumer_secret="cs_x",
        stock_push_enabled=True, woocommerce_requests_per_second=50,
    )
    stock_push_channels_forget()
    failures = []

    def customer(count: int):
        try:
            for _ in range(count):
                place_order([("HOT-1", 1)], channel="woo-de")
        except Exception as error:  # reported below, with the worker's log
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=customer, args=(ORDERS // THREADS,)) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    [promise] = available_to_promise_for_skus([product], channel="woo-de")
    final = promise.available_to_promise

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and (shop.quantity("HOT-1") != final or ChannelListing.objects.filter(dirty=True).exists()):
        time.sleep(0.2)

    assert final == ORDERS
    assert shop.quantity("HOT-1") == final, (
        f"the shop shows {shop.quantity('HOT-1')}, the OMS {final}; worker alive={process.poll() is None}; log:\n{log.read_text()[-3000:]}"
    )
    assert 1 <= shop.stock_calls <= 50, f"{shop.stock_calls} stock calls for {ORDERS} orders"
    assert ChannelListing.objects.get(product=product).last_pushed_quantity == final

"""End to end with a real Celery worker on Redis: a shipment recorded here is sent, after commit,
by the worker to a WooCommerce replay server on 127.0.0.1."""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import current_app

from config.celery import channel_queue, worker_queues
from orders.models import ChannelConnection, ChannelFulfillmentSync
from orders.services.channel_fulfillment import channel_fulfillment_record

from ..factories import place_order
from ..processes import REDIS_HOST, REDIS_PORT, database_url, needs_redis, process_stop
from ..webhooks.test_worker_e2e import _forget_connections

REDIS_DB = 12
WAIT_SECONDS = 30
ROOT = Path(__file__).resolve().parents[2]
Sync = ChannelFulfillmentSync

pytestmark = [pytest.mark.postgres, needs_redis("for a real Celery worker")]


@pytest.fixture
def worker(transactional_db):
    """A worker on a queue of its own (``fulfil-…``, Redis DB 12); this process enqueues there too."""
    queue = f"fulfil-{uuid.uuid4().hex[:12]}"
    broker = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    conf = current_app.conf
    saved = {name: conf[name] for name in ("task_always_eager", "broker_url", "task_default_queue")}
    conf.update(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    _forget_connections()
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "tests.webhooks.worker_settings", "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker, "CELERY_TASK_ALWAYS_EAGER": "false", "OMS_TEST_CELERY_QUEUE": queue,
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-fulfil-", suffix=".log", delete=False)
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
        _forget_connections()
        conf.update(saved)
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=2).delete(queue, channel_queue(queue))


def settled(sync_id: int) -> Sync | None:
    """The sync once the worker has dealt with it (None if it has not within WAIT_SECONDS)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        sync = Sync.objects.get(pk=sync_id)
        if sync.status != Sync.Status.PENDING:
            return sync
        time.sleep(0.2)
    return None


def test_a_recorded_shipment_is_sent_by_a_real_worker_after_commit(worker, woo_channel, platform, stocked):
    process, log = worker
    ChannelConnection.objects.create(
        channel=woo_channel, woocommerce_url=platform.url, woocommerce_consumer_key="ck_1", woocommerce_consumer_secret="cs_secret_9f",
        push_fulfillments=True,
    )
    stocked("CAP-1", 5)
    order = place_order([("CAP-1", 2)], channel=woo_channel.code, external_id="727")
    platform.play("woocommerce/order_processing", "woocommerce/order_updated_completed", "woocommerce/order_note_created")

    # when a shipment is recorded (it commits: the send goes to Redis, the worker does the rest)
    sync = channel_fulfillment_record(
        order_id=order.pk, action=Sync.Action.SHIP, fulfillment_ref=f"{order.number}-1", actor="test",
        payload={"carrier": "DHL", "tracking_number": "00340434161094042557", "tracking_url": "",
                 "lines": [{"order_line_id": 1, "line_id": "315", "sku": "CAP-1", "name": "Cap", "quantity": 2}], "order_shipped_in_full": True},
    )

    done = settled(sync.pk)
    assert done is not None, f"not sent within {WAIT_SECONDS}s; worker alive={process.poll() is None}; log:\n{log.read_text()[-3000:]}"
    assert (done.status, done.platform_id, done.attempts) == (Sync.Status.SENT, "281", 1)
    assert [(request["method"], request["path"]) for request in platform.requests] == [
        ("GET", "/wp-json/wc/v3/orders/727"), ("PUT", "/wp-json/wc/v3/orders/727"), ("POST", "/wp-json/wc/v3/orders/727/notes"),
    ]

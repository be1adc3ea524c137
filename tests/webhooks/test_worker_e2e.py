"""End to end with a real Celery worker on Redis: an order placed here reaches a local receiver, signed."""

import json
import os
import subprocess
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import kombu.pools
import pytest
import redis
from celery import current_app

from config.celery import channel_queue, worker_queues

from ..factories import place_order
from ..processes import REDIS_HOST, REDIS_PORT, database_url, needs_redis, process_stop
from .conftest import signature_valid

REDIS_DB = 11
WAIT_SECONDS = 30
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, needs_redis("for a real Celery worker")]


@contextmanager
def redis_queue(redis_db: int, prefix: str):
    """The test process enqueues to Redis database ``redis_db``, on a queue of its own named
    ``<prefix>-…``, instead of running tasks in-process; yields ``(broker URL, queue)``."""
    queue = f"{prefix}-{uuid.uuid4().hex[:12]}"
    broker = f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"
    conf = current_app.conf
    saved = {name: conf[name] for name in ("task_always_eager", "broker_url", "task_default_queue")}
    conf.update(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    _forget_connections()  # what earlier tasks built for the in-memory transport and the default queue
    try:
        yield broker, queue
    finally:
        _forget_connections()
        conf.update(saved)
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=redis_db, socket_timeout=2).delete(queue, channel_queue(queue))  # nothing left behind


@pytest.fixture
def redis_broker():
    with redis_queue(REDIS_DB, "oms-test") as broker_and_queue:
        yield broker_and_queue


def _forget_connections():
    # Celery keeps its producer pool and its queue routing (built from the configuration on first use)
    # for the life of the app; both must follow the broker and queue set above.
    if current_app._pool is not None:
        current_app._pool.force_close_all()
    current_app._pool = None
    current_app.__dict__.pop("amqp", None)
    # kombu's own registries of connection and producer pools outlive the app's: a closed pool left
    # there made a later test's eager task (which still takes a producer) fail to acquire one.
    kombu.pools.reset()


@pytest.fixture
def worker(redis_broker, transactional_db):
    broker, queue = redis_broker
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.webhooks.worker_settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "OMS_TEST_CELERY_QUEUE": queue,
        "OMS_WEBHOOK_TIMEOUT_SECONDS": "5",
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
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


def test_an_order_placed_reaches_the_receiver_through_a_real_worker_signed(worker, receiver, subscribe, stocked, monkeypatch):
    process, log = worker
    stocked("SKU-A", 5)
    subscription = subscribe(receiver.url, events=["order.created"])

    def not_here(*args, **kwargs):
        raise AssertionError("the test process sent a webhook itself: tasks ran in-process, not on the worker")

    monkeypatch.setattr("oms.webhooks._post", not_here)

    order = place_order([("SKU-A", 1)])  # commits: its events go to Redis, the worker does the rest

    arrived = receiver.wait_for(1, timeout=WAIT_SECONDS)
    assert arrived, f"no webhook within {WAIT_SECONDS}s; worker alive={process.poll() is None}; log:\n{log.read_text()[-3000:]}"
    request = receiver.requests[0]
    document = json.loads(request["body"])
    assert document["type"] == "order.created" and document["data"]["number"] == order.number
    assert signature_valid(request, subscription.secret)

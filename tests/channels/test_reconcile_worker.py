"""The catch-up beat job on a real Celery worker (Redis), calling a platform on 127.0.0.1: sent twice,
it takes each missed order in once."""

import time

import pytest

from orders.models import ChannelConnection, ChannelReconciliation, Order
from orders.tasks import channels_reconcile_due

from ..processes import needs_redis
from ..webhooks.test_worker_e2e import redis_queue, worker  # noqa: F401  (the worker fixture, on the broker below)

REDIS_DB = 13
WAIT_SECONDS = 60

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), needs_redis("for a real Celery worker")]


@pytest.fixture
def redis_broker():
    """This file's own Redis database and ``recon-`` queues, so parallel runs never take each other's tasks."""
    with redis_queue(REDIS_DB, "recon") as broker_and_queue:
        yield broker_and_queue


def test_the_beat_job_sent_twice_to_a_real_worker_takes_each_missed_order_in_once(worker, woo_channel, platform):  # noqa: F811
    process, log = worker
    ChannelConnection.objects.create(
        channel=woo_channel, woocommerce_url=platform.url, woocommerce_consumer_key="ck_1", woocommerce_consumer_secret="cs_2",
        catch_up_missed_orders=True,
    )
    platform.play("woocommerce/catch_up_orders", "woocommerce/catch_up_orders")

    channels_reconcile_due.delay()
    channels_reconcile_due.delay()  # a second beat: one worker runs the two catch-ups one after the other

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and ChannelReconciliation.objects.exclude(status="running").count() < 2:
        time.sleep(0.2)
    runs = list(ChannelReconciliation.objects.order_by("id"))
    assert [run.status for run in runs] == ["ok", "ok"], f"worker alive={process.poll() is None}; log:\n{log.read_text()[-3000:]}"
    assert [(run.ingested, run.already_present) for run in runs] == [(2, 0), (0, 2)]
    assert sorted(Order.objects.filter(channel=woo_channel).values_list("external_id", flat=True)) == ["9101", "9102"]

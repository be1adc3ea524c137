"""End to end with a real Celery worker on Redis (database 13): an order placed here is confirmed
by e-mail through the worker, to the SMTP server this test runs on localhost."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from config.celery import worker_queues
from portal.models import Notification, NotificationStatus

from ..factories import place_order
from ..processes import database_url, needs_redis, process_stop
from ..webhooks.test_worker_e2e import redis_queue

REDIS_DB = 13
WAIT_SECONDS = 30
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, needs_redis("for a real Celery worker")]


@pytest.fixture
def worker(smtp, transactional_db):
    with redis_queue(REDIS_DB, "oms-notify") as (broker, queue):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.webhooks.worker_settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "OMS_TEST_CELERY_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
        }
        log = tempfile.NamedTemporaryFile(prefix="celery-notify-worker-", suffix=".log", delete=False)
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


def test_an_order_placed_is_confirmed_by_e_mail_through_a_real_worker(worker, smtp, stocked, monkeypatch):
    process, log = worker
    stocked("SKU-A", 5)

    def not_here(*args, **kwargs):
        raise AssertionError("the test process sent the e-mail itself: tasks ran in-process, not on the worker")

    monkeypatch.setattr("portal.notifications.delivery._email_send", not_here)

    order = place_order([("SKU-A", 1)])  # commits: its events go to Redis, the worker does the rest

    arrived = smtp.wait_for(1, timeout=WAIT_SECONDS)
    assert arrived, f"no e-mail within {WAIT_SECONDS}s; worker alive={process.poll() is None}; log:\n{log.read_text()[-3000:]}"
    message = smtp.messages[0]
    assert order.number in message["Subject"] and message["To"] == "buyer@example.com"
    for _ in range(100):  # the worker records "sent" just after the server answered
        log_row = Notification.objects.get()
        if log_row.status == NotificationStatus.SENT:
            break
        time.sleep(0.1)
    assert log_row.status == NotificationStatus.SENT and log_row.provider_message_id == message["Message-ID"]

"""Two workers with the same delivery: one conditional UPDATE decides who sends it; the other sends nothing."""

import threading

import pytest
from django.db import connection

from oms import events
from oms.models import WebhookAttempt, WebhookDelivery
from oms.webhooks import webhook_deliver_now

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_claiming_the_same_delivery_send_it_once(receiver, subscribe):
    event = events.event_record("test.ping", {"n": 1})  # nobody subscribed yet: nothing is sent for it
    delivery = WebhookDelivery.objects.create(event=event, subscription=subscribe(receiver.url))
    receiver.delay = 0.5  # the winner is still sending while the other worker tries
    start = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            start.wait()
            outcomes.append(webhook_deliver_now(delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(map(str, outcomes)) == ["None", "succeeded"]
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1

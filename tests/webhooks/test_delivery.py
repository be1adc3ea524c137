"""Sending webhooks: signed per Standard Webhooks, retried on a schedule that spans a day, given up after."""

import base64
import json
from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from oms import events
from oms.models import DomainEvent, WebhookAttempt, WebhookDelivery
from oms.webhooks import MAX_ATTEMPTS, RETRY_DELAYS, webhook_deliver_now, webhook_delivery_redeliver, webhooks_sweep

from ..factories import place_order
from .conftest import signature_valid

pytestmark = pytest.mark.django_db


def _record(name="test.ping", payload=None, capture=None):
    with capture(execute=True):
        return events.event_record(name, payload or {"n": 1})


def _make_due(delivery: WebhookDelivery) -> None:
    """Let the clock run to the delivery's next attempt."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_given_a_subscription_when_an_order_is_placed_then_the_receiver_gets_it_signed_with_the_event_id(
    receiver, subscribe, stocked, django_capture_on_commit_callbacks
):
    stocked("SKU-A", 5)
    subscription = subscribe(receiver.url, events=["order.created"])

    with django_capture_on_commit_callbacks(execute=True):
        order = place_order([("SKU-A", 1)])

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    document = json.loads(request["body"])
    event = DomainEvent.objects.get(name="order.created", stream=f"order:{order.pk}")
    assert document["id"] == str(event.uuid) == request["headers"]["webhook-id"]
    assert document["type"] == "order.created"
    assert document["data"]["number"] == order.number
    assert (document["stream"], document["sequence"]) == (f"order:{order.pk}", 1)
    assert datetime.fromisoformat(document["timestamp"]) == event.created_at
    assert abs(int(request["headers"]["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert request["headers"]["content-type"] == "application/json"
    assert signature_valid(request, subscription.secret)
    assert not signature_valid(request, "whsec_" + "A" * 44)  # another secret does not verify
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_a_secret_is_standard_webhooks_form_with_at_least_24_random_bytes(receiver, subscribe):
    first, second = subscribe(receiver.url), subscribe(receiver.url)

    assert first.secret.startswith("whsec_")
    assert len(base64.b64decode(first.secret.removeprefix("whsec_"))) >= 24
    assert first.secret != second.secret


def test_a_receiver_that_keeps_failing_is_retried_on_a_day_long_schedule_then_given_up(
    receiver, subscribe, django_capture_on_commit_callbacks
):
    subscribe(receiver.url)
    receiver.script = [500] * (MAX_ATTEMPTS + 2)

    _record(capture=django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", attempt, 500)
        last_try = WebhookAttempt.objects.filter(delivery=delivery).latest("id")
        waits.append(delivery.next_attempt_at - last_try.started_at)
        assert webhook_deliver_now(delivery.pk) is None  # not due yet: nothing is sent early
        _make_due(delivery)
        assert webhooks_sweep() == 1
    delivery.refresh_from_db()

    assert [round(w.total_seconds() / 10) * 10 for w in waits] == [d.total_seconds() for d in RETRY_DELAYS]
    assert sum(waits, timedelta()) >= timedelta(hours=24)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert len({request["headers"]["webhook-id"] for request in receiver.requests}) == 1
    log = list(WebhookAttempt.objects.filter(delivery=delivery))
    assert [a.status_code for a in log] == [500] * MAX_ATTEMPTS and "receiver says no" in log[0].response_excerpt
    assert webhooks_sweep() == 0  # a dead delivery is not sent again by itself


def test_once_an_attempt_succeeds_nothing_more_is_sent(receiver, subscribe, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    receiver.script = [503]
    _record(capture=django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    _make_due(delivery)

    webhooks_sweep()
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    swept_after_success = webhooks_sweep()

    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2
    assert swept_after_success == 0
    assert [a.status_code for a in WebhookAttempt.objects.all()] == [503, 200]
    assert len(receiver.requests) == 2


@override_settings(OMS_WEBHOOK_TIMEOUT_SECONDS=0.3)
def test_a_receiver_that_does_not_answer_in_time_counts_as_a_failed_attempt(receiver, subscribe, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    receiver.delay = 1.5

    _record(capture=django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    attempt = WebhookAttempt.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.next_attempt_at > timezone.now()
    assert attempt.status_code is None and "timed out" in attempt.error.lower()
    assert attempt.duration_ms < 1400


def test_a_refused_connection_is_a_failed_attempt_and_never_breaks_the_order(
    closed_port_url, subscribe, stocked, django_capture_on_commit_callbacks
):
    stocked("SKU-A", 5)
    subscribe(closed_port_url, events=["order.*"])

    with django_capture_on_commit_callbacks(execute=True):
        order = place_order([("SKU-A", 1)])

    assert order.pk and order.status == "allocated"
    deliveries = list(WebhookDelivery.objects.all())
    assert len(deliveries) == 2  # order.created and order.allocated
    assert all(d.status == "pending" and d.attempts == 1 and d.last_status_code is None for d in deliveries)
    assert all("refused" in d.last_error.lower() for d in deliveries)


def test_a_redirect_is_not_followed_and_counts_as_failed(receiver, subscribe, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    receiver.script = [302]

    _record(capture=django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, len(receiver.requests)) == ("pending", 302, 1)


def test_a_redelivery_is_sent_again_with_the_same_webhook_id(receiver, subscribe, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver.url)
    _record(capture=django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        webhook_delivery_redeliver(delivery_id=delivery.pk, actor="test")

    first, second = receiver.requests
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert first["body"] == second["body"]
    assert signature_valid(second, subscription.secret)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and WebhookAttempt.objects.filter(delivery=delivery).count() == 2


def test_given_a_worker_that_died_holding_a_delivery_when_its_lease_runs_out_then_the_sweep_sends_it_once(
    receiver, subscribe
):
    subscribe(receiver.url)
    event = events.event_record("test.ping", {"n": 1})  # committed but its dispatch is ours to drive
    events.event_dispatch_now(event.pk)  # fan-out; its enqueue waits for a commit that never comes
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(leased_until=timezone.now() + timedelta(seconds=60))

    while_held = webhooks_sweep()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    after_expiry = webhooks_sweep()

    assert (while_held, after_expiry) == (0, 1)
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [str(event.uuid)]
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.leased_until is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "[::1]"])
def test_given_internal_receivers_are_not_allowed_when_a_subscription_names_one_then_nothing_is_sent(
    receiver, subscribe, settings, django_capture_on_commit_callbacks, host
):
    # Subscribed while internal receivers were allowed (or under a name that now resolves inward).
    subscribe(receiver.url.replace("127.0.0.1", host))
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    _record(capture=django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert "private, loopback or reserved" in delivery.last_error
    assert "OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES" in delivery.last_error


def test_given_internal_receivers_are_allowed_when_a_subscription_names_one_then_it_is_sent(receiver, subscribe, settings, django_capture_on_commit_callbacks):
    settings.OMS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    subscribe(receiver.url)

    _record(capture=django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1


def test_deliveries_failing_together_ask_for_one_sweep_at_the_soonest_retry_and_none_held_for_hours(
    receiver, subscribe, django_capture_on_commit_callbacks, monkeypatch
):
    import time

    from django.core.cache import cache

    from oms import tasks, webhooks

    subscribe(receiver.url)
    receiver.script = [500] * 10
    monkeypatch.setattr(webhooks, "_tasks_run_in_process", lambda: False)  # as with a broker
    wakes, held = [], []
    monkeypatch.setattr(tasks.webhooks_sweep, "apply_async", lambda *a, countdown=None, **k: wakes.append(countdown))
    deliver_async = tasks.webhook_deliver.apply_async
    monkeypatch.setattr(tasks.webhook_deliver, "apply_async", lambda *a, countdown=None, **k: held.append(countdown) if countdown else deliver_async(*a, **k))
    cache.delete(webhooks.RETRY_WAKE_KEY)

    for n in range(3):
        _record(payload={"n": n}, capture=django_capture_on_commit_callbacks)

    assert list(WebhookDelivery.objects.values_list("status", "attempts")) == [("pending", 1)] * 3
    assert len(wakes) == 1 and 25 < wakes[0] <= RETRY_DELAYS[0].total_seconds() and held == []
    webhooks.retries_wake()  # asked for already, and no retry comes sooner
    assert len(wakes) == 1

    WebhookDelivery.objects.update(next_attempt_at=timezone.now() + timedelta(hours=2))
    cache.set(webhooks.RETRY_WAKE_KEY, time.time() - 1)  # that sweep has run
    webhooks.retries_wake()
    assert len(wakes) == 1  # two hours away: the minute sweep sends it, the broker holds nothing

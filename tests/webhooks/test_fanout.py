"""Fan-out: an event reaches every active subscription that wants it, once, and only after commit."""

import pytest
from django.db import transaction

from oms import events
from oms.models import DomainEvent, WebhookDelivery
from oms.webhooks import webhook_deliver_now, webhook_fan_out, webhook_subscription_update, webhook_wants

from ..factories import place_order
from .conftest import integration_make

pytestmark = pytest.mark.django_db


def test_a_rolled_back_transaction_leaves_no_event_no_delivery_and_sends_nothing(
    receiver, subscribe, stocked, django_capture_on_commit_callbacks
):
    stocked("SKU-A", 5)
    subscribe(receiver.url)
    events_before = DomainEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                place_order([("SKU-A", 1)])
                raise RuntimeError("payment provider said no after all")

    assert DomainEvent.objects.count() == events_before
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_each_subscription_gets_only_the_events_it_asked_for(receiver, subscribe, stocked, django_capture_on_commit_callbacks):
    stocked("SKU-A", 5)
    everything = subscribe(receiver.url, events=["*"])
    order_events = subscribe(receiver.url, events=["order.*"])
    created_only = subscribe(receiver.url, events=["order.created"])
    stock_only = subscribe(receiver.url, events=["stock.available"])

    with django_capture_on_commit_callbacks(execute=True):
        place_order([("SKU-A", 1)])

    got = {s.pk: sorted(WebhookDelivery.objects.filter(subscription=s).values_list("event__name", flat=True))
           for s in (everything, order_events, created_only, stock_only)}
    assert got == {
        everything.pk: ["order.allocated", "order.created"],
        order_events.pk: ["order.allocated", "order.created"],
        created_only.pk: ["order.created"],
        stock_only.pk: [],
    }
    assert len(receiver.requests) == 5


def test_a_switched_off_subscription_or_integration_gets_nothing(receiver, subscribe, django_capture_on_commit_callbacks):
    subscribe(receiver.url, is_active=False)
    subscribe(receiver.url, integration=integration_make(is_active=False))

    with django_capture_on_commit_callbacks(execute=True):
        event = events.event_record("test.ping", {"n": 1})

    assert not WebhookDelivery.objects.exists() and receiver.requests == []
    # Nobody wants it, so the outbox has nothing left to do with it either.
    assert DomainEvent.objects.get(pk=event.pk).dispatched_at is not None


def test_a_subscription_switched_off_after_the_event_is_not_sent_to(receiver, subscribe):
    subscription = subscribe(receiver.url)
    event = events.event_record("test.ping", {"n": 1})
    events.event_dispatch_now(event.pk)  # owed, not yet sent
    webhook_subscription_update(subscription_id=subscription.pk, is_active=False, actor="test")

    status = webhook_deliver_now(WebhookDelivery.objects.get().pk)

    assert status == "failed" and receiver.requests == []
    assert "switched off" in WebhookDelivery.objects.get().last_error


def test_dispatching_an_event_twice_creates_no_second_delivery(receiver, subscribe):
    subscribe(receiver.url)
    subscribe(receiver.url)
    event = events.event_record("test.ping", {"n": 1})

    first = webhook_fan_out(event)
    second = webhook_fan_out(event)

    assert len(first) == 2 and second == []
    assert WebhookDelivery.objects.filter(event=event).count() == 2


def test_with_nobody_subscribed_recording_events_costs_no_query_for_webhooks(django_assert_num_queries):
    webhook_wants("order.created")  # the first look in this process fetches the list

    with django_assert_num_queries(0):
        wanted = [webhook_wants("order.created") for _ in range(100)]

    assert not any(wanted)


def test_a_new_subscription_is_wanted_at_once_in_the_process_that_made_it(receiver, subscribe):
    assert not webhook_wants("order.shipped")

    subscription = subscribe(receiver.url, events=["order.shipped"])
    wanted_after_create = webhook_wants("order.shipped")
    webhook_subscription_update(subscription_id=subscription.pk, events=["order.cancelled"], actor="test")

    assert wanted_after_create
    assert not webhook_wants("order.shipped") and webhook_wants("order.cancelled")

"""The outbox: events are recorded with their change and reach subscribers only after commit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oms import events
from oms.models import DomainEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener():
    seen = []

    def handler(event):
        seen.append(event.payload["n"])

    events.subscribe("test.happened", handler)
    yield seen
    events._subscribers["test.happened"].remove(handler)


def test_given_a_subscriber_when_the_transaction_commits_then_it_receives_the_event_once(listener, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = events.event_record("test.happened", {"n": 1})
        assert listener == []  # nothing before commit

    assert listener == [1]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    events.event_dispatch_now(event.pk)  # a second delivery attempt is a no-op
    assert listener == [1]


def test_when_nobody_listens_then_the_event_is_recorded_as_already_dispatched():
    event = events.event_record("test.unheard", {"n": 2})

    assert DomainEvent.objects.get(pk=event.pk).dispatched_at is not None


def test_given_a_failing_subscriber_then_the_event_stays_undispatched_with_its_error():
    def broken(event):
        raise RuntimeError("mail server down")

    events.subscribe("test.fragile", broken)
    try:
        event = events.event_record("test.fragile", {"n": 3})
        with pytest.raises(RuntimeError):
            events.event_dispatch_now(event.pk)
    finally:
        events._subscribers["test.fragile"].remove(broken)

    event.refresh_from_db()
    assert event.dispatched_at is None
    assert event.attempts == 1
    assert "mail server down" in event.last_error


def test_given_an_event_whose_dispatch_was_lost_when_the_sweep_runs_then_it_is_delivered(listener):
    lost = DomainEvent.objects.create(name="test.happened", payload={"n": 4}, created_at=timezone.now() - timedelta(minutes=5))

    swept = events.events_sweep()

    assert swept == 1
    assert listener == [4]
    lost.refresh_from_db()
    assert lost.dispatched_at is not None

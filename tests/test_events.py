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


@pytest.fixture
def with_broker(monkeypatch):
    """The web side as with a broker: commits ask for a drain instead of dispatching in-process;
    the drains asked for are recorded, not sent."""
    from celery import current_app

    from oms import tasks

    asked = []
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.events_drain, "delay", lambda: asked.append(1))
    from django.core.cache import cache

    cache.delete(events.DRAIN_ASKED_KEY)
    yield asked
    cache.delete(events.DRAIN_ASKED_KEY)


def test_given_a_broker_when_events_commit_together_then_one_drain_is_asked_for_and_it_dispatches_them_in_order(
        listener, with_broker, django_capture_on_commit_callbacks):
    for n in (1, 2, 3):
        with django_capture_on_commit_callbacks(execute=True):
            events.event_record("test.happened", {"n": n})

    assert with_broker == [1]  # three commits within the ask interval: one drain
    assert listener == []  # nothing dispatched in the request

    handled = events.events_drain_now(linger=0)

    assert handled == 3
    assert listener == [1, 2, 3]
    assert not DomainEvent.objects.filter(name="test.happened", dispatched_at__isnull=True).exists()
    assert set(DomainEvent.objects.filter(name="test.happened").values_list("attempts", flat=True)) == {1}


def test_given_a_broker_when_the_ask_interval_has_passed_then_the_next_commit_asks_again(listener, with_broker,
                                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        events.event_record("test.happened", {"n": 1})
    from django.core.cache import cache

    cache.delete(events.DRAIN_ASKED_KEY)  # as if the interval had passed
    with django_capture_on_commit_callbacks(execute=True):
        events.event_record("test.happened", {"n": 2})

    assert with_broker == [1, 1]


def test_a_drain_looks_again_for_its_linger_so_an_event_committed_after_the_ask_is_not_left(listener, monkeypatch):
    from oms import tasks

    looks = []

    def again(kwargs, countdown):  # the drain's next look, a task with a countdown: run it here
        looks.append(countdown)
        if len(looks) == 1:  # meanwhile a request commits an event it did not ask for
            events.event_record("test.happened", {"n": 2})
        events.events_drain_now(**kwargs, linger=60 if len(looks) < 3 else 0)

    monkeypatch.setattr(tasks.events_drain, "apply_async", again)
    events.event_record("test.happened", {"n": 1})

    events.events_drain_now(linger=60)

    assert listener == [1, 2]
    assert looks == [events.DRAIN_POLL_SECONDS] * 3  # it looked again until the linger had passed, never blocking


def test_a_drain_skips_an_event_already_claimed_and_a_failing_subscriber_does_not_stop_it(listener):
    def broken(event):
        raise RuntimeError("receiver down")

    events.subscribe("test.fragile", broken)
    try:
        fragile = events.event_record("test.fragile", {"n": 0})
        claimed = events.event_record("test.happened", {"n": 1})
        DomainEvent.objects.filter(pk=claimed.pk).update(attempts=1)  # another drain has it
        events.event_record("test.happened", {"n": 2})

        handled = events.events_drain_now(linger=0)
    finally:
        events._subscribers["test.fragile"].remove(broken)

    assert handled == 2  # the failing one and n=2; n=1 belongs to the other drain
    assert listener == [2]
    fragile.refresh_from_db()
    assert fragile.dispatched_at is None and fragile.attempts == 1 and "receiver down" in fragile.last_error
    assert events.DRAIN_LINGER_SECONDS > events.DRAIN_ASK_SECONDS


def test_a_drain_past_its_slice_goes_on_as_a_new_task_at_the_back_of_the_queue(listener, monkeypatch):
    from oms import tasks

    queued = []
    monkeypatch.setattr(tasks.events_drain, "apply_async", lambda kwargs, countdown: queued.append((kwargs, countdown)))
    for n in range(events.DRAIN_BATCH + 1):
        events.event_record("test.happened", {"n": n})

    events.events_drain_now(linger=0, slice_seconds=0)  # the slice ends after the first batch

    assert listener == list(range(events.DRAIN_BATCH))
    assert len(queued) == 1 and queued[0][1] == 0  # the rest next, behind whatever else waits
    events.events_drain_now(**queued[0][0], linger=0)
    assert listener == list(range(events.DRAIN_BATCH + 1))


def test_only_the_newest_drain_goes_on_so_drains_do_not_pile_up_under_steady_load(listener, monkeypatch):
    from oms import tasks

    queued = []
    monkeypatch.setattr(tasks.events_drain, "apply_async", lambda kwargs, countdown: queued.append(kwargs))
    events.event_record("test.happened", {"n": 1})
    events.events_drain_now(linger=60)  # the first drain, lingering
    older = queued.pop()

    events.event_record("test.happened", {"n": 2})
    events.events_drain_now(linger=60)  # a commit asked for another: it is the newest now
    newer = queued.pop()

    assert events.events_drain_now(**older, linger=60) == 0 and queued == []  # the older one stops
    events.event_record("test.happened", {"n": 3})
    assert events.events_drain_now(**newer, linger=60) == 1 and len(queued) == 1  # the newer goes on
    assert listener == [1, 2, 3]

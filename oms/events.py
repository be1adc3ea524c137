"""Domain events: recorded with the change that caused them, dispatched after commit.

Services call :func:`event_record` inside their transaction. After commit the event is handed
to a Celery task (in-process when no broker is configured) that calls every subscriber
registered for its name. Subscribers register in ``AppConfig.ready()`` with :func:`subscribe`
and must be safe to run twice: the outbox sweep re-dispatches events whose dispatch was lost.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from .db import rows_insert
from .models import DomainEvent

logger = logging.getLogger(__name__)

_subscribers: dict[str, list[Callable[[DomainEvent], None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[[DomainEvent], None]) -> None:
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def subscribers_for(name: str) -> list[Callable[[DomainEvent], None]]:
    return list(_subscribers.get(name, ()))


def event_record(name: str, payload: dict) -> DomainEvent:
    """Record an event in the current transaction; dispatch it once that transaction commits."""
    listened = bool(_subscribers.get(name))
    # Every process registers the same subscribers (AppConfig.ready), so an event nobody listens
    # to has nothing left to do: it is recorded as dispatched and the sweep never sees it.
    (event,) = rows_insert([DomainEvent(name=name, payload=payload, dispatched_at=None if listened else timezone.now())])
    if listened:
        transaction.on_commit(lambda: _enqueue(event.pk), robust=True)
    return event


def _enqueue(event_id: int) -> None:
    from .tasks import event_dispatch

    event_dispatch.delay(event_id)


def event_dispatch_now(event_id: int) -> None:
    """Hand one event to its subscribers and mark it dispatched. Safe to call twice."""
    event = DomainEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).first()
    if event is None:
        return
    handlers = subscribers_for(event.name)
    try:
        for handler in handlers:
            handler(event)
    except Exception as exc:
        DomainEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + 1, last_error=repr(exc)[:2000])
        logger.exception("subscriber failed for %s", event)
        raise
    DomainEvent.objects.filter(pk=event.pk).update(dispatched_at=timezone.now(), attempts=event.attempts + 1, last_error="")


def events_sweep(*, older_than_seconds: int = 30, limit: int = 500) -> int:
    """Re-dispatch events that committed but were never dispatched. Returns how many."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    pending = list(
        DomainEvent.objects.filter(dispatched_at__isnull=True, created_at__lt=cutoff, attempts__lt=10)
        .order_by("id")
        .values_list("id", "name")[:limit]
    )
    orphaned = [event_id for event_id, name in pending if not subscribers_for(name)]
    DomainEvent.objects.filter(pk__in=orphaned).update(dispatched_at=timezone.now())
    for event_id, name in pending:
        if event_id not in orphaned:
            _enqueue(event_id)
    return len(pending)

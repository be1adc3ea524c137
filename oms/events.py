"""Domain events: recorded with the change that caused them, dispatched after commit.

Services call :func:`event_record` inside their transaction. After commit the event is handed
to a worker that calls every subscriber registered for its name. Subscribers register in
``AppConfig.ready()`` with :func:`subscribe` and must be safe to run twice: the outbox sweep
re-dispatches events whose dispatch was lost.

With a broker, a commit does not send a task per event (a broker publish costs the request
about 0.4 ms of CPU, the largest single cost intake gained in a year): it asks for a *drain*
(``oms.tasks.events_drain``) unless one was asked for in the last ``DRAIN_ASK_SECONDS`` (a
cache ``add``: with the shared cache of production, about one drain a second for all web
processes together; with a cache per process, one per process). A drain
dispatches every event never tried yet, in id order, claiming each first (``attempts`` 0 to 1,
so two drains never run one event's subscribers twice), and keeps looking until the outbox has
had nothing new for ``DRAIN_LINGER_SECONDS`` (looking again every ``DRAIN_POLL_SECONDS`` as a
task with a countdown, so a worker is free in between). The linger is longer than the ask interval, so an
event committed just after a process asked is still seen by the drain it asked for (which
starts after the ask and stops only after an empty look at least a linger later), whether or
not the cache is shared. A drain works in slices of ``DRAIN_SLICE_SECONDS``, each a task at the back of
the queue, so a burst of events never keeps a worker's other tasks waiting. Only the newest drain
goes on (its name in the cache the workers share): its linger covers every earlier ask, so
drains do not pile up under steady load.
An event whose subscriber failed keeps its error and is retried by the sweep (one task each).
Without a broker (development, tests) each event is dispatched in-process at commit, as before.
"""

import functools
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from .db import rows_insert
from .models import DomainEvent

logger = logging.getLogger(__name__)

_subscribers: dict[str, list[Callable[[DomainEvent], None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[[DomainEvent], None]) -> None:
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def subscribers_for(name: str) -> list[Callable[[DomainEvent], None]]:
    return list(_subscribers.get(name, ())) + [handler for wants, handler in _catch_all_handlers if wants(name)]


def event_record(name: str, payload: dict, *, stream: str = "") -> DomainEvent:
    """Record an event in the current transaction; dispatch it once that transaction commits.

    ``stream`` names what the event is about (``order:42``); such events are numbered 1, 2, 3...
    per stream. The caller must hold a lock on that subject (services lock the order row), so
    two transactions never number the same stream at once.
    """
    return events_record([(name, payload)], stream=stream)[0]


def events_record(events: list[tuple[str, dict]], *, stream: str = "", new_stream: bool = False) -> list[DomainEvent]:
    """Several events of one subject in one statement, numbered in the order given.

    ``new_stream``: the subject was created in this transaction, so its numbering starts at 1
    without a look-up (order intake).
    """
    rows = []
    first = (1 if new_stream else _next_sequence(stream)) if stream else None
    for offset, (name, payload) in enumerate(events):
        listened = is_listened(name)
        # Every process registers the same subscribers (AppConfig.ready), so an event nobody
        # listens to has nothing left to do: it is recorded as dispatched and the sweep never sees it.
        rows.append(
            DomainEvent(
                name=name, payload=payload, stream=stream, sequence=None if first is None else first + offset,
                dispatched_at=None if listened else timezone.now(),
            )
        )
    rows_insert(rows)
    for event in rows:
        if event.dispatched_at is None:
            # The id is read at commit: inside a pipeline (oms.db.statements_pipelined) it is set later.
            transaction.on_commit(functools.partial(_event_enqueue, event), robust=True)
    return rows


def _event_enqueue(event: DomainEvent) -> None:
    _enqueue(event.pk)


def is_listened(name: str) -> bool:
    """Whether an event of this name has anything to do after commit (a subscriber, or a
    catch-all subscriber such as webhook fan-out that says it wants it)."""
    if _subscribers.get(name):
        return True
    return any(wants(name) for wants in _catch_all)


# Predicates of subscribers that take events by a rule rather than by name (webhooks: any event
# some subscription asks for). Registered with :func:`subscribe_matching`.
_catch_all: list[Callable[[str], bool]] = []
_catch_all_handlers: list[tuple[Callable[[str], bool], Callable[[DomainEvent], None]]] = []


def subscribe_matching(wants: Callable[[str], bool], handler: Callable[[DomainEvent], None]) -> None:
    """Subscribe ``handler`` to every event whose name ``wants`` accepts (checked at record time)."""
    if all(h is not handler for _, h in _catch_all_handlers):
        _catch_all.append(wants)
        _catch_all_handlers.append((wants, handler))


def _next_sequence(stream: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(_SEQUENCE_SQL, [stream])
        return cursor.fetchone()[0]


_SEQUENCE_SQL = "SELECT COALESCE(MAX(sequence), 0) + 1 FROM oms_domainevent WHERE stream = %s AND sequence IS NOT NULL"


DRAIN_ASKED_KEY = "oms:events:drain-asked"
DRAIN_CHAIN_KEY = "oms:events:drain-newest"
DRAIN_ASK_SECONDS = 1  # whole seconds: cache back-ends may round a timeout
DRAIN_LINGER_SECONDS = 1.5  # must exceed DRAIN_ASK_SECONDS (module docstring)
DRAIN_POLL_SECONDS = 0.25
DRAIN_BATCH = 50
DRAIN_SLICE_SECONDS = 0.5


def _enqueue(event_id: int) -> None:
    from celery import current_app

    from .tasks import event_dispatch, events_drain

    if current_app.conf.task_always_eager:
        event_dispatch.delay(event_id)
        return
    if cache.add(DRAIN_ASKED_KEY, 1, timeout=DRAIN_ASK_SECONDS):
        events_drain.delay()
    # else: a drain was asked for less than DRAIN_ASK_SECONDS ago; it sees this event (module docstring)


def _subscribers_run(event: DomainEvent) -> None:
    for handler in subscribers_for(event.name):
        handler(event)


def event_dispatch_now(event_id: int) -> None:
    """Hand one event to its subscribers and mark it dispatched. Safe to call twice."""
    event = DomainEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).first()
    if event is None:
        return
    try:
        _subscribers_run(event)
    except Exception as exc:
        DomainEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + 1, last_error=repr(exc)[:2000])
        logger.exception("subscriber failed for %s", event)
        raise
    DomainEvent.objects.filter(pk=event.pk).update(dispatched_at=timezone.now(), attempts=event.attempts + 1, last_error="")


def _claimed_dispatch(event: DomainEvent) -> bool:
    """Dispatch an event never tried yet (read by the drain) if this caller claims it first; a
    failure is recorded on the event (the sweep retries it) and does not stop the drain."""
    if not DomainEvent.objects.filter(pk=event.pk, dispatched_at__isnull=True, attempts=0).update(attempts=1):
        return False  # another drain, or the sweep, has it
    try:
        _subscribers_run(event)
    except Exception as exc:
        DomainEvent.objects.filter(pk=event.pk).update(last_error=repr(exc)[:2000])
        logger.exception("subscriber failed for %s", event)
        return True
    DomainEvent.objects.filter(pk=event.pk).update(dispatched_at=timezone.now(), last_error="")
    return True


def events_drain_now(*, chain: str | None = None, last_found: float | None = None, linger: float = DRAIN_LINGER_SECONDS,
                     slice_seconds: float = DRAIN_SLICE_SECONDS) -> int:
    """Dispatch the events never tried yet, oldest first; returns how many this call dispatched
    (or tried). A drain works in slices: after ``slice_seconds`` it goes on as a new task at the
    back of the queue, so the other tasks (a stock push, a label) are not kept waiting behind a
    burst of events; while nothing new has come for less than ``linger`` seconds it looks again
    ``DRAIN_POLL_SECONDS`` later, also as a new task, so a lingering drain never holds a worker.
    Only the newest drain goes on (``chain``: its name, kept in the cache the workers share): a
    newer one looks at least as long as it would have, so under steady load about one drain runs,
    not one more a second. ``last_found``: wall-clock time of the drain's last find."""
    from .tasks import events_drain

    if chain is None:  # a drain asked for by a commit: from now on the newest
        chain = uuid.uuid4().hex
        cache.set(DRAIN_CHAIN_KEY, chain, timeout=None)
    elif cache.get(DRAIN_CHAIN_KEY) not in (chain, None):
        return 0  # a newer drain has taken over and lingers past every ask this one answered
    last = time.time() if last_found is None else last_found
    began = time.monotonic()
    handled = 0
    while waiting := list(DomainEvent.objects.filter(dispatched_at__isnull=True, attempts=0).order_by("id")[:DRAIN_BATCH]):
        handled += sum(_claimed_dispatch(event) for event in waiting)
        last = time.time()
        if time.monotonic() - began >= slice_seconds:
            events_drain.apply_async(kwargs={"chain": chain, "last_found": last}, countdown=0)
            return handled
    if time.time() - last < linger:
        events_drain.apply_async(kwargs={"chain": chain, "last_found": last}, countdown=DRAIN_POLL_SECONDS)
    return handled


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
    from .tasks import event_dispatch

    for event_id, name in pending:
        if event_id not in orphaned:
            event_dispatch.delay(event_id)  # one task each: these were lost or failed before
    return len(pending)

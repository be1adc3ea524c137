"""The work queues of the console's home: what waits for someone, how much and since when.

Apps above the kernel register their queues in ``AppConfig.ready()`` with
:func:`work_queues_register`: a list of :class:`WorkQueue` (what each queue is and who works it)
and a counter that measures the queues asked for, in a fixed number of aggregate queries
whatever the number of orders. The kernel decides, from the user's permissions, which queues the
home shows and asks each app only for those (see ``oms.admin_site``).
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class WorkQueue:
    """One queue of work. A user works it who holds every permission in ``act``; a user who works
    no queue at all (Accounting) sees, read-only, the queues whose ``view`` permission they hold."""

    key: str
    title: str
    act: tuple[str, ...]
    view: str
    # Where it sits on the home, in the order the work flows (release, allocate, pick, pack, ship...).
    position: int
    # What the age of the oldest item measures, e.g. "oldest hold" or "most overdue".
    age_label: str = "oldest"
    help: str = ""


@dataclass(frozen=True)
class Link:
    """A changelist showing exactly the items counted: ``model`` as "app_label.model_name",
    the query string's filters, and the field to sort on, oldest first (if the list can)."""

    model: str
    filters: dict[str, str] = field(default_factory=dict)
    oldest_first: str | None = None


@dataclass(frozen=True)
class QueueRow:
    """A part of a queue (one hold reason, one location) with its own count and link."""

    label: str
    count: int
    oldest: datetime | date | None
    link: Link


@dataclass(frozen=True)
class QueueFigures:
    count: int
    oldest: datetime | date | None
    link: Link
    rows: tuple[QueueRow, ...] = ()


# Given the keys wanted and today's date: the figures of each of those queues.
QueueCounter = Callable[[frozenset[str], date], dict[str, QueueFigures]]

_sources: list[tuple[tuple[WorkQueue, ...], QueueCounter]] = []


def work_queues_register(queues: Collection[WorkQueue], counter: QueueCounter) -> None:
    """Register an app's queues and their counter (idempotent: a second registration of the same
    keys replaces the first, as a re-run ``ready()`` would)."""
    keys = {queue.key for queue in queues}
    _sources[:] = [source for source in _sources if not keys & {queue.key for queue in source[0]}]
    _sources.append((tuple(queues), counter))


@dataclass(frozen=True)
class QueueShown:
    queue: WorkQueue
    figures: QueueFigures
    read_only: bool


def work_queues_for(user, today: date) -> list[QueueShown]:
    """The queues ``user`` works (or, if none, may see read-only), measured, in work order.
    One counter call per app that has a queue to show; none for the others."""
    worked = {queue.key for queues, _ in _sources for queue in queues if all(user.has_perm(p) for p in queue.act)}
    read_only = not worked
    shown = worked or {queue.key for queues, _ in _sources for queue in queues if user.has_perm(queue.view)}
    result = []
    for queues, counter in _sources:
        keys = frozenset(queue.key for queue in queues if queue.key in shown)
        if not keys:
            continue
        figures = counter(keys, today)
        result += [QueueShown(queue, figures[queue.key], read_only) for queue in queues if queue.key in keys]
    return sorted(result, key=lambda shown_queue: shown_queue.queue.position)

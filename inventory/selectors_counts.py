"""Reads of cycle counts, with the prefetching that keeps query counts constant, and the one rule
of who may see an expected quantity (blind counting)."""

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet

from oms.errors import NotFound

from .models_counts import OPEN_LINE_STATUSES, CycleCount, CycleCountEvent, CycleCountLine, CycleCountLineStatus

# A line's expected quantity (and what betrays it: variance, correction, the first count of a
# recounted line) is shown only once the line is counted, and only to those who approve counts.
REVEALABLE = (CycleCountLineStatus.AWAITING_APPROVAL, CycleCountLineStatus.POSTED)


def expected_visible(line: CycleCountLine, *, approver: bool) -> bool:
    return approver and line.status in REVEALABLE


def count_event_shown(event: CycleCountEvent, *, approver: bool) -> tuple[str, str]:
    """What a count's timeline shows of one event: its message and its figures ("counted 17 ·
    expected 17"). An event about a line keeps the blind rule of :func:`expected_visible`: while
    the line's figures are hidden from this person, so are the event's, and its message is reduced
    to the SKU and what happened (an approval's or posting's message names the variance)."""
    figures = " · ".join(f"{name.replace('_', ' ')} {_figure(value)}" for name, value in sorted(event.data.items()))
    if event.line_id is None or expected_visible(event.line, approver=approver):
        return event.message, figures
    return f"{event.line.product.sku}: {event.kind.replace('_', ' ')}", ""


def _figure(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def cycle_counts_listing(*, location: str | None = None, day: datetime.date | None = None, status: str | None = None) -> QuerySet:
    """Counts newest day first, with their location and line tallies: two queries a page."""
    counts = CycleCount.objects.select_related("location").annotate(
        lines_total=Count("lines"), lines_open=Count("lines", filter=Q(lines__status__in=OPEN_LINE_STATUSES)),
    )
    if location:
        counts = counts.filter(location__code=location)
    if day:
        counts = counts.filter(scheduled_for=day)
    if status:
        counts = counts.filter(status=status)
    return counts.order_by("-scheduled_for", "location__code", "pk")


def cycle_count_with_lines(count_id: int) -> CycleCount:
    """One count with its lines in pick-path order, their products and bins: two queries."""
    lines = CycleCountLine.objects.select_related("product", "bin").order_by("sequence")
    count = (cycle_counts_listing().prefetch_related(Prefetch("lines", queryset=lines, to_attr="ordered_lines"))
             .filter(pk=count_id).first())
    if count is None:
        raise NotFound(f"No cycle count with id {count_id}.", code="unknown_cycle_count")
    return count

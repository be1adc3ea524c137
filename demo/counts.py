"""ABC classes and cycle counts in the demo, through the inventory services: the products classed
by what the seeded orders shipped, and three counts at the first warehouse: one done within
tolerance, one whose variance a recount cleared, one waiting for the manager's approval."""

import datetime

from django.utils import timezone

from inventory.abc import abc_classify
from inventory.counts import LineCount, cycle_count_plan, cycle_count_submit
from inventory.models import AbcRun, CycleCount, CycleCountLine, Location, StockLevel

from .report import DemoReport


def _truth(count: CycleCount) -> list[tuple[CycleCountLine, int]]:
    """Each open line with what is really on the shelf (the demo knows: the stock as booked)."""
    lines = list(CycleCountLine.objects.filter(count=count).select_related("product").order_by("sequence"))
    on_hand = dict(StockLevel.objects.filter(location_id=count.location_id, product_id__in=[line.product_id for line in lines])
                   .values_list("product_id", "on_hand"))
    return [(line, on_hand.get(line.product_id, 0)) for line in lines]


def _count(count: CycleCount, counter, *, first_off: int = 0, second_off: int | None = None, slip: int = 0) -> None:
    """Count every line right, except the first: off by ``first_off``, then on the recount by
    ``second_off`` (None: no recount needed or asked); and a C line off by ``slip`` (within its
    tolerance: the correction posts at once)."""
    truth = _truth(count)
    slipped = next((line.pk for line, _ in truth[1:] if line.abc_class == "C"), None)

    def counted(n: int, line: CycleCountLine, on_hand: int) -> int:
        return max(on_hand + (first_off if n == 0 else 0) + (slip if line.pk == slipped else 0), 0)

    entries = [LineCount(line.pk, counted(n, line, on_hand)) for n, (line, on_hand) in enumerate(truth)]
    cycle_count_submit(count_id=count.pk, entries=entries, actor=counter)
    if second_off is not None and truth:
        line, on_hand = truth[0]
        cycle_count_submit(count_id=count.pk, entries=[LineCount(line.pk, max(on_hand + second_off, 0))], actor=counter)


def cycle_counts_seed(report: DemoReport, users: dict) -> None:
    """Idempotent: a second run finds the classes and counts recorded and adds nothing."""
    if not AbcRun.objects.exists():
        abc_classify(actor=users["manager"])
        report.created["ABC classifications"] += 1
    if CycleCount.objects.exists():
        return
    location = Location.objects.filter(kind=Location.Kind.WAREHOUSE, is_active=True).order_by("priority", "code").first()
    if location is None:
        return
    today = timezone.localdate()
    counter = users["warehouse"]
    # Two days ago: everything as booked but one C-sized slip of a unit, posted within tolerance.
    # Yesterday: a first count 5 short, the recount right: nothing to correct.
    # Today: 3 short twice: beyond tolerance, waiting for the manager.
    for days_ago, first_off, second_off, slip in ((2, 0, None, 1), (1, -5, 0, 0), (0, -3, -3, 0)):
        count = cycle_count_plan(location=location.code, day=today - datetime.timedelta(days=days_ago), actor="job:cycle_counts_plan")
        if count is None:
            continue
        _count(count, counter, first_off=first_off, second_off=second_off, slip=slip)
        report.created["cycle counts"] += 1

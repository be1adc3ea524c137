"""Cycle counts: planning each location's day, blind counting, recounts, approval and posting.

**Snapshots, precisely.** A line is *started* by its first scan, or, when counted by form without
scanning, at the moment its count is entered. Starting it locks the product's stock rows (as
every stock service does) and records ``expected`` = on hand there and ``snapshot_at`` = the time,
read while the lock is held: every ledger row committed before has an earlier ``created_at`` and
every later one (it waits for the lock) a later one. A count typed in later from a paper sheet may
say when it was counted (``counted_at``): the snapshot is then on hand now less the on-hand
movements booked there since (``inventory.services._on_hand_since``), i.e. on hand at that time.

The counted figure is compared with ``expected``; the correction posted is ``counted - expected``,
added to on hand *as it is when posting*. It is posted by ``stock_snapshot_apply`` with
``counted_at = snapshot_at``: that service adds the movements booked since the snapshot to the
count, so a pick or a receipt made between the snapshot and the posting (hours later, after a
recount and an approval) stays in on hand. The ledger row is a ``count_correction`` whose
reference is the count's number (``CC-000012``).

**Tolerance.** ``OMS_COUNT_TOLERANCE`` per ABC class: within when |counted - expected| is at most
``units``, or at most ``percent`` of expected. Within: the correction posts at once (no approval;
small differences are the cost of counting, and the KPI still sees them). Beyond on the first
count: the line goes to a second blind count (a fresh snapshot). Within on the recount: posts.
Beyond again: it waits for a manager (``inventory.approve_cyclecount``), who approves (posts the
recount's correction) or asks for yet another count.
"""

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from oms.actors import Actor, actor_fields
from oms.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from oms.events import event_record

from .abc import CLASSES, count_frequency_days, count_tolerances, setting_whole
from .models import Bin, Location, StockLevel
from .models_counts import OPEN_LINE_STATUSES, CycleCount, CycleCountEvent, CycleCountLine, CycleCountLineStatus, CycleCountStatus
from .services import MAX_MOVEMENT_QUANTITY, _on_hand_since, location_get, stock_levels_lock, stock_snapshot_apply

EVENT_NAMES = (
    "cycle_count.planned", "cycle_count.started", "cycle_count.recount_requested", "cycle_count.awaiting_approval",
    "cycle_count.approved", "cycle_count.completed", "cycle_count.cancelled",
)
FINISHED_COUNT = (CycleCountStatus.DONE, CycleCountStatus.CANCELLED)


# --- planning ------------------------------------------------------------------------------------


def natural_key(text: str) -> tuple:
    """``"A-10"`` after ``"A-9"``: runs of digits compare as numbers (bins' labels)."""
    key, number = [], ""
    for char in (text or "").lower() + "\0":
        if char.isdigit():
            number += char
            continue
        if number:
            key.append((0, int(number), ""))
            number = ""
        if char != "\0":
            key.append((1, 0, char))
    return tuple(key)


def pick_path_key(bin_: Bin | None, sku: str) -> tuple:
    """Where a stock level lies on the walk: the merchant's pick sequence, then zone, aisle, shelf,
    position and code read naturally; levels without a bin come last, by SKU."""
    if bin_ is None:
        return (1, (), sku)
    place = tuple(natural_key(part) for part in (bin_.zone, bin_.aisle, bin_.shelf, bin_.position, bin_.code))
    return (0, (bin_.pick_sequence, place), sku)


@dataclass(frozen=True)
class Candidate:
    level: StockLevel
    abc_class: str
    last_counted: datetime.date | None

    def overdue_key(self) -> tuple:
        """Never counted first, then the longest since its last count; ties by product."""
        return (self.last_counted or datetime.date.min, self.level.product_id)


def _daily_quota(population: int, frequency: int) -> int:
    """Lines of a class to count per day so the whole class is counted once per ``frequency`` days."""
    return math.ceil(population / frequency) if population else 0


def count_plan_select(
    candidates: Sequence[Candidate], *, day: datetime.date, frequency: dict[str, int], cap: int, population: dict[str, int] | None = None,
) -> list[Candidate]:
    """The lines to count on ``day``: those due by their class's frequency since their last count,
    at most a level share of each class per day (its ``population``, the class's stock levels at
    the location, over its frequency, rounded up: never-counted C items do not all land on the
    first day), at most ``cap`` in all, most overdue first."""
    if population is None:
        population = defaultdict(int)
        for candidate in candidates:
            population[candidate.abc_class] += 1
    chosen = []
    for name in CLASSES:
        due = sorted(
            (c for c in candidates if c.abc_class == name and (c.last_counted is None or (day - c.last_counted).days >= frequency[name])),
            key=Candidate.overdue_key,
        )
        chosen += due[: _daily_quota(population[name], frequency[name])]
    return sorted(chosen, key=Candidate.overdue_key)[:cap]


def _candidates(location: Location) -> tuple[list[Candidate], dict[str, int]]:
    """Stock levels of active products at the location that hold stock or have a bin, with when
    each was last counted, and how many there are per class; levels already on an unfinished
    count are left out of the first (not of the second). Three queries."""
    levels = list(
        StockLevel.objects.filter(location=location, product__is_active=True).filter(Q(on_hand__gt=0) | Q(bin__isnull=False))
        .select_related("product", "bin").order_by("pk")
    )
    lines = CycleCountLine.objects.filter(count__location=location)
    last = dict(lines.filter(status=CycleCountLineStatus.POSTED).order_by().values("product_id").annotate(at=Max("posted_at"))
                .values_list("product_id", "at"))
    busy = set(lines.filter(status__in=OPEN_LINE_STATUSES).values_list("product_id", flat=True))
    population = defaultdict(int)
    for level in levels:
        population[level.product.abc_class] += 1
    candidates = [
        Candidate(level=level, abc_class=level.product.abc_class,
                  last_counted=timezone.localdate(last[level.product_id]) if level.product_id in last else None)
        for level in levels if level.product_id not in busy
    ]
    return candidates, population


def cycle_count_plan(*, location: str, day: datetime.date, actor: Actor) -> CycleCount | None:
    """Plan ``day``'s count of one location (see :func:`count_plan_select`), lines in pick-path
    order. Guarantees: one planned count per location and day (a second call returns the first,
    even when two race); nothing due plans nothing (None); one transaction."""
    place = location_get(location)
    existing = CycleCount.objects.filter(location=place, scheduled_for=day, planned=True).first()
    if existing is not None:
        return existing
    frequency = count_frequency_days()
    cap = _cap()
    candidates, population = _candidates(place)
    chosen = count_plan_select(candidates, day=day, frequency=frequency, cap=cap, population=population)
    if not chosen:
        return None
    chosen.sort(key=lambda c: pick_path_key(c.level.bin, c.level.product.sku))
    with transaction.atomic():
        created = CycleCount.objects.bulk_create(
            [CycleCount(location=place, scheduled_for=day, planned=True, created_by_label=actor_fields(actor)["actor_label"])],
            ignore_conflicts=True,
        )
        count = CycleCount.objects.select_for_update(no_key=True, of=("self",)).get(location=place, scheduled_for=day, planned=True)
        if created[0].pk is None and count.lines.exists():
            return count  # another process planned it meanwhile
        CycleCountLine.objects.bulk_create([
            CycleCountLine(count=count, product=c.level.product, bin=c.level.bin, sequence=n, abc_class=c.abc_class)
            for n, c in enumerate(chosen, start=1)
        ])
        _audit(count, None, "planned", f"Planned {len(chosen)} line(s) for {day.isoformat()}", actor, {"lines": len(chosen)})
        _event(count, "cycle_count.planned", {"lines": len(chosen)})
    return count


def _cap() -> int:
    return setting_whole(settings.OMS_COUNT_DAILY_CAP, what="OMS_COUNT_DAILY_CAP", minimum=1)


def cycle_counts_plan_day(*, day: datetime.date, actor: Actor) -> list[CycleCount]:
    """Plan ``day``'s counts at every active location (the daily beat job); safe to run twice."""
    counts = []
    for code in Location.objects.filter(is_active=True).order_by("pk").values_list("code", flat=True):
        count = cycle_count_plan(location=code, day=day, actor=actor)
        if count is not None:
            counts.append(count)
    return counts


# --- counting ------------------------------------------------------------------------------------


def _count_lock(count_id: int) -> CycleCount:
    """The count's row only (``OF`` it): its location and products stay free for the ledger's
    foreign-key checks, so picks and receipts never wait on a count."""
    count = CycleCount.objects.select_for_update(no_key=True, of=("self",)).select_related("location").filter(pk=count_id).first()
    if count is None:
        raise NotFound(f"No cycle count with id {count_id}.", code="unknown_cycle_count")
    return count


def _require_counting(count: CycleCount) -> None:
    if count.status in FINISHED_COUNT:
        raise InvalidTransition(f"{count.number} is {count.get_status_display().lower()}; nothing more can be counted on it.")


def _audit(count: CycleCount, line: CycleCountLine | None, kind: str, message: str, actor: Actor, data: dict | None = None) -> None:
    CycleCountEvent.objects.create(count=count, line=line, kind=kind, message=message[:255], data=data or {}, **actor_fields(actor))


def _event(count: CycleCount, name: str, data: dict) -> None:
    event_record(name, {"count": count.number, "id": count.pk, "location": count.location.code,
                        "scheduled_for": count.scheduled_for.isoformat(), **data}, stream=f"cycle_count:{count.pk}")


def _start_count(count: CycleCount, actor: Actor) -> None:
    if count.status == CycleCountStatus.OPEN:
        count.start()
        count.save(update_fields=["status", "started_at"])
        _audit(count, None, "started", "Counting started", actor)
        _event(count, "cycle_count.started", {})


def _snapshot(count: CycleCount, lines: Sequence[CycleCountLine], *, counted_at: datetime.datetime | None = None) -> None:
    """Start the lines not yet started: lock their stock rows and record on hand and the time
    (or, with ``counted_at``, on hand at that time: on hand now less what moved since)."""
    fresh = [line for line in lines if not line.is_started]
    if not fresh:
        return
    levels = stock_levels_lock([(line.product_id, count.location_id) for line in fresh])
    now = timezone.now()
    since = _on_hand_since(count.location_id, [line.product_id for line in fresh], counted_at) if counted_at else {}
    for line in fresh:
        on_hand = levels[(line.product_id, count.location_id)].on_hand
        line.expected = on_hand - since.get(line.product_id, 0)
        line.snapshot_at = counted_at or now


def _line_for_barcode(count: CycleCount, barcode: str) -> CycleCountLine:
    code = (barcode or "").strip()
    if not code:
        raise InvalidInput("Scan a barcode (GTIN) or type a SKU.", fields={"barcode": ["Required."]})
    lines = [line for line in count.lines.select_related("product").select_for_update(no_key=True, of=("self",)).order_by("pk")
             if code in (line.product.sku, line.product.gtin) and line.status in (CycleCountLineStatus.PENDING, CycleCountLineStatus.RECOUNT)]
    if not lines:
        raise DomainError(
            f"{code} is not to be counted on {count.number} (not on it, or already counted). Put the unit aside and tell a manager.",
            code="not_on_count", fields={"barcode": [f"{code} is not on this count."]},
        )
    return lines[0]


def cycle_count_scan(*, count_id: int, barcode: str, actor: Actor) -> CycleCountLine:
    """One unit scanned: the line of the product with that GTIN or SKU gets one more. The first
    scan of a line takes its snapshot. Refused for products not to be counted (``not_on_count``)."""
    with transaction.atomic():
        count = _count_lock(count_id)
        _require_counting(count)
        line = _line_for_barcode(count, barcode)
        _start_count(count, actor)
        _snapshot(count, [line])
        line.scanned += 1
        line.save(update_fields=["scanned", "expected", "snapshot_at"])
    return line


@dataclass(frozen=True)
class LineCount:
    line_id: int
    quantity: int


def _entries_check(count: CycleCount, entries: Sequence[LineCount]) -> dict[int, CycleCountLine]:
    if not entries:
        raise InvalidInput("Enter at least one counted quantity.", fields={"lines": ["Add at least one line."]})
    errors: dict[str, list[str]] = {}
    seen = set()
    for index, entry in enumerate(entries):
        quantity = entry.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            errors[f"lines[{index}].quantity"] = ["A count is a whole number, 0 or more."]
        elif quantity > MAX_MOVEMENT_QUANTITY:
            errors[f"lines[{index}].quantity"] = [f"At most {MAX_MOVEMENT_QUANTITY:,}."]
        if entry.line_id in seen:
            errors[f"lines[{index}].line"] = ["This line is given twice."]
        seen.add(entry.line_id)
    lines = {line.pk: line for line in count.lines.select_related("product").select_for_update(no_key=True, of=("self",)).filter(pk__in=seen).order_by("pk")}
    for index, entry in enumerate(entries):
        line = lines.get(entry.line_id)
        if line is None:
            errors[f"lines[{index}].line"] = [f"Line {entry.line_id} is not on {count.number}."]
        elif line.status not in (CycleCountLineStatus.PENDING, CycleCountLineStatus.RECOUNT):
            errors[f"lines[{index}].line"] = [f"Line {entry.line_id} ({line.product.sku}) is {line.get_status_display().lower()}; it takes no count now."]
    if errors:
        raise InvalidInput("Some counts cannot be taken; nothing was recorded.", fields=errors)
    return lines


def cycle_count_submit(
    *, count_id: int, entries: Sequence[LineCount], counted_at: datetime.datetime | None = None, actor: Actor,
) -> CycleCount:
    """Record counted quantities (blind). Each line not yet started takes its snapshot now (or at
    ``counted_at``: a paper count typed in later). Within tolerance the correction posts at once;
    beyond it a first count asks for a recount, a recount waits for approval (module docstring).

    Guarantees: all entries or none (bad ones are named together); one transaction; the count
    row is locked, then the stock rows in primary-key order.
    """
    now = timezone.now()
    if counted_at is not None and counted_at > now:
        raise InvalidInput("counted_at lies in the future.", fields={"counted_at": ["Must not be in the future."]})
    tolerances = count_tolerances()
    with transaction.atomic():
        count = _count_lock(count_id)
        _require_counting(count)
        lines = _entries_check(count, entries)
        if counted_at is not None and counted_at < count.created_at:
            raise InvalidInput(f"counted_at is before {count.number} was planned.", fields={"counted_at": ["Before the count was planned."]})
        _start_count(count, actor)
        ordered = [lines[entry.line_id] for entry in entries]
        _snapshot(count, ordered, counted_at=counted_at)
        to_post, recounts, approvals = [], [], []
        for entry, line in zip(entries, ordered):
            line.counted, line.variance = entry.quantity, entry.quantity - line.expected
            line.within_tolerance = tolerances[line.abc_class].admits(variance=line.variance, expected=line.expected)
            line.counted_at, line.counted_by_label = now, actor_fields(actor)["actor_label"]
            line.counted_by = actor_fields(actor)["actor"]
            round_name = "recount" if line.status == CycleCountLineStatus.RECOUNT else "count"
            _audit(count, line, "counted", f"{line.product.sku}: {round_name} entered", actor,
                   {"counted": line.counted, "expected": line.expected, "within_tolerance": line.within_tolerance})
            if line.within_tolerance:
                to_post.append(line)
            elif line.status == CycleCountLineStatus.PENDING:
                line.ask_recount()
                recounts.append(line)
                _audit(count, line, "recount_requested", f"{line.product.sku}: beyond tolerance, count again", actor, {"first_counted": line.first_counted})
            else:
                line.await_approval()
                approvals.append(line)
        _post(count, to_post, actor)
        for line in ordered:
            line.save()
        if recounts:
            _event(count, "cycle_count.recount_requested", {"skus": [line.product.sku for line in recounts]})
        _settle(count, actor)
    return count


def _post(count: CycleCount, lines: Sequence[CycleCountLine], actor: Actor) -> None:
    """Post the corrections of counted lines: ``counted - expected`` on top of on hand now (see
    the module docstring), one ``count_correction`` ledger row per line that differs."""
    if not lines:
        return
    # Locked up front in the house order: the postings below go snapshot time by snapshot time.
    stock_levels_lock([(line.product_id, count.location_id) for line in lines])
    by_time: dict[datetime.datetime, list[CycleCountLine]] = defaultdict(list)
    for line in lines:
        by_time[line.snapshot_at].append(line)
    for snapshot_at, group in sorted(by_time.items()):
        result = stock_snapshot_apply(
            location=count.location.code, items=[(line.product.sku, line.counted) for line in group], reference=count.number,
            counted_at=snapshot_at, actor=actor,
        )
        for line, item in zip(group, result.items):
            if item.status == "skipped":
                raise DomainError(
                    f"{count.number}: {item.error_message} Nothing was posted.", code="count_not_postable",
                    fields={f"line {line.pk}": [item.error_message]},
                )
            line.correction = item.delta
    for line in lines:
        product = line.product
        line.unit_cost = product.cost if product.cost is not None else product.price
        line.currency = product.currency
        line.post()
        _audit(count, line, "posted", f"{line.product.sku}: correction {line.correction:+d} posted", actor,
               {"correction": line.correction, "counted": line.counted, "expected": line.expected})


def _settle(count: CycleCount, actor: Actor) -> None:
    """Move the count to where its lines are: done when none is open, awaiting approval when only
    approvals are left, counting when something is to be counted again."""
    statuses = set(count.lines.values_list("status", flat=True))
    if not statuses & set(OPEN_LINE_STATUSES):
        if statuses == {CycleCountLineStatus.CANCELLED}:
            count.cancel()
            name = "cycle_count.cancelled"
        else:
            count.finish()
            name = "cycle_count.completed"
        count.save(update_fields=["status", "finished_at"])
        _audit(count, None, name.split(".")[1], f"{count.number} {name.split('.')[1]}", actor)
        _event(count, name, {})
    elif statuses & {CycleCountLineStatus.PENDING, CycleCountLineStatus.RECOUNT}:
        if count.status == CycleCountStatus.AWAITING_APPROVAL:
            count.resume()
            count.save(update_fields=["status"])
    elif count.status == CycleCountStatus.COUNTING:
        count.await_approval()
        count.save(update_fields=["status"])
        _event(count, "cycle_count.awaiting_approval", {"lines": count.lines.filter(status=CycleCountLineStatus.AWAITING_APPROVAL).count()})


def _awaiting(count: CycleCount, line_ids: Iterable[int] | None) -> list[CycleCountLine]:
    lines = count.lines.select_related("product").select_for_update(no_key=True, of=("self",)).filter(status=CycleCountLineStatus.AWAITING_APPROVAL).order_by("pk")
    if line_ids is not None:
        wanted = set(line_ids)
        lines = [line for line in lines if line.pk in wanted]
        missing = wanted - {line.pk for line in lines}
        if missing:
            raise InvalidInput(
                f"These lines of {count.number} are not awaiting approval: {', '.join(map(str, sorted(missing)))}.",
                fields={"lines": [f"Line {pk} is not awaiting approval." for pk in sorted(missing)]},
            )
    lines = list(lines)
    if not lines:
        raise InvalidTransition(f"Nothing on {count.number} awaits approval.", code="nothing_to_approve")
    return lines


def cycle_count_approve(*, count_id: int, line_ids: Sequence[int] | None = None, actor: Actor) -> CycleCount:
    """A manager accepts recounted variances (all awaiting approval, or ``line_ids``): each posts
    its correction to the ledger, referenced by the count's number. One transaction."""
    with transaction.atomic():
        count = _count_lock(count_id)
        lines = _awaiting(count, line_ids)
        for line in lines:
            line.approved_by, line.approved_by_label = actor_fields(actor)["actor"], actor_fields(actor)["actor_label"]
            _audit(count, line, "approved", f"{line.product.sku}: variance {line.variance:+d} approved", actor)
        _post(count, lines, actor)
        for line in lines:
            line.save()
        _event(count, "cycle_count.approved", {"skus": [line.product.sku for line in lines],
                                                "corrections": {line.product.sku: line.correction for line in lines}})
        _settle(count, actor)
    return count


def cycle_count_recount(*, count_id: int, line_ids: Sequence[int] | None = None, actor: Actor) -> CycleCount:
    """A manager doubts a recount: the lines (all awaiting approval, or ``line_ids``) are counted
    blind once more, from a fresh snapshot."""
    with transaction.atomic():
        count = _count_lock(count_id)
        lines = _awaiting(count, line_ids)
        for line in lines:
            line.reject_for_recount()
            line.save()
            _audit(count, line, "recount_requested", f"{line.product.sku}: manager asked for another count", actor)
        _event(count, "cycle_count.recount_requested", {"skus": [line.product.sku for line in lines]})
        _settle(count, actor)
    return count


def cycle_count_cancel(*, count_id: int, reason: str, actor: Actor) -> CycleCount:
    """Cancel what is left of a count (lines already posted stay posted)."""
    if not (reason or "").strip():
        raise InvalidInput("Say why the count is cancelled.", fields={"reason": ["A reason is required."]})
    with transaction.atomic():
        count = _count_lock(count_id)
        _require_counting(count)
        for line in count.lines.select_for_update(no_key=True, of=("self",)).filter(status__in=OPEN_LINE_STATUSES).order_by("pk"):
            line.cancel()
            line.save(update_fields=["status"])
        _audit(count, None, "cancel_requested", f"Cancel: {reason.strip()}", actor)
        _settle(count, actor)
    return count


def line_value(line: CycleCountLine) -> Decimal:
    """The correction at cost (price when no cost), as posted."""
    if line.correction is None or line.unit_cost is None:
        return Decimal("0.00")
    return (line.unit_cost * line.correction).quantize(Decimal("0.01"))


__all__ = [
    "EVENT_NAMES", "LineCount", "cycle_count_approve", "cycle_count_cancel", "cycle_count_plan", "cycle_count_recount",
    "cycle_count_scan", "cycle_count_submit", "cycle_counts_plan_day", "count_plan_select", "pick_path_key",
]

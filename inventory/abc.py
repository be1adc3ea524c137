"""ABC classification by value moved, and the per-class settings cycle counts read.

A product's value moved is the units shipped from any location over the trailing window
(``OMS_ABC_WINDOW_DAYS``, shipment rows of the ledger, net of nothing: a return is a restock, not
negative demand) times its unit cost, or its price when it has no cost. Products are ranked by
that value, largest first; a product is A while the cumulative share of the products ranked
before it is under ``OMS_ABC_THRESHOLDS["A"]`` percent, B while under ``["B"]``, else C. So the
product that crosses a threshold belongs to the class it completes. Products that moved nothing
are C. Values are taken in each product's own currency as they are (a merchant selling in
several currencies ranks them on the face value).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from oms.actors import Actor, actor_fields
from oms.errors import InvalidInput

from .models import AbcRun, Product, StockMovement

CLASSES = ("A", "B", "C")


def _number(value, *, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidInput(f"{what} must be a number of zero or more (got {value!r}).", code="settings_invalid")
    return value


def setting_whole(value, *, what: str, minimum: int) -> int:
    """A whole-number setting, checked: a clear ``settings_invalid`` naming it otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInput(f"{what} must be a whole number, {minimum} or more (got {value!r}).", code="settings_invalid")
    return value


def abc_thresholds() -> tuple[Decimal, Decimal]:
    """``(A, B)`` cumulative-share limits in percent from ``OMS_ABC_THRESHOLDS``, checked."""
    raw = settings.OMS_ABC_THRESHOLDS
    if not isinstance(raw, dict) or set(raw) != {"A", "B"}:
        raise InvalidInput('OMS_ABC_THRESHOLDS must be {"A": <percent>, "B": <percent>}.', code="settings_invalid")
    a, b = (Decimal(str(_number(raw[key], what=f"OMS_ABC_THRESHOLDS[{key!r}]"))) for key in ("A", "B"))
    if not 0 < a <= b <= 100:
        raise InvalidInput("OMS_ABC_THRESHOLDS needs 0 < A <= B <= 100 (percent).", code="settings_invalid")
    return a, b


def count_frequency_days() -> dict[str, int]:
    """Days between two counts of a stock level, per class (``OMS_COUNT_FREQUENCY_DAYS``), checked."""
    raw = settings.OMS_COUNT_FREQUENCY_DAYS
    if not isinstance(raw, dict) or set(raw) != set(CLASSES):
        raise InvalidInput('OMS_COUNT_FREQUENCY_DAYS must name A, B and C, e.g. {"A": 30, "B": 90, "C": 365}.', code="settings_invalid")
    return {key: setting_whole(raw[key], what=f"OMS_COUNT_FREQUENCY_DAYS[{key!r}] (days)", minimum=1) for key in CLASSES}


@dataclass(frozen=True)
class Tolerance:
    units: int
    percent: Decimal

    def admits(self, *, variance: int, expected: int) -> bool:
        """Within when the difference is at most ``units``, or at most ``percent`` of what was expected."""
        difference = abs(variance)
        return difference <= self.units or Decimal(difference) * 100 <= self.percent * max(expected, 0)


def count_tolerances() -> dict[str, Tolerance]:
    """The tolerance of each class (``OMS_COUNT_TOLERANCE``), checked."""
    raw = settings.OMS_COUNT_TOLERANCE
    if not isinstance(raw, dict) or set(raw) != set(CLASSES):
        raise InvalidInput('OMS_COUNT_TOLERANCE must name A, B and C, each {"units": n, "percent": p}.', code="settings_invalid")
    tolerances = {}
    for key in CLASSES:
        entry = raw[key]
        if not isinstance(entry, dict) or not set(entry) <= {"units", "percent"}:
            raise InvalidInput(f'OMS_COUNT_TOLERANCE[{key!r}] must be {{"units": n, "percent": p}}.', code="settings_invalid")
        units = setting_whole(entry.get("units", 0), what=f"OMS_COUNT_TOLERANCE[{key!r}]['units']", minimum=0)
        percent = Decimal(str(_number(entry.get("percent", 0), what=f"OMS_COUNT_TOLERANCE[{key!r}]['percent']")))
        tolerances[key] = Tolerance(units=units, percent=percent)
    return tolerances


def abc_values(*, since: datetime.datetime) -> dict[int, Decimal]:
    """Value shipped per product since ``since`` (units x cost, or price without a cost); one query."""
    rows = (
        StockMovement.objects.filter(kind=StockMovement.Kind.SHIPMENT, created_at__gte=since)
        .order_by().values("product_id", "product__cost", "product__price").annotate(units=Sum("on_hand_delta"))
    )
    values = {}
    for row in rows:
        unit = row["product__cost"] if row["product__cost"] is not None else row["product__price"]
        values[row["product_id"]] = -row["units"] * unit
    return {pk: value for pk, value in values.items() if value > 0}


def abc_rank(values: dict[int, Decimal], *, threshold_a: Decimal, threshold_b: Decimal) -> dict[int, str]:
    """The class of each product with a value (see the module's rule); ties rank by id."""
    total = sum(values.values(), Decimal(0))
    classes, before = {}, Decimal(0)
    for pk, value in sorted(values.items(), key=lambda item: (-item[1], item[0])):
        share = before * 100 / total
        classes[pk] = "A" if share < threshold_a else "B" if share < threshold_b else "C"
        before += value
    return classes


def abc_classify(*, actor: Actor, now: datetime.datetime | None = None) -> AbcRun:
    """Class every product by value moved and record the run.

    Guarantees: one transaction; products moving nothing become C; only products whose class
    changes are written (and every product's ``abc_classified_at``), in a fixed number of
    statements; the run records the window, thresholds, how many products each class holds and
    which changed. Safe to run twice: a second run the same day changes nothing more.
    """
    threshold_a, threshold_b = abc_thresholds()
    window = setting_whole(settings.OMS_ABC_WINDOW_DAYS, what="OMS_ABC_WINDOW_DAYS", minimum=1)
    now = now or timezone.now()
    classes = abc_rank(abc_values(since=now - datetime.timedelta(days=window)), threshold_a=threshold_a, threshold_b=threshold_b)
    with transaction.atomic():
        current = dict(Product.objects.select_for_update(no_key=True).order_by("pk").values_list("pk", "abc_class"))
        wanted = {pk: classes.get(pk, "C") for pk in current}
        changed = sorted(pk for pk in current if current[pk] != wanted[pk])
        for name in CLASSES:
            moving = [pk for pk in changed if wanted[pk] == name]
            if moving:
                Product.objects.filter(pk__in=moving).update(abc_class=name)
        Product.objects.update(abc_classified_at=now)
        skus = dict(Product.objects.filter(pk__in=changed[:500]).values_list("pk", "sku"))
        counts = {name: sum(1 for value in wanted.values() if value == name) for name in CLASSES}
        return AbcRun.objects.create(
            ran_at=now, window_days=window, thresholds={"A": float(threshold_a), "B": float(threshold_b)},
            products_a=counts["A"], products_b=counts["B"], products_c=counts["C"], changed=len(changed),
            changes=[[skus[pk], current[pk], wanted[pk]] for pk in changed[:500]], **actor_fields(actor),
        )

"""Demand series read from the stock ledger (``inventory.StockMovement``).

What counts (the definitions the forecasts, their pages and the API share):

- **Demand** of a local day is the units *shipped* that day: ``-on_hand_delta`` of ``shipment``
  movements (the ledger's "Sale / shipment"). It is net of cancellations by construction: an order
  cancelled before it ships only ever reserved and released stock (``reservation`` /
  ``release``), which are not demand. Reservations are not counted either: they would count a
  re-allocation twice.
- **Returns** are a separate series, never subtracted from demand: units that came back through
  the returns desk, ``return_restock`` movements plus the ``damage`` movements the returns
  service posts for quarantined, scrapped or vendor-bound returns (their reason starts
  "returned"). Receipts, transfers, adjustments, counts and scrap are neither.
- **Stockout day**: the sellable position (``on_hand - damaged``, the ledger's running sum) at the
  location was 0 (or below) at the start or at the end of the day: for part of the day there was
  nothing to sell, so what shipped is a lower bound of what was wanted. For a SKU over all
  locations the position is the sum over locations. Stockout days are *missing*, not zero:
  they are left out of the classification and of every error measure, and for fitting their
  value is imputed as the mean demand of the same weekday over the 8 weeks before (observed days
  only; the series' observed mean when there are none), or what actually shipped if that was
  more. Days before the SKU was first in stock at the location are not part of the series.
- **Weeks** are ISO weeks (Monday to Sunday), complete ones only: the sum of the days (imputed
  ones included); a week counts as observed when at least 4 of its days were.

Reads: two aggregate queries per batch of SKUs (the position before the window, then the window
per product, location and local day), whatever the batch's size.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models import F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from inventory.models import StockMovement

IMPUTE_WEEKS = 8
WEEK_OBSERVED_DAYS = 4


@dataclass
class DemandSeries:
    product_id: int
    location_id: int | None  # None: all locations together
    frequency: str  # "daily" or "weekly"
    start: datetime.date  # the first day (or Monday)
    demand: np.ndarray  # float, stockout periods imputed
    observed: np.ndarray  # bool, False on stockout periods
    returns: np.ndarray  # float
    shipped: np.ndarray  # float, what the ledger says shipped (stockout periods not imputed)

    @property
    def key(self) -> tuple[int, int | None, str]:
        return (self.product_id, self.location_id, self.frequency)

    def dates(self) -> list[datetime.date]:
        step = 7 if self.frequency == "weekly" else 1
        return [self.start + datetime.timedelta(days=step * i) for i in range(len(self.demand))]


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


RETURNED = Q(kind=StockMovement.Kind.RETURN_RESTOCK) | Q(kind=StockMovement.Kind.DAMAGE, reason__startswith="returned")


def ledger_days(*, product_ids: Sequence[int], first: datetime.date, last: datetime.date) -> tuple[dict, dict]:
    """The ledger of ``product_ids`` from ``first`` to ``last`` (local days, both included):
    ``({(product, location): sellable position before first}, {(product, location): [(day, shipped,
    returned, sellable change)]})``, in two queries."""
    tz = timezone.get_default_timezone()
    start, end = _local_midnight(first), _local_midnight(last + datetime.timedelta(days=1))
    sellable = F("on_hand_delta") - F("damaged_delta")
    opening = {
        (row["product_id"], row["location_id"]): row["position"]
        for row in StockMovement.objects.filter(product_id__in=product_ids, created_at__lt=start)
        .values("product_id", "location_id").annotate(position=Sum(sellable)).order_by()
    }
    days: dict[tuple[int, int], list] = {}
    rows = (
        StockMovement.objects.filter(product_id__in=product_ids, created_at__gte=start, created_at__lt=end)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("product_id", "location_id", "day")
        .annotate(
            shipped=Sum(-F("on_hand_delta"), filter=Q(kind=StockMovement.Kind.SHIPMENT), default=0),
            returned=Sum("on_hand_delta", filter=RETURNED, default=0),
            change=Sum(sellable, default=0),
        )
        .order_by()
    )
    for row in rows:
        days.setdefault((row["product_id"], row["location_id"]), []).append((row["day"], row["shipped"], row["returned"], row["change"]))
    return opening, days


def _impute(values: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Stockout days get the mean of the same weekday's observed days over the ``IMPUTE_WEEKS``
    weeks before (or the observed mean), or what shipped if that was more."""
    result = values.astype(float).copy()
    if observed.all():
        return result
    overall = values[observed].mean() if observed.any() else 0.0
    for offset in range(7):
        x, m = values[offset::7].astype(float), observed[offset::7]
        if m.all():
            continue
        sums = np.concatenate([[0.0], np.cumsum(np.where(m, x, 0.0))])
        counts = np.concatenate([[0], np.cumsum(m)])
        index = np.arange(len(x))
        low = np.maximum(index - IMPUTE_WEEKS, 0)
        n = counts[index] - counts[low]
        window_mean = np.where(n > 0, (sums[index] - sums[low]) / np.maximum(n, 1), overall)
        sub = result[offset::7]
        sub[~m] = np.maximum(x[~m], window_mean[~m])
        result[offset::7] = sub
    return result


def _daily_from_arrays(product_id, location_id, first, position0, shipped, returned, change) -> DemandSeries | None:
    end_position = position0 + np.cumsum(change)
    start_position = np.concatenate([[position0], end_position[:-1]])
    observed = (start_position > 0) & (end_position > 0)
    if not observed.any():
        return None
    begin = int(np.argmax(observed))  # the series starts on its first day in stock
    shipped, returned, observed = shipped[begin:], returned[begin:], observed[begin:]
    return DemandSeries(
        product_id=product_id, location_id=location_id, frequency="daily", start=first + datetime.timedelta(days=begin),
        demand=_impute(shipped, observed), observed=observed, returns=returned, shipped=shipped,
    )


def demand_series_read(*, product_ids: Sequence[int], as_of: datetime.date, history_days: int) -> list[DemandSeries]:
    """The daily demand series of ``product_ids`` over the ``history_days`` local days up to
    ``as_of``: one per SKU and location that had stock, and one per SKU for all its locations."""
    first = as_of - datetime.timedelta(days=history_days - 1)
    opening, days = ledger_days(product_ids=product_ids, first=first, last=as_of)
    found: list[DemandSeries] = []
    totals: dict[int, list] = {}
    for key in sorted(set(opening) | set(days)):
        product_id, location_id = key
        shipped = np.zeros(history_days)
        returned = np.zeros(history_days)
        change = np.zeros(history_days)
        for day, sold, back, delta in days.get(key, ()):
            i = (day - first).days
            shipped[i] += sold
            returned[i] += back
            change[i] += delta
        position0 = float(opening.get(key) or 0)
        series = _daily_from_arrays(product_id, location_id, first, position0, shipped, returned, change)
        if series is not None:
            found.append(series)
        total = totals.setdefault(product_id, [0.0, np.zeros(history_days), np.zeros(history_days), np.zeros(history_days)])
        total[0] += position0
        total[1] += shipped
        total[2] += returned
        total[3] += change
    for product_id, (position0, shipped, returned, change) in totals.items():
        series = _daily_from_arrays(product_id, None, first, position0, shipped, returned, change)
        if series is not None:
            found.append(series)
    return found


def weekly(series: DemandSeries, *, as_of: datetime.date) -> DemandSeries | None:
    """The complete ISO weeks of a daily series (up to the week ending on or before ``as_of``)."""
    skip = (7 - series.start.weekday()) % 7
    last_sunday = as_of - datetime.timedelta(days=(as_of.weekday() + 1) % 7)
    days = (last_sunday - series.start).days + 1 - skip
    weeks = days // 7
    if weeks <= 0:
        return None
    cut = slice(skip, skip + weeks * 7)

    def fold(values):
        return values[cut].reshape(weeks, 7).sum(axis=1)

    observed_days = series.observed[cut].reshape(weeks, 7).sum(axis=1)
    return DemandSeries(
        product_id=series.product_id, location_id=series.location_id, frequency="weekly",
        start=series.start + datetime.timedelta(days=skip), demand=fold(series.demand),
        observed=observed_days >= WEEK_OBSERVED_DAYS, returns=fold(series.returns), shipped=fold(series.shipped),
    )

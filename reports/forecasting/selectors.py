"""Reads of the stored forecasts: a SKU's latest forecast, its recent history and the accuracy of
its past forecasts (what each earlier run said against what then sold). A constant number of
queries whatever the history's length or the number of runs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np
from django.utils import timezone

from ..models_forecasts import ForecastPoint, ForecastRun, ForecastSeries
from .series import DemandSeries, demand_series_read, weekly

PAST_RUNS = 12


@dataclass
class PastAccuracy:
    run_id: int
    as_of: datetime.date
    method: str
    periods: int  # observed periods compared so far
    mase: float | None
    bias: float | None


@dataclass
class SkuForecast:
    product_id: int
    location_id: int | None
    frequency: str
    series: ForecastSeries | None
    points: list[ForecastPoint]
    history: DemandSeries | None
    past: list[PastAccuracy] = field(default_factory=list)
    past_mase: float | None = None
    past_bias: float | None = None


def _finished(product_id: int, location_id: int | None, frequency: str):
    rows = ForecastSeries.objects.filter(product_id=product_id, frequency=frequency, run__status=ForecastRun.Status.FINISHED)
    rows = rows.filter(location_id=location_id) if location_id is not None else rows.filter(location__isnull=True)
    return rows.select_related("run").order_by("-run__as_of", "-run__finished_at", "-pk")


def forecast_latest(*, product_id: int, location_id: int | None = None, frequency: str = "daily") -> tuple[ForecastSeries | None, list[ForecastPoint]]:
    """The newest stored forecast of a series and its points (two queries)."""
    series = _finished(product_id, location_id, frequency).first()
    return series, (list(series.points.order_by("date")) if series else [])


def past_accuracy(*, past: list[ForecastSeries], points: list[ForecastPoint], actual: DemandSeries | None) -> tuple[list[PastAccuracy], float | None, float | None]:
    """Each past forecast against what shipped on its dates that have passed, observed periods
    only (stockouts left out): MASE over the run's own scale and bias (mean of forecast - actual
    over the same scale); then both pooled over every compared period of every run."""
    sold: dict[datetime.date, float] = {}
    if actual is not None:
        sold = {day: float(v) for day, v, seen in zip(actual.dates(), actual.shipped, actual.observed) if seen}
    by_series: dict[int, list[ForecastPoint]] = {}
    for point in points:
        by_series.setdefault(point.series_id, []).append(point)
    found, all_scaled = [], []
    for series in past:
        errors = np.array([p.mean - sold[p.date] for p in by_series.get(series.pk, []) if p.date in sold])
        scaled = errors / series.scale if len(errors) else errors
        all_scaled.append(scaled)
        found.append(PastAccuracy(run_id=series.run_id, as_of=series.run.as_of, method=series.method, periods=len(errors),
                                  mase=float(np.abs(scaled).mean()) if len(errors) else None,
                                  bias=float(scaled.mean()) if len(errors) else None))
    pooled = np.concatenate(all_scaled) if all_scaled else np.empty(0)
    if not len(pooled):
        return found, None, None
    return found, float(np.abs(pooled).mean()), float(pooled.mean())


def forecast_for_sku(*, product_id: int, location_id: int | None = None, frequency: str = "daily", history_days: int = 91,
                     today: datetime.date | None = None) -> SkuForecast:
    """Everything a SKU's forecast page shows: the latest forecast, the recent history (with its
    stockout periods and returns) and the accuracy of up to ``PAST_RUNS`` earlier forecasts."""
    today = today or timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    runs = list(_finished(product_id, location_id, frequency)[: PAST_RUNS + 1])
    latest = runs[0] if runs else None
    earlier = [s for s in runs if s.run.as_of < yesterday]
    oldest = min([s.run.as_of for s in earlier], default=yesterday)
    span = max(history_days, (yesterday - oldest).days + 1)
    daily = [s for s in demand_series_read(product_ids=[product_id], as_of=yesterday, history_days=span)
             if s.location_id == location_id]
    history = daily[0] if daily else None
    if history is not None and frequency == "weekly":
        history = weekly(history, as_of=yesterday)
    ids = [s.pk for s in earlier] + ([latest.pk] if latest else [])
    points = list(ForecastPoint.objects.filter(series_id__in=ids).order_by("series_id", "date"))
    past, mase, bias = past_accuracy(past=earlier, points=[p for p in points if latest is None or p.series_id != latest.pk or latest in earlier],
                                     actual=history)
    return SkuForecast(
        product_id=product_id, location_id=location_id, frequency=frequency, series=latest,
        points=[p for p in points if latest is not None and p.series_id == latest.pk], history=history,
        past=[p for p in past if p.periods], past_mase=mase, past_bias=bias,
    )

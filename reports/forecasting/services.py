"""Forecast runs: read a catalogue's demand in batches, forecast it, store it.

``forecast_run`` is what the nightly job and ``manage.py forecast_run`` call. Per batch of SKUs it
reads the ledger in two queries (``series``), forecasts every series of the batch in a handful of
statsforecast calls (``backtest``) and stores the batch in one transaction with bulk inserts, so
a failed batch leaves nothing half-written and the run goes on with the next one.
"""

from __future__ import annotations

import datetime
import logging
import os
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory.models import Product
from oms.actors import Actor, actor_fields
from oms.errors import InvalidInput

from ..models_forecasts import KEEP_DAYS, ForecastChoice, ForecastPoint, ForecastRun, ForecastSeries
from .backtest import SeriesForecast, SeriesKey, forecast_series
from .selection import StoredChoice
from .series import demand_series_read, weekly

logger = logging.getLogger(__name__)

BATCH_SKUS = 500
STALE_HOURS = 6  # a nightly run still "running" after this long died with its worker


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def choices_read(*, product_ids: Sequence[int]) -> dict[SeriesKey, StoredChoice]:
    """The stored choices of a batch's series, in one query."""
    return {
        (c.product_id, c.location_id, c.frequency): StoredChoice(
            demand_class=c.demand_class, method=c.method, mase=c.mase, bias=c.bias, windows=c.windows, residual_lo=c.residual_lo,
            residual_hi=c.residual_hi, horizon=c.horizon, level=c.level, selected_on=c.selected_on)
        for c in ForecastChoice.objects.filter(product_id__in=product_ids)
    }


def forecast_batch(*, product_ids: Sequence[int], as_of: datetime.date, horizon_days: int, level: int,
                   history_days: int, n_jobs: int = 1) -> tuple[list[SeriesForecast], int]:
    """Read and forecast one batch of SKUs: daily and weekly, per SKU and per SKU and location,
    backtesting only the series whose selection is due (``selection``)."""
    daily = demand_series_read(product_ids=product_ids, as_of=as_of, history_days=history_days)
    weeks = [w for w in (weekly(s, as_of=as_of) for s in daily) if w is not None]
    stored = choices_read(product_ids=product_ids)
    day_results, day_skipped = forecast_series(daily, h=horizon_days, level=level, n_jobs=n_jobs, as_of=as_of, stored=stored)
    week_results, week_skipped = forecast_series(weeks, h=max(1, horizon_days // 7), level=level, n_jobs=n_jobs, as_of=as_of,
                                                 stored=stored)
    return day_results + week_results, day_skipped + week_skipped


def _choices_replace(results: Sequence[SeriesForecast], *, level: int) -> None:
    """Store the choices made in this run, replacing the series' earlier ones (inside the
    batch's transaction: one delete, one bulk insert)."""
    made = [r for r in results if r.reselected]
    if not made:
        return
    wanted = {r.key for r in made}
    stale = [c.pk for c in ForecastChoice.objects.filter(product_id__in={r.series.product_id for r in made})
             if (c.product_id, c.location_id, c.frequency) in wanted]
    ForecastChoice.objects.filter(pk__in=stale).delete()
    ForecastChoice.objects.bulk_create([
        ForecastChoice(
            product_id=r.series.product_id, location_id=r.series.location_id, frequency=r.series.frequency,
            demand_class=r.classification.demand_class, method=r.method, mase=r.mase, bias=r.bias, windows=r.windows,
            residual_lo=r.residual_lo, residual_hi=r.residual_hi, horizon=len(r.mean), level=level, selected_on=r.selected_on,
        )
        for r in made
    ], batch_size=1000)


def forecasts_store(*, run: ForecastRun, results: Sequence[SeriesForecast], as_of: datetime.date) -> int:
    """Store one batch's forecasts (series rows, then their points) and the choices made for
    them in one transaction."""
    with transaction.atomic():
        _choices_replace(results, level=run.level)
        rows = ForecastSeries.objects.bulk_create([
            ForecastSeries(
                run=run, product_id=r.series.product_id, location_id=r.series.location_id, frequency=r.series.frequency,
                demand_class=r.classification.demand_class, method=r.method, adi=r.classification.adi, cv2=r.classification.cv2,
                mase=r.mase, bias=r.bias, scale=r.scale, history_periods=len(r.series.demand),
                stockout_periods=int((~r.series.observed).sum()), windows=r.windows, selected_on=r.selected_on,
            )
            for r in results
        ], batch_size=1000)
        points = []
        for row, result in zip(rows, results):
            first = _first_period(result.series.frequency, as_of)
            step = 7 if result.series.frequency == "weekly" else 1
            for i in range(len(result.mean)):
                points.append((row.pk, first + datetime.timedelta(days=step * i), round(float(result.mean[i]), 4),
                               round(float(result.lo[i]), 4), round(float(result.hi[i]), 4)))
        _points_insert(points)
    return len(rows)


def _points_insert(points: list[tuple]) -> None:
    """Insert ``(series id, date, mean, lo, hi)`` rows: with COPY on PostgreSQL (a night writes
    hundreds of thousands; building model objects for them cost as much as a refit), else in bulk."""
    if connection.vendor == "postgresql":
        columns = ", ".join(ForecastPoint._meta.get_field(name).column for name in ("series", "date", "mean", "lo", "hi"))
        with connection.cursor() as cursor, cursor.copy(f"COPY {ForecastPoint._meta.db_table} ({columns}) FROM STDIN") as copy:
            for point in points:
                copy.write_row(point)
        return
    ForecastPoint.objects.bulk_create([ForecastPoint(series_id=series_id, date=date, mean=mean, lo=lo, hi=hi)
                                       for series_id, date, mean, lo, hi in points], batch_size=5000)


def _first_period(frequency: str, as_of: datetime.date) -> datetime.date:
    """The day after ``as_of``, or the Monday after the last complete week."""
    if frequency == "daily":
        return as_of + datetime.timedelta(days=1)
    last_sunday = as_of - datetime.timedelta(days=(as_of.weekday() + 1) % 7)
    return last_sunday + datetime.timedelta(days=1)


def _run_open(*, as_of: datetime.date, scope: str, actor: Actor) -> tuple[ForecastRun, bool]:
    """The run to fill, and whether it is new. The nightly run of a day exists once: a second
    call finds it (finished, or running elsewhere) and does nothing."""
    fields = {"as_of": as_of, "scope": scope, "horizon_days": settings.OMS_FORECAST_HORIZON_DAYS, "level": settings.OMS_FORECAST_LEVEL,
              "actor_label": actor_fields(actor)["actor_label"]}
    if scope == ForecastRun.Scope.ALL:
        with transaction.atomic():
            stale = timezone.now() - datetime.timedelta(hours=STALE_HOURS)
            ForecastRun.objects.filter(as_of=as_of, scope=scope, status=ForecastRun.Status.RUNNING, started_at__lt=stale).update(
                status=ForecastRun.Status.FAILED, errors="Abandoned: still running after " f"{STALE_HOURS} hours.", finished_at=timezone.now())
        existing = ForecastRun.objects.filter(as_of=as_of, scope=scope).exclude(status=ForecastRun.Status.FAILED).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                return ForecastRun.objects.create(**fields), True
        except IntegrityError:  # another worker opened it a moment ago
            return ForecastRun.objects.filter(as_of=as_of, scope=scope).exclude(status=ForecastRun.Status.FAILED).first(), False
    return ForecastRun.objects.create(**fields), True


def _products(skus: Sequence[str] | None, limit: int | None) -> list[int]:
    if limit is not None and limit < 1:
        raise InvalidInput("--limit must be a positive number of SKUs.", fields={"limit": ["A whole number of 1 or more."]})
    products = Product.objects.order_by("pk")
    if skus is not None:
        wanted = sorted({sku.strip() for sku in skus if sku.strip()})
        if not wanted:
            raise InvalidInput("Name at least one SKU.", fields={"skus": ["A comma-separated list of SKUs."]})
        found = dict(products.filter(sku__in=wanted).values_list("sku", "pk"))
        unknown = [sku for sku in wanted if sku not in found]
        if unknown:
            raise InvalidInput(f"Unknown SKU(s): {', '.join(unknown)}.", code="unknown_sku", fields={"skus": [f"Unknown SKU {s!r}." for s in unknown]})
        ids = sorted(found.values())
    else:
        ids = list(products.filter(is_active=True).values_list("pk", flat=True))
    return ids[:limit] if limit is not None else ids


def forecast_run(*, actor: Actor, skus: Sequence[str] | None = None, limit: int | None = None, as_of: datetime.date | None = None,
                 batch_skus: int = BATCH_SKUS, n_jobs: int | None = None) -> ForecastRun:
    """Forecast the demand of every active SKU (or of ``skus``, or the first ``limit``) from the
    history up to ``as_of`` (default: yesterday) and store the forecasts as a new run.

    Guarantees: the nightly run (all SKUs) of a day is made once, a repeated call returns it
    untouched; each batch is stored whole or not at all, a batch that fails is recorded in the
    run's ``errors`` and counted in ``failed_count`` and the run goes on; runs older than
    ``KEEP_DAYS`` are deleted at the end (their points with them)."""
    ids = _products(skus, limit)
    as_of = as_of or yesterday()
    scope = ForecastRun.Scope.ALL if skus is None and limit is None else ForecastRun.Scope.SELECTED
    run, new = _run_open(as_of=as_of, scope=scope, actor=actor)
    if not new:
        return run
    started = time.monotonic()
    jobs = n_jobs or os.cpu_count() or 1
    errors: list[str] = []
    for offset in range(0, len(ids), batch_skus):
        batch = ids[offset: offset + batch_skus]
        try:
            results, skipped = forecast_batch(product_ids=batch, as_of=as_of, horizon_days=run.horizon_days, level=run.level,
                                              history_days=settings.OMS_FORECAST_HISTORY_DAYS, n_jobs=jobs)
            run.series_count += forecasts_store(run=run, results=results, as_of=as_of)
            run.skipped_count += skipped
        except Exception as error:  # one bad batch must not cost the night's other forecasts
            logger.exception("forecast batch of SKU ids %s..%s failed", batch[0], batch[-1])
            errors.append(f"SKU ids {batch[0]}..{batch[-1]}: {type(error).__name__}: {error}")
            run.failed_count += len(batch)
        run.skus += len(batch)
        ForecastRun.objects.filter(pk=run.pk).update(skus=run.skus, series_count=run.series_count, skipped_count=run.skipped_count,
                                                     failed_count=run.failed_count)
    run.status = ForecastRun.Status.FAILED if errors and not run.series_count else ForecastRun.Status.FINISHED
    run.errors = "\n".join(errors)[:20000]
    run.finished_at = timezone.now()
    run.duration_seconds = round(time.monotonic() - started, 3)
    run.save(update_fields=["status", "errors", "finished_at", "duration_seconds", "skus", "series_count", "skipped_count", "failed_count"])
    ForecastRun.objects.filter(as_of__lt=as_of - datetime.timedelta(days=KEEP_DAYS)).delete()
    return run

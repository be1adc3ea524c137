"""Helpers of the replenishment suggestions tests: a stored forecast without going through
statsforecast, and a catalogue with a supplier."""

import datetime

from django.utils import timezone

from reports.models_forecasts import ForecastPoint, ForecastRun, ForecastSeries


def forecast_store(daily: dict, *, mase: float = 0.0, scale: float = 1.0, days: int = 40) -> ForecastRun:
    """A finished forecast run holding a flat daily forecast per ``(product, location or None)``:
    ``{(product, location): mean}``; ``mase * scale`` is the backtest's mean absolute error."""
    today = timezone.localdate()
    run = ForecastRun.objects.create(as_of=today - datetime.timedelta(days=1), status=ForecastRun.Status.FINISHED, horizon_days=days,
                                     level=80, finished_at=timezone.now())
    for (product, location), mean in daily.items():
        series = ForecastSeries.objects.create(
            run=run, product=product, location=location, frequency="daily", demand_class="smooth", method="Naive", adi=1.0, cv2=0.0,
            mase=mase, scale=scale, history_periods=100, stockout_periods=0,
        )
        ForecastPoint.objects.bulk_create(
            ForecastPoint(series=series, date=today + datetime.timedelta(days=i), mean=mean, lo=mean, hi=mean) for i in range(days)
        )
    return run

"""Rolling-origin backtests, the choice of a method per series, the refit and its interval.

Backtest: for each series, ``windows`` origins spaced one horizon apart, the last one a horizon
before the end (up to ``MAX_WINDOWS``, as many as its history holds after a first training span); at each origin every method of the series' menu is fitted on the history up to
it and forecasts the next ``h`` periods (statsforecast's ``cross_validation``, one call for a
whole group of series). The error of a window is the mean absolute error over its *observed*
periods (stockouts left out), divided by the series' scale: the in-sample mean absolute one-step
change over observed pairs of periods before the first origin (MASE). A series' MASE is the mean
over its windows; its bias is the mean error (forecast - actual) over the same scale, so a
positive bias means the method over-forecast. The method with the lowest MASE wins, if it beats the
menu's default (its first) by more than ``SWITCH_MARGIN``; otherwise the default stays.

The winner is then refitted on the whole history and forecasts ``h`` periods. Its prediction
interval at ``level`` percent is statsforecast's own where the model has one (ETS, the naives,
the historic average); otherwise it is empirical: the forecast plus the (1-level)/2 and
(1+level)/2 quantiles of the winner's backtest errors (actual - forecast, observed periods of
all windows pooled). Demand is never negative, so means and bounds are clipped at 0.

A series shorter than ``min_train + h`` periods cannot be backtested: it gets the historic
average (with its native interval) and no MASE.

Given the stored choices (``selection``), only the series whose selection is due are backtested;
the others refit their stored method and keep its MASE, bias and interval offsets.
"""

from __future__ import annotations

import datetime
import multiprocessing
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import HistoricAverage

from .classify import Classification, demand_classify
from .methods import NATIVE_INTERVALS, SHORT_HISTORY_METHOD, all_methods, menu, models_named
from .selection import StoredChoice, selection_due
from .series import DemandSeries

SeriesKey = tuple[int, int | None, str]  # product id, location id (None: all locations), frequency

# Origins of a backtest at most. Six, not three: on the demo's histories, choosing on three
# origins kept a worse default (or switched to a worse method) on noise often enough that the choice
# lost to the best single method by up to 2-3 %; on six it is level with it, and the synthetic
# series of bench/forecast.py lose nothing. The backtest costs about twice as much.
MAX_WINDOWS = 6
SWITCH_MARGIN = 0.02  # how much lower a method's backtest MASE must be than the menu default's to replace it
PARALLEL_FROM = 200  # series in one call before statsforecast's worker processes pay off


@dataclass
class SeriesForecast:
    series: DemandSeries
    classification: Classification
    method: str
    mase: float | None
    bias: float | None
    scale: float
    windows: int
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    residual_lo: float = 0.0  # offsets of the empirical interval: quantiles of the backtest errors
    residual_hi: float = 0.0
    selected_on: datetime.date | None = None  # history end of the backtest that chose the method
    reselected: bool = True  # backtested in this run (False: the stored choice was refitted)

    @property
    def key(self) -> SeriesKey:
        return (self.series.product_id, self.series.location_id, self.series.frequency)


def min_train(frequency: str, h: int) -> int:
    return h if frequency == "daily" else 2 * h


def naive_scale(values: np.ndarray, observed: np.ndarray) -> float:
    """Mean absolute one-step change over pairs of observed periods (1.0 when there is none)."""
    both = observed[1:] & observed[:-1]
    if both.any():
        scale = float(np.abs(np.diff(values))[both].mean())
        if scale > 0:
            return scale
    seen = values[observed]
    return float(np.abs(seen).mean()) if len(seen) and np.abs(seen).mean() > 0 else 1.0


def windows_for(length: int, frequency: str, h: int, most: int = MAX_WINDOWS) -> int:
    return max(0, min(most, (length - min_train(frequency, h)) // h))


def _jobs(n_series: int, n_jobs: int) -> int:
    # A Celery prefork worker is a daemon process, which may not start processes of its own.
    if n_series < PARALLEL_FROM or multiprocessing.current_process().daemon:
        return 1
    return n_jobs


def _frame(values: list[np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": np.repeat(np.arange(len(values)), [len(v) for v in values]),
        "ds": np.concatenate([np.arange(len(v)) for v in values]),
        "y": np.concatenate(values).astype(float),
    })


def cross_validate(values: list[np.ndarray], names: tuple[str, ...], *, frequency: str, h: int, windows: int,
                   n_jobs: int = 1) -> dict[str, np.ndarray]:
    """Forecasts of every method at every origin: ``{name: array (series, windows, h)}``; every
    series must be long enough for ``windows`` origins."""
    engine = StatsForecast(models=models_named(names, frequency), freq=1, n_jobs=_jobs(len(values), n_jobs),
                           fallback_model=HistoricAverage())
    result = engine.cross_validation(df=_frame(values), h=h, step_size=h, n_windows=windows)
    result = result.sort_values(["unique_id", "cutoff", "ds"])
    return {name: result[name].to_numpy(dtype=float).reshape(len(values), windows, h) for name in names}


def actuals(values: list[np.ndarray], observed: list[np.ndarray], *, h: int, windows: int) -> tuple[np.ndarray, np.ndarray]:
    """What happened in each backtest window, and whether each period was observed."""
    span = h * windows
    y = np.stack([v[len(v) - span:] for v in values]).reshape(len(values), windows, h)
    seen = np.stack([o[len(o) - span:] for o in observed]).reshape(len(values), windows, h)
    return y, seen


def window_scores(forecasts: np.ndarray, y: np.ndarray, seen: np.ndarray, scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per series and window: MASE and scaled mean error (NaN for a window with nothing observed)."""
    error = forecasts - y
    count = seen.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mae = np.where(seen, np.abs(error), 0.0).sum(axis=2) / count
        mean_error = np.where(seen, error, 0.0).sum(axis=2) / count
    return mae / scales[:, None], mean_error / scales[:, None]


def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    count = np.sum(~np.isnan(values), axis=axis)
    total = np.nansum(values, axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def best_methods(mase_by_method: list[np.ndarray]) -> np.ndarray:
    """Per series, the index of the method with the lowest MASE, unless it beats the first (the
    menu's default) by no more than ``SWITCH_MARGIN``: over a few origins, smaller differences
    are mostly noise, and chasing them cost accuracy out of sample (bench/forecast.py). A NaN
    never wins; ties go to the earlier method."""
    stacked = np.stack([np.where(np.isnan(m), np.inf, m) for m in mase_by_method])
    best = np.argmin(stacked, axis=0)
    default = stacked[0]
    keep = stacked[best, np.arange(stacked.shape[1])] >= default * (1 - SWITCH_MARGIN)
    return np.where(keep & np.isfinite(default), 0, best)


def residual_offsets(residuals: np.ndarray, level: int) -> tuple[float, float]:
    """The central ``level`` % of ``residuals`` (actual - forecast), never excluding 0."""
    if residuals.size == 0:
        return 0.0, 0.0
    low, high = np.quantile(residuals, [(1 - level / 100) / 2, (1 + level / 100) / 2])
    return min(float(low), 0.0), max(float(high), 0.0)


def forecast_fit(values: list[np.ndarray], names: list[str], *, frequency: str, h: int, level: int, n_jobs: int = 1) -> tuple[np.ndarray, ...]:
    """Refit each series' method on its whole history: ``(mean, lo, hi)``, each ``(series, h)``;
    lo/hi are NaN where the method has no native interval. One statsforecast call per method."""
    n = len(values)
    mean, lo, hi = (np.full((n, h), np.nan) for _ in range(3))
    by_method: dict[str, list[int]] = defaultdict(list)
    for index, name in enumerate(names):
        by_method[name].append(index)
    for name, indexes in by_method.items():
        native = name in NATIVE_INTERVALS
        engine = StatsForecast(models=models_named((name,), frequency), freq=1, n_jobs=_jobs(len(indexes), n_jobs),
                               fallback_model=HistoricAverage())
        result = engine.forecast(df=_frame([values[i] for i in indexes]), h=h, level=[level] if native else None)
        result = result.sort_values(["unique_id", "ds"])
        rows = np.asarray(indexes)
        mean[rows] = result[name].to_numpy(dtype=float).reshape(len(indexes), h)
        if native:
            lo[rows] = result[f"{name}-lo-{level}"].to_numpy(dtype=float).reshape(len(indexes), h)
            hi[rows] = result[f"{name}-hi-{level}"].to_numpy(dtype=float).reshape(len(indexes), h)
    return mean, lo, hi


def forecast_series(series_list: list[DemandSeries], *, h: int, level: int, n_jobs: int = 1, as_of: datetime.date | None = None,
                    stored: dict[SeriesKey, StoredChoice] | None = None) -> tuple[list[SeriesForecast], int]:
    """Classify, backtest, choose, refit: the forecasts of the series that have demand and enough
    history, and how many were skipped. A handful of statsforecast calls whatever the count:
    one backtest per (menu, number of origins), one refit per chosen method. With ``stored``
    choices (and ``as_of``), a series whose selection is not due skips the backtest and refits
    its stored method; without, every series is backtested."""
    kept: list[tuple[DemandSeries, Classification]] = []
    for series in series_list:
        classification = demand_classify(series.demand, series.observed)
        if classification is None or series.observed.sum() < 2:
            continue
        kept.append((series, classification))
    skipped = len(series_list) - len(kept)
    if not kept:
        return [], skipped
    frequency_of = {s.frequency for s, _ in kept}
    results: list[SeriesForecast] = []
    for frequency in sorted(frequency_of):
        group = [(s, c) for s, c in kept if s.frequency == frequency]
        results.extend(_forecast_frequency(group, frequency=frequency, h=h, level=level, n_jobs=n_jobs, as_of=as_of, stored=stored))
    return results, skipped


def _forecast_frequency(group, *, frequency: str, h: int, level: int, n_jobs: int, as_of: datetime.date | None,
                        stored: dict[SeriesKey, StoredChoice] | None) -> list[SeriesForecast]:
    n = len(group)
    chosen = [SHORT_HISTORY_METHOD] * n
    mase: list[float | None] = [None] * n
    bias: list[float | None] = [None] * n
    windows = [windows_for(len(s.demand), frequency, h) for s, _ in group]
    offsets = [(0.0, 0.0)] * n
    selected_on: list[datetime.date | None] = [as_of] * n
    reselected = [True] * n
    cells: dict[tuple[tuple[str, ...], int], list[int]] = defaultdict(list)
    known = set(all_methods(frequency))  # a stored method the menus no longer offer is chosen again
    for index, (series, classification) in enumerate(group):
        kept = None
        if stored is not None and as_of is not None:
            kept = stored.get((series.product_id, series.location_id, frequency))
            due = kept is None or kept.method not in known or selection_due(
                stored=kept, product_id=series.product_id, demand_class=classification.demand_class, horizon=h, level=level, as_of=as_of)
            if due:
                kept = None
        if kept is not None:
            chosen[index], mase[index], bias[index], windows[index] = kept.method, kept.mase, kept.bias, kept.windows
            offsets[index], selected_on[index], reselected[index] = (kept.residual_lo, kept.residual_hi), kept.selected_on, False
        elif windows[index]:
            cells[(menu(classification.demand_class, frequency), windows[index])].append(index)
    for (names, count), indexes in cells.items():
        values = [group[i][0].demand for i in indexes]
        observed = [group[i][0].observed for i in indexes]
        forecasts = cross_validate(values, names, frequency=frequency, h=h, windows=count, n_jobs=n_jobs)
        y, seen = actuals(values, observed, h=h, windows=count)
        scales = np.array([naive_scale(v[: len(v) - h * count], o[: len(o) - h * count]) for v, o in zip(values, observed)])
        table = {}
        for name in names:
            window_mase, window_bias = window_scores(forecasts[name], y, seen, scales)
            table[name] = (_nanmean(window_mase, 1), _nanmean(window_bias, 1))
        best = best_methods([table[name][0] for name in names])
        for row, index in enumerate(indexes):
            name = names[best[row]]
            chosen[index] = name
            score = table[name][0][row]
            mase[index] = None if np.isnan(score) else float(score)
            bias[index] = None if np.isnan(table[name][1][row]) else float(table[name][1][row])
            offsets[index] = residual_offsets((y[row] - forecasts[name][row])[seen[row]], level)
    mean, lo, hi = forecast_fit([s.demand for s, _ in group], chosen, frequency=frequency, h=h, level=level, n_jobs=n_jobs)
    results = []
    for index, (series, classification) in enumerate(group):
        m = np.clip(mean[index], 0, None)
        if np.isnan(lo[index]).any():
            low, high = mean[index] + offsets[index][0], mean[index] + offsets[index][1]
        else:
            low, high = lo[index], hi[index]
        results.append(SeriesForecast(
            series=series, classification=classification, method=chosen[index], mase=mase[index], bias=bias[index],
            scale=naive_scale(series.demand, series.observed), windows=windows[index],
            mean=m, lo=np.minimum(np.clip(low, 0, None), m), hi=np.maximum(np.clip(high, 0, None), m),
            residual_lo=offsets[index][0], residual_hi=offsets[index][1], selected_on=selected_on[index], reselected=reselected[index],
        ))
    return results

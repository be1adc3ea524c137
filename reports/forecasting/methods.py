"""The statsforecast models each demand class may use, by frequency.

Frequent demand (smooth, erratic) gets exponential smoothing with a weekly season (AutoETS,
restricted to no trend and additive season on days: the full automatic search costs ten times
as much and the trend models extrapolate a 28-day horizon badly), the seasonal naive, the
seasonal window average and the historic average. Intermittent and lumpy demand gets
Croston (optimised and SBA), TSB, ADIDA and IMAPA, with the same seasonal naive and averages so
a series misclassed by a short history can still land on them. Weekly series have no season.

``NATIVE_INTERVALS``: the models whose prediction intervals statsforecast computes; the others'
come from the backtest's residuals (``backtest.empirical_interval``).
"""

from __future__ import annotations

from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoETS,
    CrostonOptimized,
    CrostonSBA,
    HistoricAverage,
    Naive,
    SeasonalNaive,
    SeasonalWindowAverage,
    WindowAverage,
)

FREQUENT = ("smooth", "erratic")
SPARSE = ("intermittent", "lumpy")
NATIVE_INTERVALS = {"AutoETS", "SeasonalNaive", "Naive", "HistoricAverage"}
# What a series too short to backtest gets: it has native intervals and needs little history.
SHORT_HISTORY_METHOD = "HistoricAverage"


def _models(frequency: str) -> dict[str, object]:
    if frequency == "daily":
        return {
            "AutoETS": AutoETS(season_length=7, model="ZNA", alias="AutoETS"),
            "SeasonalNaive": SeasonalNaive(season_length=7, alias="SeasonalNaive"),
            "SeasonalWindowAverage": SeasonalWindowAverage(season_length=7, window_size=4, alias="SeasonalWindowAverage"),
            "HistoricAverage": HistoricAverage(alias="HistoricAverage"),
            "Naive": Naive(alias="Naive"),
            "CrostonOptimized": CrostonOptimized(alias="CrostonOptimized"),
            "CrostonSBA": CrostonSBA(alias="CrostonSBA"),
            "TSB": TSB(alpha_d=0.1, alpha_p=0.1, alias="TSB"),
            "ADIDA": ADIDA(alias="ADIDA"),
            "IMAPA": IMAPA(alias="IMAPA"),
        }
    return {
        "AutoETS": AutoETS(season_length=1, model="ZZN", alias="AutoETS"),
        "Naive": Naive(alias="Naive"),
        "WindowAverage": WindowAverage(window_size=4, alias="WindowAverage"),
        "HistoricAverage": HistoricAverage(alias="HistoricAverage"),
        "CrostonOptimized": CrostonOptimized(alias="CrostonOptimized"),
        "CrostonSBA": CrostonSBA(alias="CrostonSBA"),
        "TSB": TSB(alpha_d=0.1, alpha_p=0.1, alias="TSB"),
        "ADIDA": ADIDA(alias="ADIDA"),
        "IMAPA": IMAPA(alias="IMAPA"),
    }


MENUS = {
    ("daily", FREQUENT): ("AutoETS", "SeasonalNaive", "SeasonalWindowAverage", "HistoricAverage", "Naive"),
    ("daily", SPARSE): ("CrostonOptimized", "CrostonSBA", "TSB", "ADIDA", "IMAPA", "SeasonalNaive", "SeasonalWindowAverage", "HistoricAverage"),
    ("weekly", FREQUENT): ("AutoETS", "Naive", "WindowAverage", "HistoricAverage"),
    ("weekly", SPARSE): ("CrostonOptimized", "CrostonSBA", "TSB", "ADIDA", "IMAPA", "Naive", "WindowAverage", "HistoricAverage"),
}

# The baseline every choice is measured against (bench/forecast.py): seasonal naive on days, naive on weeks.
BASELINE = {"daily": "SeasonalNaive", "weekly": "Naive"}


def menu(demand_class: str, frequency: str) -> tuple[str, ...]:
    """The method names a series of ``demand_class`` may be forecast with, in order of preference on ties."""
    return MENUS[(frequency, FREQUENT if demand_class in FREQUENT else SPARSE)]


def all_methods(frequency: str) -> tuple[str, ...]:
    return tuple(_models(frequency))


def models_named(names: tuple[str, ...], frequency: str) -> list[object]:
    """Fresh statsforecast model objects (they keep fitted state) for ``names``."""
    models = _models(frequency)
    return [models[name] for name in names]

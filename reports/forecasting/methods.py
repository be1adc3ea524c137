"""The statsforecast models each demand class may use, by frequency.

The first of a menu is its default, which another method must beat by ``backtest.SWITCH_MARGIN``
to be chosen. Smooth and erratic demand start with exponential smoothing (AutoETS: on days no
trend and an additive weekly season, as the full automatic search costs ten times as much and its
trend models extrapolate a 28-day horizon badly; on weeks no season), the method that did best as
a single method on the synthetic series of ``bench/forecast.py``; smooth adds the seasonal window
average, the seasonal naive and the historic average; erratic adds the Croston family's SBA, ADIDA
and TSB (they did best on it). Intermittent and lumpy demand start with Croston's method with the
Syntetos-Boylan correction (SBA), the method their classification scheme was drawn up to pick, and
add AutoETS, TSB, Croston (optimised), ADIDA, IMAPA and the historic average: on the demo's
histories, mostly lumpy, SBA was the best single method and a default of AutoETS made the choice
lose to it whenever the backtest's noise kept AutoETS. The naives are left out of the sparse menus
on purpose: a forecast of the last value (mostly 0) can win on absolute error by chance and would
then tell replenishment to buy nothing.

``NATIVE_INTERVALS``: the models whose prediction intervals statsforecast computes; the others'
come from the backtest's residuals (``backtest.residual_offsets``).
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
    ("daily", "smooth"): ("AutoETS", "SeasonalWindowAverage", "SeasonalNaive", "HistoricAverage"),
    ("daily", "erratic"): ("AutoETS", "CrostonSBA", "ADIDA", "TSB", "HistoricAverage", "SeasonalWindowAverage"),
    ("daily", "sparse"): ("CrostonSBA", "AutoETS", "TSB", "ADIDA", "IMAPA", "CrostonOptimized", "HistoricAverage"),
    ("weekly", "smooth"): ("AutoETS", "WindowAverage", "Naive", "HistoricAverage"),
    ("weekly", "erratic"): ("AutoETS", "CrostonSBA", "ADIDA", "TSB", "HistoricAverage", "WindowAverage"),
    ("weekly", "sparse"): ("CrostonSBA", "AutoETS", "TSB", "ADIDA", "IMAPA", "CrostonOptimized", "HistoricAverage"),
}


def menu(demand_class: str, frequency: str) -> tuple[str, ...]:
    """The method names a series of ``demand_class`` may be forecast with, in order of preference on ties."""
    return MENUS[(frequency, demand_class if demand_class in FREQUENT else "sparse")]


def all_methods(frequency: str) -> tuple[str, ...]:
    return tuple(_models(frequency))


def models_named(names: tuple[str, ...], frequency: str) -> list[object]:
    """Fresh statsforecast model objects (they keep fitted state) for ``names``."""
    models = _models(frequency)
    return [models[name] for name in names]

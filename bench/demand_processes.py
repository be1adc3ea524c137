"""Daily demand drawn from known generating processes, for the planning benches (forecast accuracy
and the replenishment simulation). Each process is one of the four demand classes of Syntetos and
Boylan's scheme (smooth, erratic, intermittent, lumpy) plus a trend and a seasonal variant of the
smooth class, so a method that suits one class and fails another shows it.

Every draw comes from a ``numpy.random.Generator`` the caller seeds, so a run is repeatable and a
different seed is a different, untuned instance. Quantities are whole units, never negative.
"""

from dataclasses import dataclass

import numpy as np

KINDS = ("smooth_seasonal", "trend", "erratic", "intermittent", "lumpy")

# A week in a shop: quieter early in the week, busiest on Friday and Saturday (mean 1.0).
WEEKLY = np.array([0.85, 0.9, 0.95, 1.0, 1.15, 1.2, 0.95])


@dataclass(frozen=True)
class DemandSeries:
    kind: str
    values: np.ndarray  # int64, one figure per day, day 0 a Monday


def _weekly(days: int) -> np.ndarray:
    return WEEKLY[np.arange(days) % 7]


def demand_series(kind: str, days: int, rng: np.random.Generator) -> DemandSeries:
    """One series of ``days`` days of ``kind`` demand, its parameters drawn from ``rng`` too."""
    t = np.arange(days)
    if kind == "smooth_seasonal":
        level = rng.uniform(8, 40)
        yearly = 1 + rng.uniform(0.1, 0.35) * np.sin(2 * np.pi * (t + rng.integers(0, 365)) / 365.25)
        values = rng.poisson(level * _weekly(days) * yearly)
    elif kind == "trend":
        start = rng.uniform(5, 25)
        slope = rng.choice([-1, 1]) * rng.uniform(0.2, 0.8) * start / max(days, 1)
        values = rng.poisson(np.clip(start + slope * t, 0.5, None) * _weekly(days))
    elif kind == "erratic":
        # Demand most days, sizes spread wide: squared coefficient of variation above 0.49.
        mean, dispersion = rng.uniform(4, 20), rng.uniform(0.6, 1.2)
        values = rng.negative_binomial(dispersion, dispersion / (dispersion + mean), size=days)
    elif kind == "intermittent":
        # Few demand days (average interval above 1.32), sizes alike when they come.
        p = rng.uniform(0.08, 0.35)
        values = np.where(rng.random(days) < p, 1 + rng.poisson(rng.uniform(0.5, 3), size=days), 0)
    elif kind == "lumpy":
        # Few demand days and sizes that vary a lot.
        p = rng.uniform(0.05, 0.25)
        sizes = np.ceil(rng.lognormal(mean=rng.uniform(0.5, 2.0), sigma=rng.uniform(0.8, 1.3), size=days))
        values = np.where(rng.random(days) < p, sizes, 0)
    else:
        raise ValueError(f"unknown demand kind {kind!r}; one of {', '.join(KINDS)}")
    return DemandSeries(kind=kind, values=np.asarray(values, dtype=np.int64))


def demand_portfolio(count: int, days: int, *, seed: int, kinds: tuple[str, ...] = KINDS) -> list[DemandSeries]:
    """``count`` series, the kinds in turn, from one seed."""
    rng = np.random.default_rng(seed)
    return [demand_series(kinds[i % len(kinds)], days, rng) for i in range(count)]

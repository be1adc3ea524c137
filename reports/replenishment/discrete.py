"""Demand over a window as a discrete distribution (units 0, 1, 2, ...), and the class allocation
that plans for the least units on hand rather than the least reorder points.

Why (measured in ``bench/replenishment.py``, see README): class C is mostly intermittent and lumpy
SKUs. A normal or gamma curve of the same mean and spread misplaces their demand over ``L+R``,
which has a mass at zero (no demand day at all) and a tail of a few large sizes, and equal chances
of a stockout per cycle spend stock where one more unit buys little fill.

- **Compound demand** (intermittent series: average demand interval above ``INTERMITTENT_ABOVE``
  days): each day has demand with probability ``p`` (the share of demand days in the history),
  of a size drawn from the sizes the history saw. Over ``n`` whole days the number of demand days
  is binomial ``B(n, p)``; the units are the sum of that many sizes: the distribution is
  ``Σ_k P(K = k)·f^{*k}`` (``f^{*k}`` the size distribution convolved ``k`` times). ``p`` is
  scaled so that ``p·E[size]`` is the forecast's daily mean, and mixed over its estimation error
  (three points, ``p̂ ± √3·√(p̂(1-p̂)/N)`` weighted 1/6, 2/3, 1/6: the normal's Gauss-Hermite
  rule), so a short history does not pretend to know ``p`` exactly.
- **Other series**: the normal (``σ/μ`` up to 0.5) or negative binomial (the discrete analogue of
  the gamma: same mean and variance) over whole units, from the same ``μ`` and ``σ`` as
  :func:`policy.levels_plan`.
- **Lead time**: the window is mixed over whole-day lead times, a gamma of the mean and spread
  (each day ``ℓ`` weighted by the gamma's mass over ``[ℓ - ½, ℓ + ½)``): ``D_L`` mixes the
  windows of ``ℓ`` days, ``D_{L+R}`` those of ``ℓ + R``.
- **Per cycle, for a position ``y`` after the review** (with backorders): units short
  ``ESC(y) = n_{L+R}(y) - n_L(y)`` and units on hand ``H(y) ≈ ½·(E[(y - D_L)⁺] + E[(y - D_{L+R})⁺])``
  (the stock when the order lands and when the next one does), each averaged over the positions
  ``s+1 … s+Q`` a review leaves.
- **Class allocation** (``class_levels_plan(..., allocation="inventory")``): minimise
  ``Σ H_i(s_i)`` subject to ``Σ ESC_i(s_i) ≤ (1 - β)·Σ μ_R,i``; for a multiplier ``λ`` every SKU
  takes the ``s`` that minimises ``H_i(s) + λ·ESC_i(s)`` over all whole ``s`` (no convexity
  needed), and ``λ`` is bisected until the class meets its fill rate. A unit goes where it saves
  the most units short per unit on hand, which is what the class's fill rate and its stock are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

INTERMITTENT_ABOVE = 1.32  # average demand interval (days) above which a series is intermittent
HISTORY_DAYS = 182  # the history the compound model reads (the most recent days)
_GAUSS_HERMITE = ((-math.sqrt(3), 1 / 6), (0.0, 2 / 3), (math.sqrt(3), 1 / 6))
_TAIL = 1e-7  # probability mass a distribution's grid may leave out


def average_demand_interval(history: Sequence[float]) -> float:
    """Days per demand day over ``history`` (``inf`` without demand)."""
    days = np.asarray(history, dtype=float)
    demand_days = int(np.count_nonzero(days > 0))
    return len(days) / demand_days if demand_days else math.inf


def is_intermittent(history: Sequence[float] | None) -> bool:
    if history is None or len(history) < 28:
        return False
    return average_demand_interval(list(history)[-HISTORY_DAYS:]) > INTERMITTENT_ABOVE


def size_distribution(history: Sequence[float]) -> np.ndarray:
    """The sizes of the demand days in ``history`` as a distribution over 0, 1, 2, ... units
    (sizes rounded to whole units, at least one)."""
    days = np.asarray(history, dtype=float)
    sizes = np.maximum(1, np.rint(days[days > 0])).astype(int)
    if not len(sizes):
        return np.array([1.0])
    counts = np.bincount(sizes).astype(float)
    return counts / counts.sum()


def lead_time_weights(mean: float, spread: float) -> dict[int, float]:
    """Whole-day lead times and their weights: a gamma of ``mean`` and ``spread`` (standard
    deviation), day ``ℓ`` taking the mass over ``[ℓ - ½, ℓ + ½)``; without a spread the mean's two
    neighbouring days pro rata."""
    if spread <= 0 or mean <= 0:
        low = math.floor(mean)
        part = mean - low
        return {low: 1 - part, low + 1: part} if part > 0 else {low: 1.0}
    from .policy import _gamma_upper  # the same incomplete gamma as the continuous policy

    shape = (mean / spread) ** 2
    scale = spread**2 / mean
    top = math.ceil(mean + 8 * spread) + 1
    cdf = [1 - _gamma_upper(shape, max(day - 0.5, 0.0) / scale) if day > 0 else 0.0 for day in range(top + 2)]
    weights = {day: cdf[day + 1] - cdf[day] for day in range(top + 1)}
    weights = {day: w for day, w in weights.items() if w > 1e-9}
    total = sum(weights.values())
    return {day: w / total for day, w in weights.items()}


_LOG_FACTORIALS = np.zeros(1)


def _log_factorials(top: int) -> np.ndarray:
    """``log(k!)`` for ``k = 0 … top`` (at least), kept between calls."""
    global _LOG_FACTORIALS
    if len(_LOG_FACTORIALS) <= top:
        _LOG_FACTORIALS = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, 2 * top + 2)))])
    return _LOG_FACTORIALS


def _binomial_weights(days: int, occurrence: float) -> np.ndarray:
    """``P(K = k)`` for ``k = 0 … days``, ``K ~ B(days, occurrence)``."""
    counts = np.arange(days + 1)
    if occurrence >= 1:
        return (counts == days).astype(float)
    log_factorial = _log_factorials(days)
    log_choose = log_factorial[days] - log_factorial[counts] - log_factorial[days - counts]
    return np.exp(log_choose + counts * math.log(occurrence) + (days - counts) * math.log1p(-occurrence))


def _size_powers(sizes: np.ndarray, count: int) -> np.ndarray:
    """Row ``k``: the sum of ``k`` independent sizes (``f^{*k}``), ``k = 0 … count``."""
    width = (len(sizes) - 1) * count + 1
    powers = np.zeros((count + 1, width))
    powers[0, 0] = 1.0
    power = np.array([1.0])
    for k in range(1, count + 1):
        power = np.convolve(power, sizes)
        powers[k, : len(power)] = power
    return powers


def _occurrences_needed(days: int, occurrence: float) -> int:
    """The fewest demand days that hold all but ``_TAIL`` of ``B(days, occurrence)``."""
    if days <= 0 or occurrence <= 0:
        return 0
    cumulative = np.cumsum(_binomial_weights(days, min(occurrence, 1.0)))
    return min(days, int(np.searchsorted(cumulative, 1 - _TAIL)) + 1)


def _compound(occurrence: float, days: int, powers: np.ndarray) -> np.ndarray:
    if days <= 0 or occurrence <= 0:
        return np.array([1.0])
    weights = _binomial_weights(days, min(occurrence, 1.0))
    count = min(days, len(powers) - 1)
    return weights[: count + 1] @ powers[: count + 1]


def compound_pmf(occurrence: float, sizes: np.ndarray, days: int) -> np.ndarray:
    """Units demanded over ``days`` whole days when each day has demand with probability
    ``occurrence`` and a size from ``sizes`` (a distribution over 0, 1, 2, ... units):
    ``Σ_k C(days, k)·p^k·(1-p)^(days-k)·f^{*k}``."""
    sizes = np.asarray(sizes, dtype=float)
    return _trim(_compound(occurrence, days, _size_powers(sizes, _occurrences_needed(days, occurrence))))


def _trim(pmf: np.ndarray) -> np.ndarray:
    pmf = np.clip(pmf, 0, None)
    keep = int(np.searchsorted(np.cumsum(pmf), pmf.sum() * (1 - _TAIL))) + 1
    pmf = pmf[: max(keep, 1)]
    return pmf / pmf.sum()


def moment_pmf(mean: float, sigma: float) -> np.ndarray:
    """Whole units with ``mean`` and spread ``sigma``: the normal when ``σ/μ`` is at most 0.5 (its
    mass over ``[x - ½, x + ½)``, what falls below zero put on zero), else the negative binomial of
    that mean and variance (the Poisson when the variance is not above the mean)."""
    if mean <= 0:
        return np.array([1.0])
    if sigma <= 0:
        low = math.floor(mean)
        pmf = np.zeros(low + 2)
        pmf[low] += low + 1 - mean
        pmf[low + 1] += mean - low
        return _trim(pmf)
    top = int(math.ceil(mean + 12 * sigma + 10))
    x = np.arange(top + 1, dtype=float)
    if sigma / mean <= 0.5:
        edges = (np.arange(top + 2) - 0.5 - mean) / (sigma * math.sqrt(2))
        cdf = 0.5 * (1 + np.array([math.erf(e) for e in edges]))
        cdf[0] = 0.0
        return _trim(np.diff(cdf))
    variance = sigma * sigma
    if variance <= mean:  # Poisson
        log_pmf = x * math.log(mean) - mean - np.array([math.lgamma(k + 1) for k in x])
        return _trim(np.exp(log_pmf))
    r = mean * mean / (variance - mean)
    q = mean / variance  # success probability
    log_pmf = np.array([math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1) for k in x]) + r * math.log(q) + x * math.log1p(-q)
    return _trim(np.exp(log_pmf))


def _mix(parts: Sequence[tuple[float, np.ndarray]]) -> np.ndarray:
    size = max(len(pmf) for _, pmf in parts)
    total = np.zeros(size)
    for weight, pmf in parts:
        total[: len(pmf)] += weight * pmf
    return total / total.sum()


def compound_windows(history: Sequence[float], daily_mean: float, lead_mean: float, lead_spread: float, review: int) -> tuple[np.ndarray, np.ndarray]:
    """``(D_{L+R}, D_L)`` as distributions over whole units for an intermittent series: compound
    demand (the module's docstring) from the last ``HISTORY_DAYS`` days of ``history``, its daily
    mean scaled to ``daily_mean``, mixed over the lead time and the occurrence's estimation error."""
    recent = np.asarray(list(history)[-HISTORY_DAYS:], dtype=float)
    sizes = size_distribution(recent)
    mean_size = float(np.dot(np.arange(len(sizes)), sizes))
    observed = float(np.count_nonzero(recent > 0)) / max(len(recent), 1)
    occurrence = min(1.0, daily_mean / mean_size) if mean_size > 0 else 0.0
    error = math.sqrt(max(observed * (1 - observed), 0.0) / max(len(recent), 1))
    points = [(min(1.0, max(occurrence + z * error * occurrence / observed, 0.0)) if observed > 0 else occurrence, w) for z, w in _GAUSS_HERMITE]
    leads = lead_time_weights(lead_mean, lead_spread)
    longest = max(leads) + review
    powers = _size_powers(sizes, max(_occurrences_needed(longest, p) for p, _ in points))
    cache: dict[int, np.ndarray] = {}

    def window(days: int) -> np.ndarray:
        if days not in cache:
            cache[days] = _mix([(w, _compound(p, days, powers)) for p, w in points])
        return cache[days]

    horizon = _mix([(w, window(day + review)) for day, w in leads.items()])
    lead = _mix([(w, window(day)) for day, w in leads.items()])
    return _trim(horizon), _trim(lead)


def cycle_curves(horizon: np.ndarray, lead: np.ndarray, minimum_order: int, top: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For every reorder point ``s = 0 … top``: the units short per cycle and the mean units on hand
    (module docstring), averaged over the positions ``s+1 … s+Q`` a review leaves."""
    q = max(1, int(minimum_order))
    size = max(len(horizon), len(lead)) + q + 1
    top = size if top is None else top
    grid = np.arange(top + q + 1, dtype=float)

    def loss_and_holding(pmf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        padded = np.zeros(len(grid))
        padded[: min(len(pmf), len(grid))] = pmf[: len(grid)]
        mean = float(np.dot(np.arange(len(pmf)), pmf))
        above = 1 - np.cumsum(padded)  # P(D > y)
        # partial[y] = Σ_{x < y} P(D > x) = E[min(D, y)]; n(y) = E[D] - E[min(D, y)]
        partial = np.concatenate([[0.0], np.cumsum(np.clip(above, 0, None))[:-1]])
        loss = np.clip(mean - partial, 0, None)
        holding = grid - partial  # E[(y - D)⁺] = y - E[min(D, y)]
        return loss, holding

    loss_h, hold_h = loss_and_holding(horizon)
    loss_l, hold_l = loss_and_holding(lead)
    short = loss_h - loss_l
    holding = 0.5 * (hold_h + hold_l)
    kernel = np.ones(q) / q
    # position y = s + j for j = 1 … Q: average over grid[s+1 : s+q+1]
    short_avg = np.convolve(short, kernel, mode="valid")[1 : top + 2]
    hold_avg = np.convolve(holding, kernel, mode="valid")[1 : top + 2]
    return short_avg, hold_avg


def allocate(curves: Sequence[tuple[np.ndarray, np.ndarray]], allowed_short: float) -> tuple[list[int], float]:
    """Reorder points (one per SKU, indexes into each SKU's curves) minimising the units on hand
    with the class's units short per cycle at most ``allowed_short``: for a multiplier ``λ`` each
    SKU takes ``argmin_s H(s) + λ·ESC(s)``; ``λ`` bisected on a log scale. Returns the reorder
    points and the units short they leave."""

    def choose(multiplier: float) -> tuple[list[int], float]:
        points = [int(np.argmin(holding + multiplier * short)) for short, holding in curves]
        return points, float(sum(curves[i][0][s] for i, s in enumerate(points)))

    low, high = math.log(1e-3), math.log(1e7)
    best = choose(math.exp(high))
    for _ in range(40):
        middle = (low + high) / 2
        trial = choose(math.exp(middle))
        if trial[1] > allowed_short:
            low = middle
        else:
            high, best = middle, trial
        if high - low < 1e-4:
            break
    return best

"""Discrete demand over a window and the class allocation by units on hand
(reports/replenishment/discrete.py), against closed forms and brute-force simulations with fixed
seeds (tolerances a few standard errors wide)."""

import math

import numpy as np
import pytest

from reports.replenishment import discrete
from reports.replenishment.policy import PlanningInput, PolicyInputError, class_levels_plan


def moments(pmf: np.ndarray) -> tuple[float, float]:
    x = np.arange(len(pmf))
    mean = float(np.dot(x, pmf))
    return mean, float(np.dot((x - mean) ** 2, pmf))


def test_compound_mean_and_variance_match_the_closed_form():
    # Sizes 1, 2, 5 with probabilities 0.5, 0.3, 0.2: E[size] = 0.5 + 0.6 + 1.0 = 2.1,
    # E[size²] = 0.5 + 1.2 + 5.0 = 6.7, Var = 6.7 - 4.41 = 2.29. Over 20 days at p = 0.15:
    # mean = n·p·E = 6.3; variance = n·(p·Var + p·(1-p)·E²) = 20·(0.3435 + 0.562275) = 18.1155.
    sizes = np.array([0, 0.5, 0.3, 0, 0, 0.2])
    pmf = discrete.compound_pmf(0.15, sizes, 20)
    mean, variance = moments(pmf)
    assert pmf.sum() == pytest.approx(1.0)
    assert mean == pytest.approx(6.3, abs=1e-4)
    assert variance == pytest.approx(18.1155, abs=1e-3)
    # No demand at all over the window: (1 - p)^n.
    assert pmf[0] == pytest.approx(0.85**20, rel=1e-6)


def test_compound_matches_a_simulation():
    rng = np.random.default_rng(7)
    sizes = np.array([0, 0.6, 0.25, 0.15])
    days, occurrence, runs = 12, 0.3, 200_000
    demand_days = rng.random((runs, days)) < occurrence
    drawn = rng.choice(len(sizes), p=sizes, size=(runs, days))
    totals = (demand_days * drawn).sum(axis=1)
    simulated = np.bincount(totals, minlength=40)[:40] / runs
    pmf = discrete.compound_pmf(occurrence, sizes, days)
    exact = np.zeros(40)
    exact[: min(40, len(pmf))] = pmf[:40]
    assert np.abs(simulated - exact).max() < 0.004  # a standard error is at most 0.0011


def test_size_distribution_and_demand_interval_from_history():
    history = [0, 2, 0, 0, 1, 2, 0, 5]
    assert discrete.average_demand_interval(history) == pytest.approx(2.0)
    assert discrete.size_distribution(history).tolist() == pytest.approx([0, 0.25, 0.5, 0, 0, 0.25])
    assert discrete.average_demand_interval([0, 0]) == math.inf
    assert not discrete.is_intermittent([3] * 60)
    assert discrete.is_intermittent([0, 0, 4] * 20)
    assert not discrete.is_intermittent(None)


@pytest.mark.parametrize(("mean", "sigma"), [(40.0, 8.0), (12.0, 9.0), (5.0, 1.5)])
def test_moment_pmf_keeps_the_mean_and_spread(mean, sigma):
    # Normal (σ/μ 0.2), negative binomial (0.75), Poisson (variance 2.25 < mean 5: spread √5).
    pmf = discrete.moment_pmf(mean, sigma)
    got_mean, got_variance = moments(pmf)
    assert got_mean == pytest.approx(mean, rel=0.01)
    expected = max(sigma * sigma, mean) if sigma / mean > 0.5 else sigma * sigma
    assert got_variance == pytest.approx(expected + (1 / 12 if sigma / mean <= 0.5 else 0), rel=0.02)


def test_lead_time_weights():
    weights = discrete.lead_time_weights(10.0, 3.0)
    assert sum(weights.values()) == pytest.approx(1.0)
    mean = sum(day * w for day, w in weights.items())
    variance = sum((day - mean) ** 2 * w for day, w in weights.items())
    assert mean == pytest.approx(10.0, abs=0.05)
    assert variance == pytest.approx(9.0 + 1 / 12, rel=0.05)  # the gamma's, plus rounding to days
    assert discrete.lead_time_weights(4.25, 0.0) == pytest.approx({4: 0.75, 5: 0.25})
    assert discrete.lead_time_weights(6.0, 0.0) == {6: 1.0}


def test_cycle_curves_match_a_brute_force_cycle():
    # Fixed lead time 5, review 7, compound demand; for a position y after the review the units
    # short in the cycle are (D_5 + D_7' - y)⁺ - (D_5 - y)⁺, the units on hand when the order lands
    # (y - D_5)⁺ and when the next one does (y - D_12)⁺.
    sizes = np.array([0, 0.5, 0.3, 0, 0.2])
    occurrence = 0.25
    horizon = discrete.compound_pmf(occurrence, sizes, 12)
    lead = discrete.compound_pmf(occurrence, sizes, 5)
    short, holding = discrete.cycle_curves(horizon, lead, 1)
    rng = np.random.default_rng(3)
    runs = 200_000
    draws = (rng.random((runs, 12)) < occurrence) * rng.choice(len(sizes), p=sizes, size=(runs, 12))
    d5, d12 = draws[:, :5].sum(axis=1), draws.sum(axis=1)
    for reorder in (0, 3, 6, 10):
        y = reorder + 1  # Q = 1: the review leaves the position at s + 1
        assert short[reorder] == pytest.approx(np.mean(np.maximum(d12 - y, 0) - np.maximum(d5 - y, 0)), abs=0.02)
        assert holding[reorder] == pytest.approx(np.mean(0.5 * (np.maximum(y - d5, 0) + np.maximum(y - d12, 0))), abs=0.02)
    # Q = 4 averages the positions s+1 … s+4.
    short4, _ = discrete.cycle_curves(horizon, lead, 4)
    assert short4[2] == pytest.approx(np.mean(short[2:6]))


def test_fill_rate_of_the_curves_matches_a_simulated_year():
    # A base stock y = s + 1 reviewed weekly with a fixed lead time of 3 days and backorders, the
    # bench's day: arrivals first (serving backorders), the review, then the day's demand. The fill
    # rate 1 - ESC(s)/μ_R holds within simulation noise.
    sizes = np.array([0, 0.4, 0.3, 0.2, 0.1])
    occurrence, lead_days, review, reorder = 0.3, 3, 7, 5
    short, _ = discrete.cycle_curves(discrete.compound_pmf(occurrence, sizes, lead_days + review), discrete.compound_pmf(occurrence, sizes, lead_days), 1)
    mu_review = occurrence * 2.0 * review
    predicted = 1 - short[reorder] / mu_review
    rng = np.random.default_rng(11)
    days = 7 * 4000
    demand = (rng.random(days) < occurrence) * rng.choice(len(sizes), p=sizes, size=days)
    on_hand, backorders, on_order = reorder + 1, 0, 0
    arrivals = np.zeros(days + lead_days + 1, dtype=int)
    served = 0
    for day in range(days):
        on_hand += arrivals[day]
        on_order -= arrivals[day]
        late = min(on_hand, backorders)
        on_hand -= late
        backorders -= late
        if day % review == 0:
            position = on_hand - backorders + on_order
            if position <= reorder:
                arrivals[day + lead_days] += reorder + 1 - position
                on_order += reorder + 1 - position
        today = min(on_hand, demand[day])
        served += today
        on_hand -= today
        backorders += demand[day] - today
    assert served / demand.sum() == pytest.approx(predicted, abs=0.01)


def test_allocate_finds_the_least_stock_that_meets_the_class():
    # Two SKUs, curves small enough to search every pair.
    rng = np.random.default_rng(5)
    curves = []
    for mean in (4.0, 9.0):
        pmf_h = discrete.moment_pmf(mean * 2, mean)
        pmf_l = discrete.moment_pmf(mean, mean * 0.7)
        curves.append(discrete.cycle_curves(pmf_h, pmf_l, int(rng.integers(1, 4)), top=40))
    allowed = 0.3 * (curves[0][0][0] + curves[1][0][0])
    points, short = discrete.allocate(curves, allowed)
    assert short <= allowed
    held = curves[0][1][points[0]] + curves[1][1][points[1]]
    cheapest = min(curves[0][1][a] + curves[1][1][b] for a in range(41) for b in range(41) if curves[0][0][a] + curves[1][0][b] <= allowed)
    assert held == pytest.approx(cheapest, rel=0.03)  # the multiplier's solution, within a unit's step


def test_class_plan_by_inventory_reaches_the_class_fill_rate():
    steady = PlanningInput(daily_forecast=[10.0] * 30, forecast_error=4.0, lead_time_days=9, review_period_days=7, fill_rate=0.9)
    history = ([0] * 5 + [3, 0, 0, 1, 0, 0, 6]) * 20
    lumpy = PlanningInput(daily_forecast=[10 / 12] * 30, forecast_error=2.0, lead_time_days=9, review_period_days=7, fill_rate=0.9, lead_time_spread_days=2.0, demand_history=history)
    levels = class_levels_plan([steady, lumpy], 0.9, allocation="inventory")
    assert [lv.distribution for lv in levels] == ["normal", "compound"]
    demand = [lv.review_demand for lv in levels]
    class_fill = sum(lv.fill_rate * d for lv, d in zip(levels, demand, strict=True)) / sum(demand)
    assert class_fill >= 0.9 - 1e-9
    assert class_fill < 0.92  # no more than the class needs
    assert all(lv.order_up_to == lv.reorder_point + 1 for lv in levels)
    # The steady SKU, where a unit buys the most fill, is served above the class's rate.
    assert levels[0].fill_rate > 0.9 > levels[1].fill_rate


def test_unknown_allocation_is_refused():
    steady = PlanningInput(daily_forecast=[10.0] * 30, forecast_error=4.0, lead_time_days=9, review_period_days=7, fill_rate=0.9)
    with pytest.raises(PolicyInputError, match="inventory"):
        class_levels_plan([steady], 0.9, allocation="cheapest")

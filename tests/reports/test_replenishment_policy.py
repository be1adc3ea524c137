"""The replenishment policy's arithmetic on hand-worked cases (reports/replenishment/policy.py).

The figures expected are worked by hand in the comments; normal loss values
``G(k) = φ(k) - k·(1 - Φ(k))`` come from a standard normal table."""

import dataclasses
import math
from decimal import Decimal

import pytest
from django.conf import settings

from reports.replenishment.policy import (
    DEFAULT_SERVICE_LEVELS,
    EmpiricalDemand,
    LocationStock,
    OrderLine,
    OrderRules,
    PlanningInput,
    PolicyInputError,
    StockFigures,
    Transfer,
    class_levels_plan,
    empirical_loss,
    forecast_sum,
    gamma_loss,
    levels_plan,
    normal_loss,
    order_minimum_top_up,
    quantity_round,
    service_level_for,
    suggestion_build,
    transfers_plan,
    window_sums,
)


def plan(**overrides) -> PlanningInput:
    # A steady SKU: 10 a day, lead time 9 days, weekly review, daily forecast error 5, 95% fill.
    figures = dict(daily_forecast=[10.0] * 30, forecast_error=5.0, lead_time_days=9, review_period_days=7, fill_rate=0.95, distribution="normal")
    figures.update(overrides)
    return PlanningInput(**figures)


def test_position_adds_what_is_coming_and_takes_what_is_promised():
    # 50 on hand - 8 reserved - 5 backordered + 12 incoming + 30 on open purchase orders = 79
    stock = StockFigures(on_hand=50, reserved=8, backorders=5, incoming=12, open_purchase_orders=30)

    assert stock.position == 79


def test_forecast_over_a_horizon_counts_a_part_day_pro_rata():
    # days [0, 2.5): 1 + 2 + half of 3 = 4.5; days [2.5, 4): the other half of 3 + 4 = 5.5
    assert forecast_sum([1, 2, 3, 4], 0, 2.5) == pytest.approx(4.5)
    assert forecast_sum([1, 2, 3, 4], 2.5, 4) == pytest.approx(5.5)


def test_loss_functions_match_their_closed_forms():
    # Normal at its mean: σ·φ(0) = 20 · 0.398942 = 7.9788
    assert normal_loss(160, 160, 20) == pytest.approx(7.9788, abs=1e-4)
    # Gamma of shape 1 (exponential, mean = spread = 10): E[(D - y)⁺] = 10·e^(-y/10); at y = 10: 3.6788
    assert gamma_loss(10, 10, 10) == pytest.approx(3.6788, abs=1e-4)
    assert gamma_loss(0, 10, 10) == pytest.approx(10)


def test_reorder_point_and_order_up_to_from_forecast_error_without_lead_time_spread():
    # μ_L = 9·10 = 90, μ_R = 7·10 = 70, μ_{L+R} = 160; σ_{L+R} = √(16·5²) = 20, σ_L = √(9·5²) = 15.
    # Units short allowed per cycle: (1 - 0.95)·70 = 3.5. Near y = 160 + 20k the lead-time term
    # 15·G((y-90)/15) is below 1e-6, so 20·G(k) = 3.5, G(k) = 0.175: G(0.57) = 0.1770,
    # G(0.58) = 0.1742, k ≈ 0.577 -> y = 171.54. y is the position a review leaves: s + 1 (the
    # smallest order is 1 unit), so s = 170.54 -> reorder point 171, order-up-to 172, safety stock
    # 170.54 - 160 = 10.54.
    levels = levels_plan(plan())

    assert (levels.horizon_demand, levels.lead_time_demand, levels.review_demand) == (160, 90, 70)
    assert levels.sigma_horizon == pytest.approx(20)
    assert levels.safety_stock == pytest.approx(10.54, abs=0.1)
    assert (levels.reorder_point, levels.order_up_to) == (171, 172)


def test_a_larger_smallest_order_lowers_the_reorder_point():
    # Orders of at least 4 units leave positions s+1 ... s+4 (mean s + 2.5) after a review: their
    # average shortage is 3.5 near s + 2.5 = 171.54, s ≈ 169.04 (a touch more: the loss is convex)
    # -> reorder point 169, order-up-to 170.
    levels = levels_plan(plan(minimum_order=4))

    assert (levels.reorder_point, levels.order_up_to) == (169, 170)


def test_lead_time_spread_adds_safety_stock():
    # σ_L = 2 days: σ_{L+R} = √(16·25 + 10²·2²) = √800 = 28.28 (σ of the lead-time window √(9·25 + 400) = 25,
    # its term about 0.004). G(k) = 3.5/28.28 = 0.1237: G(0.75) = 0.1311, G(0.80) = 0.1202,
    # k ≈ 0.783 -> y = s + 1 = 160 + 22.15 = 182.15, s = 181.15 -> reorder point 181, order-up-to
    # 182, safety stock 21.15 (10.54 without the spread).
    levels = levels_plan(plan(lead_time_spread_days=2))

    assert levels.sigma_horizon == pytest.approx(math.sqrt(800))
    assert levels.safety_stock == pytest.approx(21.15, abs=0.2)
    assert (levels.reorder_point, levels.order_up_to) == (181, 182)


def test_a_higher_target_needs_more_stock():
    assert levels_plan(plan(fill_rate=0.99)).reorder_point > levels_plan(plan(fill_rate=0.95)).reorder_point > levels_plan(plan(fill_rate=0.90)).reorder_point


def test_no_forecast_error_and_a_fixed_lead_time_give_the_forecast_less_the_shortage_the_target_allows():
    # σ = 0: demand over L+R is exactly 5·10 + 7·10 = 120. A 96% fill rate allows 0.04·70 = 2.8
    # units short per cycle: a review leaves s + 1, short 120 - (s + 1) = 2.8 -> s = 116.2 -> 116,
    # S = 117, safety stock 116.2 - 120 = -3.8.
    levels = levels_plan(plan(daily_forecast=[10.0] * 20, forecast_error=0, lead_time_days=5, fill_rate=0.96))

    assert levels.sigma_horizon == 0
    assert (levels.reorder_point, levels.order_up_to) == (116, 117)
    assert levels.safety_stock == pytest.approx(-3.8, abs=0.01)


def test_zero_demand_orders_only_for_backorders():
    levels = levels_plan(plan(daily_forecast=[0.0] * 30, forecast_error=0))

    assert (levels.reorder_point, levels.order_up_to, levels.safety_stock) == (0, 0, 0)
    assert suggestion_build(plan=plan(daily_forecast=[0.0] * 30), stock=StockFigures(on_hand=0)).quantity == 0
    # 3 backordered: position -3 <= 0, order 0 - (-3) = 3
    assert suggestion_build(plan=plan(daily_forecast=[0.0] * 30), stock=StockFigures(on_hand=0, backorders=3)).quantity == 3


def test_skewed_demand_is_planned_as_gamma():
    # 0.2 a day with σ_d 1: over 16 days mean 3.2, σ 4, coefficient of variation 1.25 > 0.5.
    levels = levels_plan(plan(daily_forecast=[0.2] * 30, forecast_error=1.0, distribution="auto"))

    assert levels.distribution == "gamma"
    assert levels_plan(plan(distribution="auto")).distribution == "normal"  # 20/160 = 0.125


def test_rounding_to_packs_then_minimum_units_then_minimum_value():
    # 13 -> 3 packs of 6 = 18; minimum 20 units -> 4 packs = 24
    assert quantity_round(13, OrderRules(pack_size=6, minimum_units=20))[0] == 24
    # minimum value 100.00 at 3.50 a unit: 28.57 -> 29 units -> 5 packs of 6 = 30
    quantity, steps = quantity_round(13, OrderRules(pack_size=6, minimum_value=Decimal("100.00"), unit_cost=Decimal("3.50")))
    assert quantity == 30
    assert len(steps) == 2  # to packs, then to the value
    # exact packs and no minimum: nothing to round
    assert quantity_round(12, OrderRules(pack_size=6)) == (12, [])


def test_a_huge_pack_is_ordered_whole():
    quantity, steps = quantity_round(3, OrderRules(pack_size=500))

    assert quantity == 500
    assert steps == ["3 rounded up to 1 pack(s) of 500: 500"]


def test_a_minimum_value_without_a_cost_is_refused():
    with pytest.raises(PolicyInputError) as error:
        quantity_round(5, OrderRules(minimum_value=Decimal("50")))

    assert error.value.code == "unit_cost"


def test_suggestion_orders_up_to_the_level_only_at_or_below_the_reorder_point_and_explains_itself():
    # levels 171 / 172 (worked above); position 120 - 10 - 4 + 0 + 30 = 136 <= 171: raw 172 - 136 = 36, packs of 12 -> 36
    stock = StockFigures(on_hand=120, reserved=10, backorders=4, open_purchase_orders=30)
    suggestion = suggestion_build(plan=plan(), stock=stock, rules=OrderRules(pack_size=12))

    assert (suggestion.position, suggestion.reorder_point, suggestion.order_up_to) == (136, 171, 172)
    assert (suggestion.raw_quantity, suggestion.quantity, suggestion.rounding) == (36, 36, ())
    assert (suggestion.on_hand, suggestion.reserved, suggestion.backorders, suggestion.open_purchase_orders) == (120, 10, 4, 30)
    assert suggestion.forecast_horizon == 160
    assert "at or below the reorder point 171" in suggestion.reason

    above = suggestion_build(plan=plan(), stock=StockFigures(on_hand=172))
    assert (above.raw_quantity, above.quantity) == (0, 0)
    assert "nothing to order" in above.reason


def test_transfers_come_before_buying():
    # North holds 300 against an order-up-to of 200: 100 spare (it can ship 150).
    # East (40, s 60, S 100) lacks 60; West (10, s 50, S 90) lacks 80, the neediest, served first:
    # West gets 80, East the 20 left; East still lacks 40, which is bought.
    locations = [
        LocationStock("north", position=300, reorder_point=120, order_up_to=200, movable=150),
        LocationStock("east", position=40, reorder_point=60, order_up_to=100, movable=40),
        LocationStock("west", position=10, reorder_point=50, order_up_to=90, movable=10),
    ]
    transfers, positions = transfers_plan(locations)

    assert transfers == [Transfer("north", "west", 80), Transfer("north", "east", 20)]
    assert positions == {"north": 200, "east": 60, "west": 90}
    # East's levels (s 60, S 100) with its position after the transfer (60): buy 100 - 60 = 40
    east = dataclasses.replace(levels_plan(plan()), reorder_point=60, order_up_to=100)
    assert suggestion_build(plan=plan(), stock=StockFigures(on_hand=positions["east"]), levels=east).quantity == 40


def test_transfers_take_only_what_the_source_can_ship_and_never_push_it_below_its_level():
    locations = [
        LocationStock("north", position=300, reorder_point=120, order_up_to=200, movable=30),
        LocationStock("south", position=205, reorder_point=120, order_up_to=200, movable=205),
        LocationStock("west", position=10, reorder_point=50, order_up_to=90, movable=10),
    ]
    transfers, positions = transfers_plan(locations)

    # north may give 30 (what it can ship), south 5 (above its 200); west lacks 80 and gets 35
    assert transfers == [Transfer("north", "west", 30), Transfer("south", "west", 5)]
    assert positions == {"north": 270, "south": 200, "west": 45}


def test_no_transfer_when_nobody_is_short():
    locations = [LocationStock("north", position=300, reorder_point=120, order_up_to=200, movable=300), LocationStock("east", position=80, reorder_point=60, order_up_to=100, movable=80)]

    assert transfers_plan(locations) == ([], {"north": 300, "east": 80})


def test_class_plan_meets_the_class_target_with_steady_skus_above_it_and_erratic_ones_below():
    steady = plan(forecast_error=3.0)
    erratic = plan(forecast_error=15.0)
    levels = class_levels_plan([steady, erratic], 0.95, allocation="stockout")
    short = sum((1 - lv.fill_rate) * lv.review_demand for lv in levels)

    # 5% of the class's 140 units a cycle may go short: 7 units
    assert short == pytest.approx(7, abs=0.1)
    assert levels[0].fill_rate > 0.95 > levels[1].fill_rate
    # the same fill rate for less stock than planning each SKU alone
    alone = [levels_plan(steady), levels_plan(erratic)]
    assert sum(lv.reorder_point for lv in levels) < sum(lv.reorder_point for lv in alone)


def test_bad_figures_are_refused_with_what_to_fix():
    with pytest.raises(PolicyInputError) as error:
        levels_plan(plan(daily_forecast=[10.0] * 10))
    assert error.value.code == "daily_forecast" and "covers 10 days; the horizon needs 16" in error.value.message

    with pytest.raises(PolicyInputError) as error:
        levels_plan(plan(fill_rate=1.0))
    assert error.value.code == "fill_rate"

    with pytest.raises(PolicyInputError) as error:
        levels_plan(plan(forecast_error=-1))
    assert error.value.code == "forecast_error"

    with pytest.raises(PolicyInputError) as error:
        service_level_for("D")
    assert error.value.code == "abc_class"


def test_service_levels_per_class_come_from_the_setting():
    assert settings.OMS_REPLENISHMENT_SERVICE_LEVELS == DEFAULT_SERVICE_LEVELS
    assert service_level_for("A", settings.OMS_REPLENISHMENT_SERVICE_LEVELS) == 0.98
    assert service_level_for("C", {"A": 0.99, "B": 0.97, "C": 0.93}) == 0.93


def test_an_order_below_the_supplier_minimum_value_is_topped_up_where_stock_runs_out_first():
    # Order value 10·2.00 + 6·5.00 = 50.00, minimum 80.00. Days of cover after the lines:
    # mugs 30 / 3 a day = 10, plates 12 / 2 a day = 6 -> a pack of plates (6·5.00 = 30.00): 80.00, done.
    lines = [
        OrderLine("mugs", quantity=10, pack_size=10, unit_cost=Decimal("2.00"), position_after=30, daily_demand=3.0),
        OrderLine("plates", quantity=6, pack_size=6, unit_cost=Decimal("5.00"), position_after=12, daily_demand=2.0),
    ]
    quantities, steps = order_minimum_top_up(lines, Decimal("80.00"))

    assert quantities == {"mugs": 10, "plates": 12}
    assert len(steps) == 1
    # A higher minimum, 110.00: plates now have 18/2 = 9 days, mugs 10 -> plates again (110.00).
    assert order_minimum_top_up(lines, Decimal("110.00"))[0] == {"mugs": 10, "plates": 18}
    # Already above the minimum: unchanged.
    assert order_minimum_top_up(lines, Decimal("40.00")) == ({"mugs": 10, "plates": 6}, [])


def test_window_sums_are_the_demand_history_saw_over_the_exposure_window_and_the_lead_time():
    history = [0, 2, 0, 0, 4, 0, 1, 0, 0, 3]
    # L = 2, R = 1: every 3-day sum from the 8 days a 3-day window fits, paired with the first 2 days
    horizon, lead = window_sums(history, lead_time_days=2, review_period_days=1)
    assert horizon == [2, 2, 4, 4, 5, 1, 1, 3]
    assert lead == [2, 2, 0, 4, 4, 1, 1, 0]
    # L = 1.5: a 2.5-day window; from day 0: 0 + 2 + ½·0 = 2 (lead 0 + ½·2 = 1); from day 7: 0 + 0 + ½·3 = 1.5 (lead 0)
    horizon, lead = window_sums(history, lead_time_days=1.5, review_period_days=1)
    assert (horizon[0], lead[0], horizon[-1], lead[-1], len(horizon)) == (2, 1, 1.5, 0, 8)
    # a lead-time spread counts six lead times per start (L + σ_L·z, z the normal sextile midpoints)
    horizon, lead = window_sums([1] * 30, lead_time_days=5, review_period_days=2, lead_time_spread_days=1)
    assert sorted(set(round(x, 4) for x in lead)) == [3.617, 4.3255, 4.7896, 5.2104, 5.6745, 6.383]
    assert len(horizon) == 6 * 22  # the longest window, 6.383 + 2 = 8.383 days, fits from starts 0-21


def test_empirical_demand_loss_and_chance_of_a_stockout():
    demand = EmpiricalDemand([8, 0, 4, 2])
    # units short against 3 in stock: (4 - 3) + (8 - 3) over 4 equally likely values = 1.5
    assert demand.loss(3) == empirical_loss(3, [0, 2, 4, 8]) == 1.5
    assert demand.loss(0) == 3.5 and demand.loss(8) == 0
    assert demand.sf(2) == 0.5  # 4 and 8 exceed 2
    assert demand.scaled(7).values == [0, 4, 8, 16]


def lumpy(**overrides) -> PlanningInput:
    # 1 a day forecast, L = R = 1; history saw the 2-day window at 0, 0, 0 or 8 and its first day at
    # 0, 0, 0 or 4 (means 2 and 1, as forecast, so the samples are used as they are)
    figures = dict(daily_forecast=[1.0] * 5, forecast_error=2.0, lead_time_days=1, review_period_days=1, fill_rate=0.9, horizon_samples=[0, 0, 0, 8], lead_time_samples=[0, 0, 0, 4])
    figures.update(overrides)
    return PlanningInput(**figures)


def test_skewed_demand_with_history_samples_is_planned_on_them():
    levels = levels_plan(lumpy())
    # σ_{L+R} = √(2·2²) = 2.83 over μ = 2: skewed, so empirical. With Q = 1 the position after a
    # review is y = s + 1; ESC(y) = n_2(y) - n_1(y) = (8 - y)/4 for 4 ≤ y < 8 (and 1 below 4).
    # Target (1 - 0.9)·μ_R = 0.1 -> y = 7.6, s = 6.6 -> 7; safety stock 6.6 - 2 = 4.6.
    assert levels.distribution == "empirical"
    assert levels.reorder_point == 7 and levels.order_up_to == 8
    assert levels.safety_stock == pytest.approx(4.6, abs=0.01)
    # samples with another mean are scaled to the forecast: the same plan with the samples doubled
    assert levels_plan(lumpy(horizon_samples=[0, 0, 0, 16], lead_time_samples=[0, 0, 0, 8])).reorder_point == 7
    # asked for gamma, or without samples, gamma
    assert levels_plan(lumpy(distribution="gamma")).distribution == "gamma"
    assert levels_plan(lumpy(horizon_samples=None, lead_time_samples=None)).distribution == "gamma"
    with pytest.raises(PolicyInputError) as error:
        levels_plan(lumpy(distribution="empirical", horizon_samples=None))
    assert error.value.code == "distribution"


def test_a_unit_is_stocked_only_while_it_saves_the_marginal_shortage():
    # One more unit at position y saves P(D_2 > y) - P(D_1 > y) short per cycle: 0.25 - 0.25 = 0
    # below 4, 0.25 - 0 = 0.25 from 4 to 8, 0 from 8. Worth 0.1 a unit: stock up to y = 8 (s = 7),
    # nothing short (fill 1). Worth 0.3 a unit: nothing is, s = 0, y = 1: ESC = 1, fill 1 - 1/1 = 0.
    assert (levels_plan(lumpy(), marginal_fill=0.1).reorder_point, levels_plan(lumpy(), marginal_fill=0.1).fill_rate) == (7, 1.0)
    assert (levels_plan(lumpy(), marginal_fill=0.3).reorder_point, levels_plan(lumpy(), marginal_fill=0.3).fill_rate) == (0, 0.0)


def test_class_plan_by_marginal_saving_meets_the_class_target():
    steady = plan(forecast_error=3.0)
    erratic = plan(forecast_error=15.0)
    levels = class_levels_plan([steady, erratic], 0.95, allocation="marginal")
    short = sum((1 - lv.fill_rate) * lv.review_demand for lv in levels)

    # 5% of the class's 140 units a cycle: 7 units short, with no more stock than equal chances of a stockout
    assert short == pytest.approx(7, abs=0.2)
    stockout = class_levels_plan([steady, erratic], 0.95, allocation="stockout")
    assert sum(lv.reorder_point for lv in levels) <= sum(lv.reorder_point for lv in stockout)
    with pytest.raises(PolicyInputError) as error:
        class_levels_plan([steady], 0.95, allocation="cheapest")
    assert error.value.code == "allocation"

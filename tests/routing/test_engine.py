"""The routing engine on its own (no database): each rule decides a case.

Geography: a customer in Boston; warehouses in New York (~300 km), Chicago (~1,370 km) and
Los Angeles (~4,170 km).
"""

import pytest

from orders.routing import BACKORDER, HOLD, Need, RoutingRules, Site, Weights, route, shipment_cost_estimate

BOSTON = (42.36, -71.06)
NY = Site(1, 40.71, -74.01, 100, "ny")
CHICAGO = Site(2, 41.85, -87.65, 100, "chicago")
LA = Site(3, 34.05, -118.24, 100, "la")
A, B, C = 10, 11, 12


def stock(**per_site: dict[int, int]) -> dict[tuple[int, int], int]:
    codes = {"ny": 1, "chicago": 2, "la": 3, "store": 4, "capped": 5}
    return {(product, codes[site]): units for site, items in per_site.items() for product, units in items.items()}


def decide(needs, available, sites=(NY, CHICAGO, LA), **rules):
    weights = rules.pop("weights", None)
    return route(
        needs=needs, available=available, sites=list(sites), destination=BOSTON,
        rules=RoutingRules(weights=weights or Weights(), **rules),
    )


def shipped_from(decision) -> dict[int, list[tuple[str, int]]]:
    codes = decision.codes
    return {key: [(codes[loc], q) for loc, q in parts] for key, parts in decision.plan.items() if parts}


def test_distance_decides_between_locations_that_each_have_everything():
    decision = decide([Need(0, A, 2, 500)], stock(ny={A: 5}, chicago={A: 5}, la={A: 5}))

    assert shipped_from(decision) == {0: [("ny", 2)]}
    assert decision.explanation()["candidates"][0]["locations"] == ["ny"]
    assert decision.reason.startswith("ny ships everything: best of 3 candidates")


def test_distance_decides_even_for_weightless_items_whose_estimated_cost_is_the_same_everywhere_nearby():
    near_a, near_b = Site(1, 42.0, -71.5, 100, "ny"), Site(2, 41.0, -72.5, 100, "chicago")  # both in the nearest band

    decision = decide([Need(0, A, 1, 0)], stock(ny={A: 1}, chicago={A: 1}), sites=(near_b, near_a))

    assert shipped_from(decision) == {0: [("ny", 1)]}


def test_estimated_cost_grows_with_distance_and_weight():
    near_light = shipment_cost_estimate(distance_km=100, weight_kg=1)
    near_heavy = shipment_cost_estimate(distance_km=100, weight_kg=20)
    far_light = shipment_cost_estimate(distance_km=4000, weight_kg=1)

    assert near_light < near_heavy and near_light < far_light
    assert shipment_cost_estimate(distance_km=None, weight_kg=1) >= far_light  # unknown is priced as far


def test_the_split_penalty_decides_between_one_far_parcel_and_two_near_ones():
    # LA has both; New York has A and Chicago has B.
    available = stock(ny={A: 1}, chicago={B: 1}, la={A: 1, B: 1})
    needs = [Need(0, A, 1, 20_000), Need(1, B, 1, 20_000)]

    one_parcel = decide(needs, available)  # default: a split costs 1000 points per extra parcel
    cheapest = decide(needs, available, weights=Weights(split=0))

    assert shipped_from(one_parcel) == {0: [("la", 1)], 1: [("la", 1)]}
    assert shipped_from(cheapest) == {0: [("ny", 1)], 1: [("chicago", 1)]}
    assert cheapest.winner.estimated_cost < one_parcel.winner.estimated_cost
    assert "Split over ny + chicago (2 shipments)" in cheapest.reason


def test_location_priority_outweighs_distance_when_weighted():
    preferred_la = Site(3, 34.05, -118.24, 1, "la")
    available = stock(ny={A: 5}, la={A: 5})

    by_distance = decide([Need(0, A, 1, 500)], available, sites=(NY, preferred_la))
    by_priority = decide([Need(0, A, 1, 500)], available, sites=(NY, preferred_la), weights=Weights(priority=1))

    assert shipped_from(by_distance) == {0: [("ny", 1)]}
    assert shipped_from(by_priority) == {0: [("la", 1)]}


def test_equal_candidates_go_to_the_lower_priority_number_then_the_lower_id():
    twin_1, twin_2 = Site(7, 40.71, -74.01, 100, "twin-7"), Site(6, 40.71, -74.01, 100, "twin-6")
    available = {(A, 7): 1, (A, 6): 1}

    assert shipped_from(decide([Need(0, A, 1)], available, sites=(twin_1, twin_2))) == {0: [("twin-6", 1)]}
    first = Site(7, 40.71, -74.01, 5, "twin-7")
    assert shipped_from(decide([Need(0, A, 1)], available, sites=(first, twin_2))) == {0: [("twin-7", 1)]}


def test_a_store_loses_to_a_warehouse_when_stores_are_penalised():
    store = Site(4, 40.75, -73.99, 100, "store", kind="store")  # in New York too, a little nearer
    available = stock(store={A: 5}, chicago={A: 5})

    assert shipped_from(decide([Need(0, A, 1, 500)], available, sites=(store, CHICAGO))) == {0: [("store", 1)]}
    spared = decide([Need(0, A, 1, 500)], available, sites=(store, CHICAGO), weights=Weights(store=50))
    assert shipped_from(spared) == {0: [("chicago", 1)]}
    assert spared.explanation()["candidates"][1]["terms"]["store"] == 50


def test_a_location_at_its_daily_capacity_is_used_only_when_nothing_else_can_ship():
    capped = Site(5, 40.71, -74.01, 100, "capped", at_capacity=True)

    elsewhere = decide([Need(0, A, 1, 500)], stock(capped={A: 5}, la={A: 5}), sites=(capped, LA))
    only_there = decide([Need(0, A, 1, 500)], stock(capped={A: 5}), sites=(capped, LA))

    assert shipped_from(elsewhere) == {0: [("la", 1)]}
    assert "mostly on capacity" in elsewhere.reason
    assert shipped_from(only_there) == {0: [("capped", 1)]}


def test_a_channel_ships_only_from_its_allowed_locations():
    decision = decide([Need(0, A, 1, 500)], stock(ny={A: 5}, la={A: 5}), allowed_locations=frozenset({3}))

    assert shipped_from(decision) == {0: [("la", 1)]}
    assert decision.explanation()["excluded"] == ["chicago", "ny"]


def test_without_splitting_nothing_is_reserved_until_one_location_has_everything():
    available = stock(ny={A: 1}, la={B: 1})
    needs = [Need(0, A, 1), Need(1, B, 1)]

    split = decide(needs, available)
    whole = decide(needs, available, may_split=False, on_shortage=BACKORDER)

    assert split.covered and len(split.winner.take) == 2
    assert not whole.covered and whole.plan_units == 0
    assert whole.missing == {A: 1, B: 1}
    assert "may not split" in whole.reason


def test_without_splitting_an_order_already_shipping_from_a_location_stays_there():
    decision = route(
        needs=[Need(0, A, 1)], available=stock(ny={A: 5}, la={A: 5}), sites=[NY, LA], destination=BOSTON,
        rules=RoutingRules(may_split=False, on_shortage=HOLD), shipping_from=frozenset({3}),
    )

    assert shipped_from(decision) == {0: [("la", 1)]}


def test_adding_to_a_parcel_already_going_costs_no_new_shipment():
    decision = route(
        needs=[Need(0, A, 1, 500)], available=stock(ny={A: 5}, la={A: 5}), sites=[NY, LA], destination=BOSTON,
        shipping_from=frozenset({3}),
    )

    assert shipped_from(decision) == {0: [("la", 1)]}
    assert decision.winner.shipments == 1


def test_a_shortage_reserves_what_the_stock_covers_and_says_what_is_missing():
    decision = decide([Need(0, A, 5), Need(1, B, 2)], stock(ny={A: 3}))

    assert shipped_from(decision) == {0: [("ny", 3)]}
    assert decision.missing == {A: 2, B: 2}
    assert decision.reason.startswith("ny can ship 3 of 7 unit(s); 4 wait for stock")


def test_two_lines_of_one_product_share_a_location_in_line_order():
    decision = decide([Need(0, A, 2), Need(1, A, 3)], stock(ny={A: 4}, chicago={A: 1}))

    assert shipped_from(decision) == {0: [("ny", 2)], 1: [("ny", 2), ("chicago", 1)]}


def test_the_explanation_lists_every_term_of_every_candidate_and_the_weights():
    decision = decide([Need(0, A, 1, 1000)], stock(ny={A: 1}, la={A: 1}))
    explained = decision.explanation()

    assert explained["winner"] == 0
    assert [c["locations"] for c in explained["candidates"]] == [["ny"], ["la"]]
    assert set(explained["candidates"][0]["terms"]) == {"cost", "distance", "split", "priority", "store", "capacity"}
    ny, la = explained["candidates"]
    assert ny["score"] == pytest.approx(sum(ny["terms"].values()), abs=0.05)
    assert la["km"] > ny["km"] > 250
    assert explained["weights"]["split"] == 1000

"""The pure picking algorithms: the pick path, walking distance and wave grouping (no database)."""

import random
from datetime import date, datetime

import pytest

from fulfillment.picking import (
    BinAddress,
    PathRule,
    WarehouseLayout,
    WaveCandidate,
    WaveRules,
    path_length,
    pick_path,
    shortest_route_length,
    waves_group,
)


def grid(zones="AB", aisles=4, positions=10) -> list[BinAddress]:
    return [
        BinAddress(key=f"{z}-{a:02d}-{p:02d}", zone=z, aisle=f"{a:02d}", shelf="1", position=f"{p:02d}")
        for z in zones for a in range(1, aisles + 1) for p in range(1, positions + 1)
    ]


@pytest.fixture
def layout():
    return WarehouseLayout(grid())


def keys(path):
    return [address.key for address in path]


def test_given_bins_in_every_aisle_when_walked_serpentine_then_odd_aisles_go_up_and_even_ones_down_zone_by_zone(layout):
    wanted = [b for b in grid() if b.position in ("02", "08")]
    random.Random(4).shuffle(wanted)

    path = pick_path(wanted, layout, PathRule.SERPENTINE)

    assert keys(path)[:8] == ["A-01-02", "A-01-08", "A-02-08", "A-02-02", "A-03-02", "A-03-08", "A-04-08", "A-04-02"]
    assert keys(path)[8:10] == ["B-01-02", "B-01-08"]


def test_given_random_picks_the_shortest_rule_never_walks_more_than_the_serpentine_and_less_overall(layout):
    rng = random.Random(3)
    serpentine_total = shortest_total = 0.0
    for _ in range(30):
        wanted = rng.sample(grid(), 6)
        serpentine = path_length(pick_path(wanted, layout, PathRule.SERPENTINE), layout)
        shortest = path_length(pick_path(wanted, layout, PathRule.SHORTEST), layout)
        assert shortest <= serpentine + 1e-9
        serpentine_total, shortest_total = serpentine_total + serpentine, shortest_total + shortest

    assert shortest_total < serpentine_total


def test_distances_use_the_nearer_cross_aisle(layout):
    spot = {b.key: layout.spot(b) for b in grid()}

    assert layout.distance(spot["A-01-02"], spot["A-01-07"]) == 5
    assert layout.distance(spot["A-01-02"], spot["A-02-03"]) == 3 + 2 + 3  # across the front
    assert layout.distance(spot["A-01-09"], spot["A-02-10"]) == 3 + 2 + 1  # across the back (aisle length 11)


def test_bins_without_an_aisle_come_last_in_their_pick_sequence(layout):
    loose = [BinAddress(key="DOCK-2", pick_sequence=20), BinAddress(key="DOCK-1", pick_sequence=10)]

    path = pick_path([*loose, grid()[0]], layout)

    assert keys(path) == ["A-01-01", "DOCK-1", "DOCK-2"]


def test_positions_compare_as_numbers_not_text():
    bins = [BinAddress(key=p, zone="A", aisle="1", position=p) for p in ("P10", "P9", "P2")]

    assert keys(pick_path(bins, WarehouseLayout(bins), PathRule.SERPENTINE)) == ["P2", "P9", "P10"]


def test_given_small_instances_the_path_is_never_shorter_than_the_exact_walk_and_close_to_it():
    bins = grid(zones="ABCD", aisles=10, positions=20)
    layout = WarehouseLayout(bins)
    rng = random.Random(7)
    heuristic = exact = 0.0
    for _ in range(20):
        sample = rng.sample(bins, 8)
        walked = path_length(pick_path(sample, layout), layout)
        best = shortest_route_length([layout.spot(b) for b in sample], layout)
        assert walked >= best - 1e-9
        heuristic, exact = heuristic + walked, exact + best

    assert heuristic <= 1.10 * exact


# --- waves -------------------------------------------------------------------------------------


def test_waves_respect_max_orders_and_max_units_and_take_the_most_urgent_first():
    candidates = [
        WaveCandidate(key=1, units=5, priority=100),
        WaveCandidate(key=2, units=5, priority=10),
        WaveCandidate(key=3, units=8, priority=100, promised=date(2025, 1, 2)),
        WaveCandidate(key=4, units=1, priority=100, promised=date(2025, 1, 1)),
    ]

    waves = waves_group(candidates, WaveRules(max_orders=2, max_units=10))

    assert [[o.key for o in wave.orders] for wave in waves] == [[2, 4], [3], [1]]
    assert waves[0].slots() == {2: 1, 4: 2}
    assert all(wave.units <= 10 and len(wave.orders) <= 2 for wave in waves)


def test_an_order_bigger_than_a_wave_still_gets_a_wave_of_its_own():
    waves = waves_group([WaveCandidate(key=1, units=500), WaveCandidate(key=2, units=1)], WaveRules(max_units=100))

    assert sorted(len(wave.orders) for wave in waves) == [1, 1]


def test_same_zone_set_keeps_orders_of_other_zones_apart():
    candidates = [WaveCandidate(key=1, units=1, zones=frozenset("A")), WaveCandidate(key=2, units=1, zones=frozenset("AB")),
                  WaveCandidate(key=3, units=1, zones=frozenset("A"))]

    waves = waves_group(candidates, WaveRules(same_zone_set=True))

    assert [[o.key for o in wave.orders] for wave in waves] == [[1, 3], [2]]


def test_carrier_cutoffs_go_first_and_apart_when_asked():
    early, late = datetime(2025, 1, 1, 15), datetime(2025, 1, 1, 18)
    candidates = [WaveCandidate(key=1, units=1, cutoff=late), WaveCandidate(key=2, units=1, cutoff=early), WaveCandidate(key=3, units=1)]

    waves = waves_group(candidates, WaveRules(separate_cutoffs=True))

    assert [[o.key for o in wave.orders] for wave in waves] == [[2], [1], [3]]


def test_wave_rules_refuse_an_empty_wave():
    with pytest.raises(ValueError):
        WaveRules(max_orders=0)

"""Re-planning a window of open orders (``orders.routing.replan``) and the exact solver behind it
and batch routing (``orders.routing.exact``): each guarantee checked on a case that breaks it,
and the exact answers against a brute force.

Geography as in test_engine: a customer in Boston; New York (~300 km), Chicago (~1,370 km),
Los Angeles (~4,170 km).
"""

import itertools
import random
from types import SimpleNamespace

import pytest

from oms.geo import distance_km
from orders.routing import Need, RoutingRules, Site, Weights, route, shipment_cost_estimate
from orders.routing import exact
from orders.routing.batch import BatchOrder, route_batch
from orders.routing.replan import EXACT, HEURISTIC, WindowOrder, replan

from .test_engine import BOSTON, CHICAGO, LA, NY

COST_ONLY = RoutingRules(name="cost only", weights=Weights(cost=1, distance=0, split=0, priority=0, store=0, capacity=0))
A, B = 10, 11
SITES = [NY, CHICAGO, LA]


def parcel(site: Site, grams: int, destination=BOSTON) -> float:
    return shipment_cost_estimate(distance_km=distance_km(site.latitude, site.longitude, *destination), weight_kg=grams / 1000.0)


def units_taken(takes) -> dict[tuple[int, int], int]:
    used: dict[tuple[int, int], int] = {}
    for take in takes:
        for location_id, by_product in take.items():
            for product_id, units in by_product.items():
                used[(product_id, location_id)] = used.get((product_id, location_id), 0) + units
    return used


def window_cost(orders, takes) -> float:
    """Each order's parcels priced by the distance estimate, independently of the engine."""
    by_id = {site.location_id: site for site in SITES}
    total = 0.0
    for order, take in zip(orders, takes):
        grams = {need.product_id: need.weight_grams for need in order.needs}
        for location_id, by_product in take.items():
            total += parcel(by_id[location_id], sum(q * grams[p] for p, q in by_product.items()), order.destination)
    return total


def test_an_order_holding_far_stock_moves_to_a_near_location_only_when_the_saving_beats_the_threshold():
    # Given an order holding its unit in Los Angeles while New York has one free
    order = WindowOrder([Need(0, A, 1, 500)], BOSTON, {LA.location_id: {A: 1}}, COST_ONLY)
    free = {(A, NY.location_id): 1}
    saving = parcel(LA, 500) - parcel(NY, 500)

    # When it is re-planned with a threshold above the saving, then below it
    kept = replan(orders=[order], free=free, sites=SITES, threshold=saving + 0.01)
    moved = replan(orders=[order], free=free, sites=SITES, threshold=saving - 0.01)

    # Then it stays put first, and moves to New York second, with the saving it makes
    assert not kept.orders[0].moved and kept.orders[0].take == {LA.location_id: {A: 1}}
    assert kept.saving == 0.0
    assert moved.orders[0].moved and moved.orders[0].take == {NY.location_id: {A: 1}}
    assert moved.orders[0].saving == pytest.approx(saving)
    assert moved.method == EXACT


def exchange_window():
    """Order 1 took New York's only A although Chicago could serve it; order 2, which needs A and
    B and finds B only in New York, ships two parcels. Together: order 1 from Chicago, order 2
    in one parcel from New York."""
    first = WindowOrder([Need(0, A, 1, 500)], BOSTON, {NY.location_id: {A: 1}}, COST_ONLY)
    second = WindowOrder([Need(0, A, 1, 500), Need(1, B, 1, 500)], BOSTON, {CHICAGO.location_id: {A: 1}, NY.location_id: {B: 1}}, COST_ONLY)
    return [first, second], {}


def test_orders_exchange_stock_when_the_window_saves_even_if_one_of_them_gives_way():
    orders, free = exchange_window()

    result = replan(orders=orders, free=free, sites=SITES, threshold=0.5)

    first, second = result.orders
    assert first.take == {CHICAGO.location_id: {A: 1}}
    assert second.take == {NY.location_id: {A: 1, B: 1}}
    assert first.saving < 0 < second.saving  # the first gives way, the second saves a parcel
    assert first.move == second.move and first.move_saving == pytest.approx(first.saving + second.saving)
    assert result.saving == pytest.approx(window_cost(orders, [o.current for o in orders]) - window_cost(orders, [first.take, second.take]))


def test_a_move_of_several_orders_must_save_the_threshold_for_each_order_it_moves():
    orders, free = exchange_window()
    saving = replan(orders=orders, free=free, sites=SITES, threshold=0.0).saving

    per_order_above = replan(orders=orders, free=free, sites=SITES, threshold=saving / 2 + 0.01)
    per_order_below = replan(orders=orders, free=free, sites=SITES, threshold=saving / 2 - 0.01)

    assert [o.moved for o in per_order_above.orders] == [False, False]
    assert [o.take for o in per_order_above.orders] == [o.current for o in orders]
    assert [o.moved for o in per_order_below.orders] == [True, True]


def test_an_order_moves_only_to_locations_its_channel_allows_and_that_keep_its_promise():
    # Given an order in Los Angeles whose cheapest location, New York, is free
    needs = [Need(0, A, 1, 500)]
    free = {(A, NY.location_id): 1, (A, CHICAGO.location_id): 1}
    not_ny = RoutingRules(name="no ny", weights=COST_ONLY.weights, allowed_locations=frozenset({CHICAGO.location_id, LA.location_id}))

    # When the channel may not ship from New York; or New York cannot deliver by the promised date
    by_rule = replan(orders=[WindowOrder(needs, BOSTON, {LA.location_id: {A: 1}}, not_ny)], free=free, sites=SITES, threshold=0)
    by_promise = replan(orders=[WindowOrder(needs, BOSTON, {LA.location_id: {A: 1}}, COST_ONLY, on_time_locations=frozenset({LA.location_id}))],
                        free=free, sites=SITES, threshold=0)

    # Then it goes to Chicago (allowed, next cheapest); and stays in Los Angeles (the only one on time)
    assert by_rule.orders[0].take == {CHICAGO.location_id: {A: 1}}
    assert by_promise.orders[0].take == {LA.location_id: {A: 1}} and not by_promise.orders[0].moved


def random_window(seed: int, orders: int = 12):
    rng = random.Random(seed)
    products = [1, 2, 3, 4]
    stock = {(p, s.location_id): rng.randint(0, 3) for p in products for s in SITES}
    window, free = [], dict(stock)
    for _ in range(orders):
        needs = [Need(i, p, rng.randint(1, 2), rng.choice((200, 900, 4000))) for i, p in enumerate(rng.sample(products, rng.randint(1, 2)))]
        destination = (rng.uniform(27, 47), rng.uniform(-122, -72))
        allowed = frozenset(rng.sample([s.location_id for s in SITES], 2)) if rng.random() < 0.3 else frozenset()
        rules = RoutingRules(name="r", weights=COST_ONLY.weights, allowed_locations=allowed, may_split=rng.random() < 0.8)
        decision = route(needs=needs, available=free, sites=SITES, destination=destination, rules=rules)
        take = {loc: dict(by) for loc, by in decision.winner.take.items()} if decision.winner else {}
        for key, units in units_taken([take]).items():
            free[key] -= units
        window.append(WindowOrder(needs, destination, take, rules))
    return window, {key: units for key, units in free.items() if units}


@pytest.mark.parametrize("seed", range(15))
@pytest.mark.parametrize("threshold", [0.0, 3.0])
def test_replanning_never_takes_more_than_free_plus_held_never_leaves_an_order_shorter_and_never_costs_more(seed, threshold):
    window, free = random_window(seed)
    pool = dict(free)
    for key, units in units_taken([o.current for o in window]).items():
        pool[key] = pool.get(key, 0) + units

    result = replan(orders=window, free=free, sites=SITES, threshold=threshold)

    takes = [o.take for o in result.orders]
    assert all(units <= pool.get(key, 0) for key, units in units_taken(takes).items())
    for order, planned in zip(window, result.orders):
        assert not order.rules.allowed_locations or planned.take.keys() <= order.rules.allowed_locations or not planned.moved
        held = {p: sum(by.get(p, 0) for by in order.current.values()) for p in {n.product_id for n in order.needs}}
        now = {p: sum(by.get(p, 0) for by in planned.take.values()) for p in held}
        assert all(now[p] >= held[p] for p in held)
        if not order.rules.may_split:
            assert len(planned.take) <= 1
        if not planned.moved:
            assert planned.take == {loc: by for loc, by in order.current.items() if by}
    # Units covered come first (an order that gets what it lacked may cost more); then the cost.
    covered_before, covered_after = sum(units_taken([o.current for o in window]).values()), sum(units_taken(takes).values())
    assert covered_after >= covered_before
    if covered_after == covered_before:
        assert window_cost(window, takes) <= window_cost(window, [o.current for o in window]) + 1e-6


def brute_force_window(orders: list[BatchOrder], available):
    """Every way of covering every order's products from the locations, priced parcel by parcel."""
    per_order = []
    for order in orders:
        per_need = []
        for need in order.needs:
            per_need.append([split for split in itertools.product(range(need.quantity + 1), repeat=len(SITES)) if sum(split) == need.quantity])
        per_order.append(list(itertools.product(*per_need)))
    best = None
    for choice in itertools.product(*per_order):
        used: dict[tuple[int, int], int] = {}
        cost = 0.0
        for order, splits in zip(orders, choice):
            for i, site in enumerate(SITES):
                grams = sum(split[i] * need.weight_grams for split, need in zip(splits, order.needs))
                for split, need in zip(splits, order.needs):
                    used[(need.product_id, site.location_id)] = used.get((need.product_id, site.location_id), 0) + split[i]
                if any(split[i] for split in splits):
                    cost += parcel(site, grams, order.destination)
        if all(units <= available.get(key, 0) for key, units in used.items()):
            best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_the_exact_solver_finds_the_brute_force_optimum_of_a_small_window(seed):
    rng = random.Random(500 + seed)
    orders = []
    for _ in range(3):
        needs = [Need(i, p, rng.randint(1, 2), rng.choice((100, 700, 3000, 9000))) for i, p in enumerate(rng.sample([A, B], rng.randint(1, 2)))]
        orders.append(BatchOrder(needs, (rng.uniform(27, 47), rng.uniform(-122, -72)), COST_ONLY))
    demand = {p: sum(n.quantity for o in orders for n in o.needs if n.product_id == p) for p in (A, B)}
    available = {}
    for p, units in demand.items():
        for _ in range(units + 1):
            key = (p, rng.choice(SITES).location_id)
            available[key] = available.get(key, 0) + 1

    solved = exact.solve_exact(orders=orders, available=available, sites=SITES)
    # Started from the worst plans a window could hold: everything from the farthest stock.
    window = [WindowOrder(o.needs, o.destination, take, COST_ONLY) for o, take in zip(orders, solved.takes)]
    batched = route_batch(orders=orders, available=available, sites=SITES)

    cheapest = brute_force_window(orders, available)
    assert solved.status == exact.OPTIMAL
    assert window_cost(window, solved.takes) == pytest.approx(cheapest)
    assert sum(d.winner.estimated_cost for d in batched) == pytest.approx(cheapest)  # small batches are solved whole
    replanned = replan(orders=window, free={}, sites=SITES, threshold=0.0)
    assert replanned.method == EXACT and not any(o.moved for o in replanned.orders)  # nothing beats the optimum


def test_when_the_solver_times_out_the_heuristic_still_finds_the_exchange(monkeypatch):
    calls = []

    def timed_out(*args, **kwargs):
        calls.append(kwargs["options"]["time_limit"])
        return SimpleNamespace(status=1, x=None, fun=None, message="Time limit reached.")

    monkeypatch.setattr(exact, "milp", timed_out)
    orders, free = exchange_window()

    result = replan(orders=orders, free=free, sites=SITES, threshold=0.5, time_limit=0.2)

    assert calls and all(limit <= 0.2 for limit in calls)
    assert result.method == HEURISTIC and "timed out" in result.fallback_reason
    assert [o.take for o in result.orders] == [{CHICAGO.location_id: {A: 1}}, {NY.location_id: {A: 1, B: 1}}]


def test_a_window_too_large_for_the_solver_is_replanned_by_the_heuristic_and_still_saves():
    window, free = random_window(3, orders=30)
    before = window_cost(window, [o.current for o in window])

    result = replan(orders=window, free=free, sites=SITES, threshold=0.0, max_variables=10, time_limit=0.5)

    after = [o.take for o in result.orders]
    assert result.method == HEURISTIC and "too large" in result.fallback_reason
    assert any(o.moved for o in result.orders)
    assert sum(units_taken(after).values()) > sum(units_taken([o.current for o in window]).values()) or window_cost(window, after) < before


def test_plans_that_do_not_fit_the_stock_are_not_taken_whatever_the_solver_answers(monkeypatch):
    # Given two orders holding A in Los Angeles and Chicago, one A free in New York, and a solver
    # that (wrongly) sends both to New York
    orders = [
        WindowOrder([Need(0, A, 1, 500)], BOSTON, {LA.location_id: {A: 1}}, COST_ONLY),
        WindowOrder([Need(0, A, 1, 500)], BOSTON, {CHICAGO.location_id: {A: 1}}, COST_ONLY),
    ]
    both_to_ny = [{NY.location_id: {A: 1}}, {NY.location_id: {A: 1}}]
    monkeypatch.setattr("orders.routing.replan.solve_exact", lambda **kwargs: exact.ExactResult(exact.OPTIMAL, both_to_ny, 0.0, 1))

    result = replan(orders=orders, free={(A, NY.location_id): 1}, sites=SITES, threshold=0.0)

    # Then New York gives no more than its one unit; the orders keep what they hold
    assert units_taken([o.take for o in result.orders]).get((A, NY.location_id), 0) <= 1
    assert [o.take for o in result.orders] == [o.current for o in orders]

"""Routing orders together (``orders.routing.batch``) and the exact split search of the engine:
each checked against a brute force or against routing one by one."""

import itertools
import random

import pytest

from oms.geo import distance_km
from orders.models import Order
from orders.routing import Need, RoutingRules, Site, Weights, route, shipment_cost_estimate
from orders.routing.batch import BatchOrder, route_batch
from orders.services import orders_intake_batch

from ..factories import intake_data
from .conftest import reserved_at, stock
from .test_engine import BOSTON, CHICAGO, LA, NY

COST_ONLY = RoutingRules(name="cost only", weights=Weights(cost=1, distance=0, split=0, priority=0, store=0, capacity=0))
A, B = 10, 11


def total_cost(decisions) -> float:
    return sum(d.winner.estimated_cost for d in decisions if d.winner is not None)


def taken(decisions) -> dict[tuple[int, int], int]:
    units: dict[tuple[int, int], int] = {}
    for decision in decisions:
        for location_id, by_product in (decision.winner.take if decision.winner else {}).items():
            for product_id, quantity in by_product.items():
                units[(product_id, location_id)] = units.get((product_id, location_id), 0) + quantity
    return units


def one_by_one(orders, available, sites):
    left, decisions = dict(available), []
    for order in orders:
        decision = route(needs=order.needs, available=left, sites=sites, destination=order.destination, rules=order.rules)
        for key, units in taken([decision]).items():
            left[key] -= units
        decisions.append(decision)
    return decisions


def test_an_order_that_would_have_to_split_gets_the_stock_before_one_that_has_another_good_location():
    available = {(A, NY.location_id): 1, (A, CHICAGO.location_id): 1, (B, NY.location_id): 1}
    orders = [
        BatchOrder([Need(0, A, 1, 500)], BOSTON, COST_ONLY),  # ships from New York or Chicago
        BatchOrder([Need(0, A, 1, 500), Need(1, B, 1, 500)], BOSTON, COST_ONLY),  # only New York has both
    ]

    first_come = one_by_one(orders, available, [NY, CHICAGO, LA])
    together = route_batch(orders=orders, available=available, sites=[NY, CHICAGO, LA])

    assert [sorted(d.winner.take) for d in first_come] == [[NY.location_id], [NY.location_id, CHICAGO.location_id]]
    assert [sorted(d.winner.take) for d in together] == [[CHICAGO.location_id], [NY.location_id]]
    assert total_cost(together) < total_cost(first_come)
    assert all(d.covered for d in together)
    assert "Routed together with 1 other order(s)" in together[1].reason


@pytest.mark.parametrize("seed", range(12))
def test_a_batch_never_takes_more_than_the_stock_and_never_costs_more_than_routing_one_by_one(seed):
    rng = random.Random(seed)
    sites = [NY, CHICAGO, LA, Site(4, 25.76, -80.19, 100, "mia"), Site(5, 47.61, -122.33, 100, "sea")]
    products = list(range(1, 7))
    available = {(p, s.location_id): rng.randint(0, 3) for p in products for s in sites}
    orders = []
    for _ in range(15):
        chosen = rng.sample(products, rng.randint(1, 3))
        needs = [Need(i, p, rng.randint(1, 2), rng.choice((200, 900, 4000))) for i, p in enumerate(chosen)]
        orders.append(BatchOrder(needs, (rng.uniform(27, 47), rng.uniform(-122, -72)), COST_ONLY))

    together = route_batch(orders=orders, available=available, sites=sites)
    first_come = one_by_one(orders, available, sites)

    assert all(units <= available.get(key, 0) for key, units in taken(together).items())
    missing = lambda decisions: sum(sum(d.missing.values()) for d in decisions)  # noqa: E731
    assert missing(together) <= missing(first_come)
    if missing(together) == missing(first_come):
        assert total_cost(together) <= total_cost(first_come) + 1e-9


def brute_force_cheapest(needs, available, sites, destination) -> float | None:
    """Every way of taking each product's units from the locations, priced parcel by parcel."""
    per_product = []
    for need in needs:
        ways = [
            split for split in itertools.product(range(need.quantity + 1), repeat=len(sites))
            if sum(split) == need.quantity and all(q <= available.get((need.product_id, s.location_id), 0) for q, s in zip(split, sites))
        ]
        if not ways:
            return None
        per_product.append(ways)
    best = None
    for choice in itertools.product(*per_product):
        cost = 0.0
        for i, site in enumerate(sites):
            grams = sum(split[i] * need.weight_grams for split, need in zip(choice, needs))
            if any(split[i] for split in choice):
                km = distance_km(site.latitude, site.longitude, *destination)
                cost += shipment_cost_estimate(distance_km=km, weight_kg=grams / 1000.0)
        best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_the_engine_finds_the_cheapest_way_to_ship_one_order_from_up_to_three_locations(seed):
    rng = random.Random(100 + seed)
    sites = [NY, CHICAGO, LA]
    needs = [Need(i, p, rng.randint(1, 3), rng.choice((100, 700, 3000, 9000))) for i, p in enumerate(rng.sample(range(1, 6), rng.randint(1, 3)))]
    available = {(n.product_id, s.location_id): rng.randint(0, 3) for n in needs for s in sites}
    destination = (rng.uniform(27, 47), rng.uniform(-122, -72))

    decision = route(needs=needs, available=available, sites=sites, destination=destination, rules=COST_ONLY)
    cheapest = brute_force_cheapest(needs, available, sites, destination)

    if cheapest is None:
        assert not decision.covered
    else:
        assert decision.covered
        assert decision.winner.estimated_cost == pytest.approx(cheapest)


@pytest.mark.django_db
def test_orders_posted_together_are_routed_together(sites):
    stock("SKU-A", ny=1, chicago=1)
    stock("SKU-B", ny=1)
    alone = intake_data([("SKU-A", 1)], external_id="BULK-1")
    both = intake_data([("SKU-A", 1), ("SKU-B", 1)], external_id="BULK-2")

    items = orders_intake_batch(orders=[alone, both], actor="api:bulk")

    assert [item.error for item in items] == [None, None]
    first, second = (Order.objects.get(external_id=e) for e in ("BULK-1", "BULK-2"))
    assert reserved_at(first) == {("SKU-A", "chicago"): 1}
    assert reserved_at(second) == {("SKU-A", "ny"): 1, ("SKU-B", "ny"): 1}  # one parcel, not two
    assert "Routed together with 1 other order(s)" in second.routing["decisions"][0]["reason"]

"""Routing engine benchmark: speed, and cost against the exact optimum.

In-process and pure (no database): the engine is what is measured, not intake.

1. Throughput: 10,000 orders (1-4 lines) over 10 locations and 2,000 SKUs, routed one after
   the other, each decision taking its stock from what the next order sees. Baseline, same run:
   the least any router does (distances, then the nearest location holding everything).
   Also batch routing (``orders.routing.batch``, what bulk intake does per chunk of 50), and
   the engine with its cost term priced from carrier rate tables (``orders.routing.prices``:
   zones by origin and destination postal range, two services, weight bands) instead of the
   distance estimate, the price cache emptied before each round.
2. Quality over many instances, at three scarcity levels: 50% and 10% more stock than the
   batch needs (30 orders of 1-3 lines, 8 SKUs), and a harder one, 5% more with 2-5 lines per
   order (20 orders, 12 SKUs: at 30 such orders the exact optimum is not proven within the
   minute), each product's stock spread unit by unit at random over 5 locations, cost-only
   strategy. Three ways of routing are compared with the cheapest plan for the whole batch
   found by integer programming (scipy.optimize.milp, same cost estimate, same stock):
   one by one in arrival order (first come, first served: the API and webhook path), batch
   routing (``route_batch``, bulk intake), and rolling re-planning (``orders.routing.replan``):
   orders arrive and are routed one by one, every ``--replan-every`` arrivals the open orders are
   re-planned together (moves saving at least ``--threshold`` per order moved), and an order
   goes to the floor ``--release-after`` arrivals after its own (default 5/6 of the instance's
   orders: the first orders leave before the last arrive). Printed per level: mean, median and
   worst gap to the optimum, batch routing's time, the time per re-planning window (mean,
   worst) and the exact solver's. Targets: batch and rolling re-planning within 3% of the
   optimum on the mean and 6% on the worst instance.

   Seeds: the routing code was tuned on seeds 1-20 (``--tuning``); the figures reported (and the
   default) are seeds 101-120, which the tuning never saw. Times depend on the machine: the
   exact neighbourhoods of batch routing and re-planning stop at their time limit, so a slower
   machine can give slightly different plans.

    .venv/bin/python bench/routing.py [--quick] [--tuning | --seeds 101-120] [--levels 1,2,3]
        [--orders 10000] [--replan-every 5] [--release-after N] [--threshold 0.25]
"""

import argparse
from dataclasses import dataclass
from decimal import Decimal as D
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: E402
from scipy.sparse import lil_matrix  # noqa: E402

from oms.geo import distance_km  # noqa: E402
from orders.routing import Need, RoutingRules, Site, Weights, route, shipment_cost_estimate  # noqa: E402
from orders.routing.batch import BatchOrder, route_batch  # noqa: E402
from orders.routing.engine import plan_decision  # noqa: E402
from orders.routing.replan import WindowOrder, replan  # noqa: E402
from orders.routing.cost import DISTANCE_BANDS  # noqa: E402
from orders.routing import prices as routing_prices  # noqa: E402
from shipping.rating import CarrierCard, RateCard, RateTableCard, ServiceCard, ZoneRuleCard  # noqa: E402

# Quality instances are tuned on one set of seeds and reported on another: a figure that holds
# only on the seeds it was tuned on is tuning, not a result.
TUNING_SEEDS = "1-20"
REPORTING_SEEDS = "101-120"
CHUNK = 50  # orders routed together, as bulk intake's chunks (OMS_BULK_CHUNK_SIZE)

TIME_LIMIT = 60.0  # seconds per exact solve
DCS = [
    ("nj", 40.73, -74.17), ("atl", 33.75, -84.39), ("chi", 41.88, -87.63), ("dal", 32.78, -96.80), ("den", 39.74, -104.99),
    ("lax", 34.05, -118.24), ("sea", 47.61, -122.33), ("mia", 25.76, -80.19), ("phx", 33.45, -112.07), ("bos", 42.36, -71.06),
]


def destination(rng: random.Random) -> tuple[float, float]:
    return (rng.uniform(26.0, 48.5), rng.uniform(-123.0, -70.0))


def make_world(rng: random.Random, locations: int, skus: int, orders: int, lines: tuple[int, int], stock_per_sku: tuple[int, int]):
    sites = [Site(i + 1, lat, lon, 100, code, "store" if i % 4 == 3 else "warehouse") for i, (code, lat, lon) in enumerate(DCS[:locations])]
    grams = {p: rng.choice((150, 400, 900, 2500, 6000)) for p in range(1, skus + 1)}
    available = {}
    for p in grams:
        for site in sites:
            if rng.random() < 0.6:
                available[(p, site.location_id)] = rng.randint(*stock_per_sku)
    batch = []
    for _ in range(orders):
        products = rng.sample(sorted(grams), rng.randint(*lines))
        needs = [Need(i, p, rng.choice((1, 1, 1, 2, 3)), grams[p]) for i, p in enumerate(products)]
        batch.append((needs, destination(rng)))
    return sites, grams, available, batch


def route_all(batch, sites, available, rules, pricers=None):
    """Route orders in turn; each takes its stock. Returns decisions. With ``pricers`` (one per
    order), parcels are priced from the rate tables, the lane cache emptied first."""
    routing_prices._lanes.clear()
    stock = dict(available)
    decisions = []
    for index, (needs, dest) in enumerate(batch):
        pricer = pricers[index] if pricers else None
        decision = route(needs=needs, available=stock, sites=sites, destination=dest, rules=rules, pricer=pricer)
        if decision.winner is not None:
            for location_id, by_product in decision.winner.take.items():
                for product_id, units in by_product.items():
                    stock[(product_id, location_id)] -= units
        decisions.append(decision)
    return decisions


def rate_world(sites, batch, rng: random.Random):
    """A carrier whose zones go from each location's ZIP range (location i: i00–i99) to each
    region (the ZIP range of the location nearest the destination), banded by distance; and a
    pricer per order."""
    ranges = {site.location_id: (f"{i * 100:03d}", f"{i * 100 + 99:03d}") for i, site in enumerate(sites)}
    rules, zones = [], set()
    for origin in sites:
        for region in sites:
            km = distance_km(origin.latitude, origin.longitude, region.latitude, region.longitude)
            zone = f"z{next(i for i, (limit, _, _) in enumerate(DISTANCE_BANDS) if km <= limit)}"
            zones.add(zone)
            rules.append(ZoneRuleCard(zone, "US", "US", *ranges[region.location_id], len(rules) + 1, *ranges[origin.location_id]))
    edges = ("0.5", "1", "2", "5", "10", "20", "30")

    def table(zone: str, factor: float, days: int) -> RateTableCard:
        step = int(zone[1:])
        return RateTableCard(zone, days + step, tuple((D(edge), D(str(round((4 + step) * factor * (1 + float(edge) ** 0.8), 2)))) for edge in edges), D("1.10"), D("70"))

    services = tuple(
        ServiceCard("bench", code, code, {zone: table(zone, factor, days) for zone in sorted(zones)})
        for code, factor, days in (("ground", 1.0, 3), ("express", 1.9, 1))
    )
    ordered = tuple(sorted(rules, key=lambda r: r.precedence))
    card = RateCard((CarrierCard("bench", "Bench", "USD", services, {"US": ordered}),), "bench")
    origins = {site.location_id: ("US", ranges[site.location_id][0] + "50") for site in sites}
    pricers = []
    for _, dest in batch:
        nearest = min(sites, key=lambda s: distance_km(s.latitude, s.longitude, *dest))
        postal = f"{ranges[nearest.location_id][0][:2]}{rng.randint(0, 9)}{rng.randint(0, 99):02d}"
        pricers.append(routing_prices.RateTablePricer(card, carriers=("bench",), origins=origins, country="US", postal_code=postal, currency="USD"))
    return pricers


def route_chunks(batch, sites, available, rules):
    """Route orders a chunk at a time with batch routing; each chunk takes its stock."""
    stock = dict(available)
    decisions = []
    for start in range(0, len(batch), CHUNK):
        chunk = [BatchOrder(needs, dest, rules) for needs, dest in batch[start : start + CHUNK]]
        for decision in route_batch(orders=chunk, available=stock, sites=sites):
            if decision.winner is not None:
                for location_id, by_product in decision.winner.take.items():
                    for product_id, units in by_product.items():
                        stock[(product_id, location_id)] -= units
            decisions.append(decision)
    return decisions


def nearest_covering_baseline(batch, sites, available):
    """The least a router does: distances, then the nearest location holding everything."""
    stock = dict(available)
    for needs, dest in batch:
        ranked = sorted(sites, key=lambda s: distance_km(s.latitude, s.longitude, *dest))
        for site in ranked:
            if all(stock.get((n.product_id, site.location_id), 0) >= n.quantity for n in needs):
                for n in needs:
                    stock[(n.product_id, site.location_id)] -= n.quantity
                break


def throughput(args):
    rng = random.Random(args.seed)
    sites, _, available, batch = make_world(rng, 10, 2000, args.orders, (1, 4), (0, 40))
    rules = RoutingRules()
    pricers = rate_world(sites, batch, rng)
    engine_times, baseline_times, batch_times, priced_times = [], [], [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        nearest_covering_baseline(batch, sites, available)
        baseline_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        decisions = route_all(batch, sites, available, rules)
        engine_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        chunked = route_chunks(batch, sites, available, rules)
        batch_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        priced = route_all(batch, sites, available, rules, pricers)
        priced_times.append(time.perf_counter() - started)
    engine, baseline, batched = statistics.median(engine_times), statistics.median(baseline_times), statistics.median(batch_times)
    rated = statistics.median(priced_times)
    covered = sum(1 for d in decisions if d.covered)
    split = sum(1 for d in decisions if d.winner is not None and d.winner.shipments > 1)
    print(f"1. Throughput: {args.orders:,} orders, 10 locations, 2,000 SKUs (median of {args.rounds} rounds)")
    print(f"   engine:   {args.orders / engine:>10,.0f} decisions/s  ({engine * 1e6 / args.orders:,.0f} µs per order; "
          f"{covered:,} covered, {split:,} split)")
    print(f"   baseline: {args.orders / baseline:>10,.0f} decisions/s  (nearest location holding everything, no scoring)")
    print(f"   batch:    {args.orders / batched:>10,.0f} decisions/s  (chunks of {CHUNK} routed together; "
          f"{sum(1 for d in chunked if d.covered):,} covered, {sum(1 for d in chunked if d.winner is not None and d.winner.shipments > 1):,} split)")
    lanes = len(routing_prices._lanes)
    print(f"   rate tables: {args.orders / rated:>7,.0f} decisions/s  (engine priced from rate tables; {lanes:,} lanes cached; "
          f"{sum(1 for d in priced if d.covered):,} covered, {sum(1 for d in priced if d.winner is not None and d.winner.shipments > 1):,} split)")
    print(f"   engine / baseline speed: {baseline / engine:.2f}   target >= 1,000/s: one by one {'MET' if args.orders / engine >= 1000 else 'MISSED'}, "
          f"batch {'MET' if args.orders / batched >= 1000 else 'MISSED'}, rate tables {'MET' if args.orders / rated >= 1000 else 'MISSED'}")
    return args.orders / engine


def optimum(batch, sites, available):
    """Cheapest plan for the whole batch: integer programme over units per (order, location, product)
    and a parcel per (order, location), priced by the same estimate (affine in weight)."""
    x_index, y_index = {}, {}
    for o, (needs, _) in enumerate(batch):
        for site in sites:
            y_index[(o, site.location_id)] = len(y_index)
    for o, (needs, _) in enumerate(batch):
        for n in needs:
            for site in sites:
                if available.get((n.product_id, site.location_id), 0) > 0:
                    x_index[(o, n.key, site.location_id)] = len(y_index) + len(x_index)
    size = len(y_index) + len(x_index)
    c = np.zeros(size)
    for (o, loc), j in y_index.items():
        dest = batch[o][1]
        site = next(s for s in sites if s.location_id == loc)
        km = distance_km(site.latitude, site.longitude, *dest)
        c[j] = shipment_cost_estimate(distance_km=km, weight_kg=0.0)
    per_kg = {}
    for (o, key, loc), j in x_index.items():
        if (o, loc) not in per_kg:
            site = next(s for s in sites if s.location_id == loc)
            km = distance_km(site.latitude, site.longitude, *batch[o][1])
            per_kg[(o, loc)] = shipment_cost_estimate(distance_km=km, weight_kg=1.0) - shipment_cost_estimate(distance_km=km, weight_kg=0.0)
        need = batch[o][0][key]
        c[j] = per_kg[(o, loc)] * need.weight_grams / 1000.0
    rows, lower, upper = [], [], []
    matrix = lil_matrix((len(x_index) * 2 + 10_000, size))
    r = 0
    by_need: dict[tuple[int, int], list[int]] = {}
    by_stock: dict[tuple[int, int], list[int]] = {}
    for (o, key, loc), j in x_index.items():
        by_need.setdefault((o, key), []).append(j)
        by_stock.setdefault((batch[o][0][key].product_id, loc), []).append(j)
        # units only travel in a parcel: x <= quantity * y
        matrix[r, j] = 1
        matrix[r, y_index[(o, loc)]] = -batch[o][0][key].quantity
        lower.append(-np.inf), upper.append(0)
        r += 1
    for (o, key), columns in by_need.items():
        for j in columns:
            matrix[r, j] = 1
        q = batch[o][0][key].quantity
        lower.append(q), upper.append(q)
        r += 1
    for (p, loc), columns in by_stock.items():
        for j in columns:
            matrix[r, j] = 1
        lower.append(-np.inf), upper.append(available[(p, loc)])
        r += 1
    matrix = matrix[:r].tocsr()
    # Only the parcels need be integer: with them fixed, sharing the stock is a transportation
    # problem whose optimal basic solutions are whole units, so the optimum is the same (and the
    # solver several times faster).
    integrality = np.zeros(size)
    integrality[: len(y_index)] = 1
    ub = np.full(size, np.inf)
    ub[: len(y_index)] = 1
    result = milp(
        c, constraints=[LinearConstraint(matrix, lower, upper)], integrality=integrality, bounds=Bounds(0, ub),
        options={"time_limit": TIME_LIMIT, "mip_rel_gap": 1e-6},
    )
    if result.status != 0:  # not proven optimal (time limit): left out rather than compared with a guess
        return None
    units = result.x[len(y_index):]
    assert np.allclose(units, np.rint(units), atol=1e-6), "the optimum ships a fraction of a unit"
    shipments = int(round(sum(result.x[j] for j in y_index.values())))
    return result.fun, shipments


@dataclass(frozen=True)
class Level:
    name: str
    spare_percent: int  # stock beyond the batch's demand
    lines: tuple[int, int]  # lines per order
    skus: int
    orders: int  # per instance (the hard level has fewer, so that the exact optimum is proven in time)


LEVELS = (
    Level("50% spare", 50, (1, 3), 8, 30),
    Level("10% spare", 10, (1, 3), 8, 30),
    Level("5% spare, 2-5 lines", 5, (2, 5), 12, 20),
)


def instance(level: Level, seed: int, orders: int):
    """One quality instance: ``orders`` orders over 5 locations, each product's stock just above
    the batch's demand, spread unit by unit at random. The same (level, seed) is the same instance."""
    rng = random.Random(f"{level.name}/{seed}")
    sites, _, _, batch = make_world(rng, 5, level.skus, orders, level.lines, (0, 12))
    demand: dict[int, int] = {}
    for needs, _ in batch:
        for n in needs:
            demand[n.product_id] = demand.get(n.product_id, 0) + n.quantity
    available = {}
    for p, units in sorted(demand.items()):
        for _ in range(units + max(1, units * level.spare_percent // 100)):
            site = rng.choice(sites)
            available[(p, site.location_id)] = available.get((p, site.location_id), 0) + 1
    return sites, available, batch


def take_of(decision) -> dict[int, dict[int, int]]:
    return {loc: dict(by_product) for loc, by_product in decision.winner.take.items()} if decision.winner is not None else {}


def rolling(batch, sites, available, rules, args):
    """Orders arrive and are routed one by one; every ``--replan-every`` arrivals (and after the
    last) the open orders are re-planned together; an order goes to the floor (leaves the window,
    its plan final) once ``--release-after`` more orders have arrived. Returns the plans and the
    seconds each window took."""
    free = dict(available)
    takes: list[dict[int, dict[int, int]]] = []
    window_times = []
    released = 0
    for index, (needs, dest) in enumerate(batch):
        decision = route(needs=needs, available=free, sites=sites, destination=dest, rules=rules)
        takes.append(take_of(decision))
        for key, units in units_of(takes[-1]).items():
            free[key] -= units
        arrived = index + 1
        if arrived % args.replan_every and arrived < len(batch):
            continue
        released = max(released, arrived - (args.release_after or len(batch) * 5 // 6))
        window = list(range(released, arrived))
        started = time.perf_counter()
        result = replan(
            orders=[WindowOrder(batch[i][0], batch[i][1], takes[i], rules) for i in window],
            free=free, sites=sites, threshold=args.threshold, time_limit=args.window_time_limit,
        )
        window_times.append(time.perf_counter() - started)
        for i, planned in zip(window, result.orders):
            if planned.moved:
                for key, units in units_of(takes[i]).items():
                    free[key] += units
                for key, units in units_of(planned.take).items():
                    free[key] -= units
                takes[i] = planned.take
        assert all(units >= 0 for units in free.values()), "re-planning took more than the stock"
    return takes, window_times


def units_of(take) -> dict[tuple[int, int], int]:
    return {(p, loc): q for loc, by_product in take.items() for p, q in by_product.items()}


def cost_of(take, needs, dest, sites, rules) -> float:
    return plan_decision(needs=needs, take=take, sites=sites, destination=dest, rules=rules, reason="").winner.estimated_cost


def gaps_line(name: str, gaps: list[float]) -> str:
    return (f"   {name:<22} mean {statistics.mean(gaps):+7.2%}   median {statistics.median(gaps):+7.2%}   "
            f"worst {max(gaps):+7.2%}")


def quality(args, level: Level, seeds: list[int]):
    rules = RoutingRules(name="cost only", weights=Weights(cost=1, distance=0, split=0, priority=0, store=0, capacity=0))
    gaps: dict[str, list[float]] = {"one by one": [], "batch": [], "rolling re-planning": []}
    solve_times, batch_times, window_times = [], [], []
    worst_seed: dict[str, tuple[float, int]] = {}
    unsolved = []
    for seed in seeds:
        sites, available, batch = instance(level, seed, args.batch or level.orders)
        started = time.perf_counter()
        best = optimum(batch, sites, available)
        solve_times.append(time.perf_counter() - started)
        if best is None:
            unsolved.append(seed)
            continue
        first_come = route_all(batch, sites, available, rules)
        started = time.perf_counter()
        together = route_batch(orders=[BatchOrder(needs, dest, rules) for needs, dest in batch], available=available, sites=sites)
        batch_times.append(time.perf_counter() - started)
        takes, windows = rolling(batch, sites, available, rules, args)
        window_times.extend(windows)
        assert all(d.covered for d in first_come) and all(d.covered for d in together)
        costs = {
            "one by one": sum(d.winner.estimated_cost for d in first_come),
            "batch": sum(d.winner.estimated_cost for d in together),
            "rolling re-planning": sum(cost_of(take, needs, dest, sites, rules) for take, (needs, dest) in zip(takes, batch)),
        }
        for name, cost in costs.items():
            gap = cost / best[0] - 1
            gaps[name].append(gap)
            if gap > worst_seed.get(name, (-1.0, 0))[0]:
                worst_seed[name] = (gap, seed)
    print(f"2. Quality, {level.name}: {len(gaps['batch'])} instances (seeds {seeds[0]}-{seeds[-1]}) of {args.batch or level.orders} orders, "
          f"5 locations, {level.skus} SKUs, {level.lines[0]}-{level.lines[1]} lines per order, cost-only strategy; "
          f"gap of the estimated cost to the exact optimum")
    if unsolved:
        print(f"   not solved to optimality within {TIME_LIMIT:.0f} s (left out): seeds {unsolved}")
    if not gaps["batch"]:
        return {}
    for name, values in gaps.items():
        print(gaps_line(name, values) + f"   (worst: seed {worst_seed[name][1]})")
    print(f"   time: batch routing median {statistics.median(batch_times) * 1000:,.0f} ms, worst {max(batch_times) * 1000:,.0f} ms; "
          f"re-planning per window ({len(window_times)} windows) mean {statistics.mean(window_times) * 1000:,.0f} ms, "
          f"worst {max(window_times) * 1000:,.0f} ms; exact reference solve median {statistics.median(solve_times) * 1000:,.0f} ms, "
          f"worst {max(solve_times) * 1000:,.0f} ms")
    met = {name: statistics.mean(gaps[name]) <= 0.03 and max(gaps[name]) <= 0.06 for name in ("batch", "rolling re-planning")}
    print("   target (mean within 3%, worst within 6%): " + ", ".join(f"{name} {'MET' if ok else 'MISSED'}" for name, ok in met.items()))
    return met


def seed_range(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=0, help="Orders per quality instance (default: the level's, 30 or 20).")
    parser.add_argument("--seeds", default=REPORTING_SEEDS, help=f"Quality instances, e.g. 101-120 (reporting, the default) or {TUNING_SEEDS} (tuning).")
    parser.add_argument("--tuning", action="store_true", help=f"Use the tuning seeds ({TUNING_SEEDS}) instead of the reporting ones.")
    parser.add_argument("--levels", default="all", help="Scarcity levels to run: all, or indexes such as 1,2 (1: 50%%, 2: 10%%, 3: 5%% with more lines).")
    parser.add_argument("--replan-every", type=int, default=5, help="Arrivals between two re-plannings of the open orders.")
    parser.add_argument("--release-after", type=int, default=0,
                        help="Arrivals after which an order goes to the floor (leaves the window); default 5/6 of the instance's orders.")
    parser.add_argument("--threshold", type=float, default=0.25, help="Least saving (score, here the estimated cost) that moves an order.")
    parser.add_argument("--window-time-limit", type=float, default=2.0, help="Seconds the exact solver may spend on a window.")
    parser.add_argument("--seed", type=int, default=7, help="Seed of the throughput part.")
    parser.add_argument("--quick", action="store_true", help="For development: 2,000 orders once, the first 5 seeds per level.")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    seeds = seed_range(TUNING_SEEDS if args.tuning else args.seeds)
    if args.quick:
        args.orders, args.rounds = 2_000, 1
        seeds = seeds[:5]
    if not args.skip_throughput:
        throughput(args)
    levels = LEVELS if args.levels == "all" else [LEVELS[int(i) - 1] for i in args.levels.split(",")]
    for level in levels:
        print()
        quality(args, level, seeds)


if __name__ == "__main__":
    main()

"""Walking distance of wave picking against picking order by order, and against the exact shortest walk.

A generated warehouse (4 zones × 10 aisles × 20 positions by default, one SKU per bin) and orders
of 1–5 lines. The same orders are walked three ways, with the same floor plan and distance model
(``fulfillment.picking``):

- baseline: every order on its own walk (single pick lists), from the depot and back;
- waves: orders grouped into waves by ``waves_group`` (default rules), one walk per wave;
- exact: on small waves (at most ``--exact-bins`` bins), Held–Karp's shortest walk through the
  same bins, against the wave path's length.

Targets (issue 4): waves walk at least 40% less than order by order; the wave path is within 10%
of the exact walk. Pure Python, no database:

    .venv/bin/python bench/picking.py            # options: --orders, --wave, --exact, --exact-bins, --seed
"""

import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fulfillment.picking import (  # noqa: E402
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


def warehouse(zones: int, aisles: int, positions: int) -> list[BinAddress]:
    return [
        BinAddress(key=f"{zone}-{aisle:02d}-{position:02d}", zone=zone, aisle=f"{aisle:02d}", shelf="1", position=f"{position:02d}")
        for zone in "ABCDEFGH"[:zones] for aisle in range(1, aisles + 1) for position in range(1, positions + 1)
    ]


def orders_generate(bins: list[BinAddress], count: int, rng: random.Random) -> list[list[BinAddress]]:
    """Each order: 1–5 lines, each line a SKU in its own bin."""
    return [rng.sample(bins, rng.randint(1, 5)) for _ in range(count)]


def walk(addresses, layout, rule) -> float:
    return path_length(pick_path(addresses, layout, rule), layout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--wave", type=int, default=WaveRules.max_orders, help="max orders per wave")
    parser.add_argument("--exact", type=int, default=40, help="small instances solved exactly")
    parser.add_argument("--exact-bins", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    bins = warehouse(4, 10, 20)
    layout = WarehouseLayout(bins)
    orders = orders_generate(bins, args.orders, rng)
    print(f"Warehouse: 4 zones × 10 aisles × 20 positions = {len(bins)} bins; aisle length {layout.aisle_length:.0f} m, "
          f"aisles {layout.aisle_spacing:.0f} m apart; {len(orders)} orders of 1–5 lines ({sum(map(len, orders))} lines)")

    started = time.perf_counter()
    baseline = sum(walk(order, layout, PathRule.SHORTEST) for order in orders)
    candidates = [WaveCandidate(key=index, units=len(order), zones=frozenset(b.zone for b in order)) for index, order in enumerate(orders)]
    waves = waves_group(candidates, WaveRules(max_orders=args.wave, max_units=10_000))
    wave_bins = [[b for candidate in wave.orders for b in orders[candidate.key]] for wave in waves]
    results = {rule: sum(walk(addresses, layout, rule) for addresses in wave_bins) for rule in PathRule}
    elapsed = time.perf_counter() - started

    print("\nWalking distance, same orders")
    print(f"  baseline: order by order ({len(orders)} walks)        {baseline / 1000:10.1f} km")
    for rule, metres in results.items():
        saving = 1 - metres / baseline
        print(f"  waves of {args.wave}, {rule:<10} path ({len(waves)} walks) {metres / 1000:10.1f} km   "
              f"ratio {metres / baseline:.3f}   {saving:.1%} less walking")
    print(f"  ({elapsed:.2f} s for all paths)")

    # Small waves: as many whole orders as fit in the bin budget, solved exactly.
    heuristic, exact, ratios = [], [], []
    for _ in range(args.exact):
        chosen: list[BinAddress] = []
        for order in rng.sample(orders, len(orders)):
            if len({b.key for b in chosen + order}) > args.exact_bins:
                break
            chosen += order
        spots = [layout.spot(b) for b in dict.fromkeys(chosen)]
        ours = walk(chosen, layout, PathRule.SHORTEST)
        best = shortest_route_length(spots, layout)
        heuristic.append(ours)
        exact.append(best)
        ratios.append(ours / best)
    total_ratio = sum(heuristic) / sum(exact)
    print(f"\nExact shortest walk (Held–Karp) on {args.exact} small waves of up to {args.exact_bins} bins")
    print(f"  exact (baseline) {sum(exact):9.0f} m   wave path {sum(heuristic):9.0f} m   ratio {total_ratio:.3f} "
          f"(mean per wave {statistics.mean(ratios):.3f}, worst {max(ratios):.3f})")

    saving = 1 - results[PathRule.SHORTEST] / baseline
    print("\nTargets")
    print(f"  at least 40% less walking than order by order: {saving:.1%}  {'met' if saving >= 0.40 else 'NOT met'}")
    print(f"  within 10% of the exact walk:                  {total_ratio - 1:+.1%}  {'met' if total_ratio <= 1.10 else 'NOT met'}")


if __name__ == "__main__":
    main()

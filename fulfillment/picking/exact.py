"""The shortest possible walk through a few bins (Held–Karp dynamic programming).

Exponential in the number of bins (2^n · n² steps): a yardstick for small instances (up to about
14 bins), never a way to build pick lists.
"""

from collections.abc import Sequence

from .layout import Spot, WarehouseLayout

MAX_EXACT_STOPS = 15


def shortest_route_length(spots: Sequence[Spot], layout: WarehouseLayout) -> float:
    """Metres of the shortest walk from the depot through every spot and back."""
    stops = list(dict.fromkeys(spots))
    n = len(stops)
    if n == 0:
        return 0.0
    if n > MAX_EXACT_STOPS:
        raise ValueError(f"{n} stops are too many for the exact solver (at most {MAX_EXACT_STOPS}).")
    depot = layout.depot
    between = [[layout.distance(a, b) for b in stops] for a in stops]
    from_depot = [layout.distance(depot, spot) for spot in stops]
    INF = float("inf")
    # best[mask][last]: shortest walk from the depot through the stops in ``mask``, ending at ``last``.
    best = [[INF] * n for _ in range(1 << n)]
    for i in range(n):
        best[1 << i][i] = from_depot[i]
    for mask in range(1, 1 << n):
        row = best[mask]
        for last in range(n):
            here = row[last]
            if here == INF or not mask & (1 << last):
                continue
            onward = between[last]
            for nxt in range(n):
                bit = 1 << nxt
                if mask & bit:
                    continue
                candidate = here + onward[nxt]
                if candidate < best[mask | bit][nxt]:
                    best[mask | bit][nxt] = candidate
    full = (1 << n) - 1
    return min(best[full][i] + from_depot[i] for i in range(n))

"""The cheapest plan for many orders at once, solved exactly (HiGHS through ``scipy.optimize.milp``).

An integer programme over units per (order, product, location) and a parcel per (order,
location), priced by :func:`~orders.routing.engine.linear_prices`: the engine's own terms, so
the optimum is the plan the engine's score prefers (exact for the distance estimate; with rate
tables the plans are scored again by the caller). Units no location can give count first: each
costs more than any plan of the orders could, so the solver covers as much as the stock allows
before it looks at the price. An order that may not split ships everything from one location or
reserves nothing, as in :func:`~orders.routing.engine.route`.

It pays on small problems only: past ``max_variables`` it declines, and at its time limit it
gives up; the callers then keep their heuristic's answer (:mod:`orders.routing.batch`,
:mod:`orders.routing.replan`). Pure: plain data in, plans out.
"""

from dataclasses import dataclass
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from .engine import LinearPrices, Site, linear_prices

# Problems up to this many variables are solved whole (about 12 orders of two lines over five
# locations). HiGHS proves such an optimum in tens of milliseconds, but a window of 30 orders
# competing for scarce stock can take it a minute: larger problems are left to the heuristic,
# which solves neighbourhoods of them exactly (orders.routing.batch).
MAX_VARIABLES = 250
TIME_LIMIT_SECONDS = 2.0
GAP = 1e-7
# What staying where it is is worth to an order's parcel and units: breaks ties, changes no optimum.
STAY_BONUS = 1e-3
OPTIMAL, TOO_LARGE, TIMED_OUT, FAILED = "optimal", "too large", "timed out", "failed"


@dataclass
class ExactResult:
    status: str  # OPTIMAL, TOO_LARGE, TIMED_OUT or FAILED
    takes: list[dict[int, dict[int, int]]] | None  # per order: location id -> product id -> units
    seconds: float
    variables: int


def solve_exact(*, orders, available: dict[tuple[int, int], int], sites: list[Site], most_missing: list[dict[int, int]] | None = None,
                prefer: list[dict[int, dict[int, int]]] | None = None, time_limit: float = TIME_LIMIT_SECONDS, max_variables: int = MAX_VARIABLES) -> ExactResult:
    """The cheapest plans for ``orders`` (each with ``needs``, ``destination``, ``rules`` and
    ``pricer``, as :class:`~orders.routing.batch.BatchOrder`) sharing ``available``.

    ``most_missing`` (per order, product id -> units) caps what each order may be left short
    of, e.g. what it is short of now, so that no order loses units it holds. ``prefer`` (per
    order, the plan it holds) breaks ties towards those plans: among equally cheap answers the
    one that moves least. The plans together
    never take more than ``available``, and each order ships only from its allowed locations."""
    started = time.perf_counter()
    prices = [linear_prices(needs=o.needs, sites=sites, destination=o.destination, rules=o.rules, pricer=o.pricer) for o in orders]
    model = _Model(orders, prices, available, most_missing, prefer)
    if model.size > max_variables:
        return ExactResult(TOO_LARGE, None, time.perf_counter() - started, model.size)
    if model.size == 0:
        return ExactResult(OPTIMAL, [{} for _ in orders], time.perf_counter() - started, 0)
    try:
        result = milp(
            model.costs(), constraints=[model.constraints()], integrality=model.integrality(),
            bounds=Bounds(np.zeros(model.size), model.upper), options={"time_limit": time_limit, "mip_rel_gap": GAP},
        )
    except (ValueError, MemoryError):  # a model HiGHS refuses: the heuristic decides
        return ExactResult(FAILED, None, time.perf_counter() - started, model.size)
    seconds = time.perf_counter() - started
    if result.status == 1:
        return ExactResult(TIMED_OUT, None, seconds, model.size)
    if result.status != 0 or result.x is None:
        return ExactResult(FAILED, None, seconds, model.size)
    takes = model.takes(np.rint(result.x).astype(int))
    if takes is None:
        return ExactResult(FAILED, None, seconds, model.size)
    return ExactResult(OPTIMAL, takes, seconds, model.size)


class _Model:
    """Columns: a parcel ``y`` per (order, location), units ``x`` per (order, product, location),
    units short ``u`` per (order, product). Rows: each product of each order is covered or short;
    units travel only in a parcel; no location gives more than it has; a no-split order uses at
    most one parcel and takes everything in it."""

    def __init__(self, orders, prices: list[LinearPrices], available: dict[tuple[int, int], int], most_missing, prefer):
        self.orders, self.prices, self.available, self.prefer = orders, prices, available, prefer
        self.y: dict[tuple[int, int], int] = {}
        self.x: dict[tuple[int, int, int], int] = {}
        self.u: dict[tuple[int, int], int] = {}
        upper: list[float] = []
        for o, price in enumerate(prices):
            for location_id in price.fixed:
                held = [p for p in price.totals if available.get((p, location_id), 0) > 0]
                if not held:
                    continue
                self.y[(o, location_id)] = len(upper)
                upper.append(1)
                for p in held:
                    self.x[(o, p, location_id)] = len(upper)
                    upper.append(min(price.totals[p], available[(p, location_id)]))
            for p, units in price.totals.items():
                cap = units if most_missing is None else min(units, most_missing[o].get(p, 0))
                self.u[(o, p)] = len(upper)
                upper.append(cap)
        self.upper = np.array(upper, dtype=float)
        self.size = len(upper)

    def integrality(self) -> np.ndarray:
        """Only the parcels are integer: once they are chosen, sharing each product's stock between
        the orders is a transportation problem, whose basic solutions are whole units already."""
        integer = np.zeros(self.size)
        integer[list(self.y.values())] = 1
        return integer

    def costs(self) -> np.ndarray:
        c = np.zeros(self.size)
        worst = 1.0
        for (o, location_id), j in self.y.items():
            c[j] = self.prices[o].fixed[location_id]
            worst = max(worst, abs(c[j]))
        for (o, p, location_id), j in self.x.items():
            c[j] = self.prices[o].per_unit[(p, location_id)]
            worst = max(worst, abs(c[j]))
        for o, take in enumerate(self.prefer or ()):
            for location_id, by_product in take.items():
                if (o, location_id) in self.y:
                    c[self.y[(o, location_id)]] -= STAY_BONUS
                for p in by_product:
                    if (o, p, location_id) in self.x:
                        c[self.x[(o, p, location_id)]] -= STAY_BONUS
        # A unit short costs more than any order's whole plan: coverage comes first.
        units = sum(sum(price.totals.values()) for price in self.prices)
        for j in self.u.values():
            c[j] = 10.0 * worst * (units + 1)
        return c

    def constraints(self) -> LinearConstraint:
        rows, cols, vals, lower, upper = [], [], [], [], []

        def row(entries, low, high):
            r = len(lower)
            for j, v in entries:
                rows.append(r), cols.append(j), vals.append(v)
            lower.append(low), upper.append(high)

        by_need: dict[tuple[int, int], list[int]] = {}
        by_stock: dict[tuple[int, int], list[int]] = {}
        for (o, p, location_id), j in self.x.items():
            by_need.setdefault((o, p), []).append(j)
            by_stock.setdefault((p, location_id), []).append(j)
            units = self.prices[o].totals[p]
            if self.orders[o].rules.may_split:  # at most what is there: a tighter bound than the units needed
                row([(j, 1.0), (self.y[(o, location_id)], -self.upper[j])], -np.inf, 0.0)
            else:  # all of the order from this parcel, or nothing
                row([(j, 1.0), (self.y[(o, location_id)], -units)], 0.0, 0.0)
        for (o, p), j in self.u.items():
            row([(x, 1.0) for x in by_need.get((o, p), [])] + [(j, 1.0)], self.prices[o].totals[p], self.prices[o].totals[p])
        for (p, location_id), columns in by_stock.items():
            row([(j, 1.0) for j in columns], -np.inf, self.available[(p, location_id)])
        for o, order in enumerate(self.orders):
            if not order.rules.may_split:
                parcels = [j for (other, _), j in self.y.items() if other == o]
                if parcels:
                    row([(j, 1.0) for j in parcels], 0.0, 1.0)
                    # a no-split order needs every product at its one location: x = total * y
                    for (other, location_id), j in self.y.items():
                        if other == o:
                            for p, units in self.prices[o].totals.items():
                                if (o, p, location_id) not in self.x:
                                    row([(j, 1.0)], 0.0, 0.0)
                                    break
        matrix = csr_matrix((vals, (rows, cols)), shape=(len(lower), self.size))
        return LinearConstraint(matrix, np.array(lower), np.array(upper))

    def takes(self, values: np.ndarray) -> list[dict[int, dict[int, int]]] | None:
        """The solution as plans, checked against the stock after rounding (None: it does not fit)."""
        takes: list[dict[int, dict[int, int]]] = [{} for _ in self.orders]
        used: dict[tuple[int, int], int] = {}
        for (o, p, location_id), j in self.x.items():
            units = int(values[j])
            if units > 0:
                takes[o].setdefault(location_id, {})[p] = units
                used[(p, location_id)] = used.get((p, location_id), 0) + units
        if any(units > self.available.get(key, 0) for key, units in used.items()):
            return None
        for o, price in enumerate(self.prices):
            for p, units in price.totals.items():
                if sum(by_product.get(p, 0) for by_product in takes[o].values()) > units:
                    return None
        return takes


__all__ = ["FAILED", "MAX_VARIABLES", "OPTIMAL", "TIMED_OUT", "TIME_LIMIT_SECONDS", "TOO_LARGE", "ExactResult", "solve_exact"]

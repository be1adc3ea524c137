"""Routing many orders at once: cheaper for the batch than routing them one after another.

Routing orders one by one, first come first served, lets an early order take the stock a later
order needed more: the later one splits or ships from far away, and the batch costs more than it
had to. When orders arrive together (a bulk upload, a marketplace import) there is no "first",
and :func:`route_batch` decides them together:

1. **Regret order.** Each order is priced on the whole stock; the orders that lose the most if
   they do not get their best plan (the gap between their best and second-best candidate) are
   routed first. Orders with a single candidate go first of all.
   When every order got the plan it would get with the whole stock to itself, that is the
   batch's optimum and the search below is skipped (the usual case when stock is plentiful).
2. **Best response.** Each order in turn gives its stock back and is routed again on what the
   others leave; a better plan is kept. Repeated until nothing improves.
3. **Pair exchange.** Two orders that want the same scarce stock (one holds units the other
   needs where none are left) give their stock back together and are routed in both orders; the
   cheaper pair of plans is kept. Repeated with step 2 until a round improves nothing or the
   round budget is spent.

4. **Exact where it pays.** A batch still short of its ideal is solved exactly
   (:mod:`orders.routing.exact`, HiGHS) when it is small; a larger one neighbourhood by
   neighbourhood: the orders that want one product, each order short of its ideal with the
   orders holding what it wants, the orders that want two products; each group solved exactly
   while the rest keep their plans, a group's plans changed only if together they get cheaper.
   Rounds go on until one changes nothing or ``exact_time_limit`` is spent (so a slower machine
   may stop earlier). Stock that is plentiful leaves every order at its ideal after step 1 and
   none of this runs.

Every step keeps the plans feasible together (the stock is taken and given back as plans
change) and never makes the batch worse: the result is at least as good as one-by-one routing
in arrival order (when the search ends worse, which is rare, arrival order is kept). Started
from the plans orders hold (``start``, what re-planning does), no order ends shorter of units
than it started. ``bench/routing.py`` measures it against the exact optimum on instances it was
not tuned on.

Pure like the engine: plain data in, one :class:`~orders.routing.engine.Decision` per order out.
"""

from dataclasses import dataclass
from itertools import combinations
import time

from .cost import ParcelPricer
from .engine import DEFAULT_RULES, Decision, Need, RoutingRules, Site, plan_decision, route
from .exact import OPTIMAL, solve_exact

# Rounds of best response and pair exchange; each round is cheap, and most batches settle in two.
MAX_ROUNDS = 4
# Pairs looked at per order per round: the partners holding most of what the order wants.
MAX_PARTNERS = 12
# Seconds the exact solver may spend on a batch the search leaves short of its ideal; bulk intake
# holds the chunk's stock locks meanwhile, so it is kept short.
EXACT_TIME_LIMIT = 1.0
# Orders solved together in one neighbourhood of a batch too large to solve whole.
NEIGHBOURHOOD = 10
GROUP_VARIABLES = 1000  # a neighbourhood of orders with many lines is still solved


@dataclass(frozen=True)
class BatchOrder:
    """One order of a batch, as the engine sees it."""

    needs: list[Need]
    destination: tuple[float, float] | None
    rules: RoutingRules = DEFAULT_RULES
    pricer: ParcelPricer | None = None  # the order's parcel prices from the rate tables


def route_batch(*, orders: list[BatchOrder], available: dict[tuple[int, int], int], sites: list[Site],
                start: list[dict[int, dict[int, int]]] | None = None, exact_time_limit: float | None = EXACT_TIME_LIMIT) -> list[Decision]:
    """Decide where each of ``orders`` ships from, sharing ``available`` between them.

    Returns one decision per order, in the order given. Their plans together never take more
    than ``available`` holds. An order the stock cannot cover keeps what the others leave it,
    as in one-by-one routing. ``start`` (per order: location id -> product id -> units, fitting
    ``available`` together) seeds the search with plans the orders hold already instead of
    routing them in regret order; the result is then never worse than ``start``.
    ``exact_time_limit`` (None: never) lets a small batch that the heuristic leaves short of its
    ideal be solved exactly (:mod:`orders.routing.exact`) within that many seconds."""
    batch = _Batch(orders, available, sites)
    if start is None:
        batch.route_in_regret_order()
    else:
        batch.start_from(start)
    if not batch.at_ideal():
        for _ in range(MAX_ROUNDS):
            improved = batch.best_responses()
            improved |= batch.pair_exchanges()
            if not improved:
                break
        searched = batch.decisions
        if start is None:
            batch.route_in_order(range(len(orders)))
        else:
            batch.adopt(batch.seeded)
        if not _better(_total(batch.decisions), _total(searched)):  # arrival order wins rarely; "never worse" is the promise
            batch.adopt(searched)
        if exact_time_limit is not None and not batch.at_ideal():
            deadline = time.perf_counter() + exact_time_limit
            if not batch.solve_exactly(available, exact_time_limit):
                batch.improve_neighbourhoods(deadline)
    if len(orders) > 1:
        for decision in batch.decisions:
            decision.reason = f"{decision.reason} Routed together with {len(orders) - 1} other order(s) that arrived at once."
    return batch.decisions


def _value(decision: Decision) -> tuple[int, float]:
    """What a decision is worth to the batch, smaller is better: units left uncovered first,
    then the strategy's score."""
    missing = sum(decision.missing.values())
    return (missing, decision.winner.score if decision.winner is not None else 0.0)


def _total(decisions: list[Decision]) -> tuple[int, float]:
    total = (0, 0.0)
    for decision in decisions:
        total = _add(total, _value(decision))
    return total


def _better(new: tuple[int, float], old: tuple[int, float]) -> bool:
    return new[0] < old[0] or (new[0] == old[0] and new[1] < old[1] - 1e-9)


def _add(a: tuple[int, float], b: tuple[int, float]) -> tuple[int, float]:
    return (a[0] + b[0], a[1] + b[1])


class _Batch:
    def __init__(self, orders: list[BatchOrder], available: dict[tuple[int, int], int], sites: list[Site]):
        self.orders = orders
        self.sites = sites
        products = {need.product_id for order in orders for need in order.needs}
        self.left = {key: units for key, units in available.items() if units > 0 and key[0] in products}
        self.decisions: list[Decision] = []
        self.most_missing: list[dict[int, int]] | None = None
        self.tried: dict[tuple[int, int], tuple[int, int]] = {}
        self.wants: list[dict[int, int]] = []
        for order in orders:
            wants: dict[int, int] = {}
            for need in order.needs:
                if need.quantity > 0:
                    wants[need.product_id] = wants.get(need.product_id, 0) + need.quantity
            self.wants.append(wants)

    def route(self, index: int) -> Decision:
        order = self.orders[index]
        return route(needs=order.needs, available=self.left, sites=self.sites, destination=order.destination, rules=order.rules, pricer=order.pricer)

    def take(self, decision: Decision, sign: int) -> None:
        if decision.winner is None:
            return
        for location_id, by_product in decision.winner.take.items():
            for product_id, units in by_product.items():
                key = (product_id, location_id)
                self.left[key] = self.left.get(key, 0) - sign * units

    def route_in_order(self, indexes) -> None:
        """Route one after another in the order given, from the whole stock."""
        for decision in self.decisions:
            self.take(decision, -1)
        self.decisions = [None] * len(self.orders)  # type: ignore[list-item]
        for index in indexes:
            decision = self.route(index)
            self.take(decision, 1)
            self.decisions[index] = decision

    def adopt(self, decisions: list[Decision]) -> None:
        """Make ``decisions`` the batch's plans, giving back the stock of the current ones."""
        for decision in self.decisions:
            self.take(decision, -1)
        self.decisions = list(decisions)
        for decision in self.decisions:
            self.take(decision, 1)

    def route_in_regret_order(self) -> None:
        for decision in self.decisions:
            self.take(decision, -1)
        regrets = []
        self.ideal = []
        for index in range(len(self.orders)):
            alone = self.route(index)
            scores = [c.score for c in alone.candidates]
            regrets.append(scores[1] - scores[0] if len(scores) > 1 else float("inf"))
            self.ideal.append(_value(alone))
        self.route_in_order(sorted(range(len(self.orders)), key=lambda i: (-regrets[i], i)))

    def decision_of(self, index: int, take: dict[int, dict[int, int]], reason: str) -> Decision:
        order = self.orders[index]
        return plan_decision(needs=order.needs, take=take, sites=self.sites, destination=order.destination, rules=order.rules,
                             pricer=order.pricer, reason=reason)

    def start_from(self, takes: list[dict[int, dict[int, int]]]) -> None:
        """Start from plans the orders hold (the ideal of each is still what it gets alone)."""
        self.ideal = [_value(self.route(index)) for index in range(len(self.orders))]
        self.seeded = [self.decision_of(index, take, "The plan it holds.") for index, take in enumerate(takes)]
        self.most_missing = [dict(decision.missing) for decision in self.seeded]
        self.adopt(self.seeded)

    def keeps_units(self, index: int, decision: Decision) -> bool:
        """Whether ``decision`` leaves the order short of no more units than it started with (an
        order that holds stock keeps it; without a start, anything goes)."""
        if self.most_missing is None:
            return True
        floor = self.most_missing[index]
        return all(units <= floor.get(product_id, 0) for product_id, units in decision.missing.items())

    def solve_exactly(self, available: dict[tuple[int, int], int], time_limit: float) -> bool:
        """Adopt the exact optimum when the batch is small enough, the solver finds it in time
        and it beats the plans found. False when the solver could not decide."""
        result = solve_exact(orders=self.orders, available=available, sites=self.sites, most_missing=self.most_missing, time_limit=time_limit)
        if result.status != OPTIMAL:
            return False
        exact = [self.decision_of(index, take, "Cheapest plan for the whole batch (solved exactly).") for index, take in enumerate(result.takes)]
        if _better(_total(exact), _total(self.decisions)):
            self.adopt(exact)
        return True

    def improve_neighbourhoods(self, deadline: float) -> None:
        """Solve small groups exactly while the others keep their plans, until a round changes
        nothing or the time is up. The groups: the orders that want one product (those that
        compete for its stock; the costliest first when they are many), then each order short
        of its ideal with the orders holding most of what it wants. A group's plans change only
        if together they get cheaper, and no order of it ends shorter of units than it was."""
        solved: set[tuple] = set()
        improved = True
        while improved:
            improved = False
            for group in self.groups():
                seen = tuple((i, id(self.decisions[i])) for i in group)
                if seen in solved:
                    continue
                solved.add(seen)
                left = deadline - time.perf_counter()
                if left <= 0:
                    return
                improved |= self.solve_group(group, left)

    def groups(self):
        """The neighbourhoods of one round (each a sorted list of order indexes)."""
        wanting: dict[int, list[int]] = {}
        for index, wants in enumerate(self.wants):
            for product_id in wants:
                wanting.setdefault(product_id, []).append(index)
        for product_id in sorted(wanting, key=lambda p: (self.slack(p), p)):
            members = sorted(wanting[product_id], key=lambda i: (-_value(self.decisions[i])[1], i))[:NEIGHBOURHOOD]
            if len(members) > 1:
                yield sorted(members)
        losses = [(self.ideal[i][0] - _value(d)[0], self.ideal[i][1] - _value(d)[1], i) for i, d in enumerate(self.decisions)]
        for *_, index in sorted(losses):
            if _better(self.ideal[index], _value(self.decisions[index])):
                yield sorted([index, *self.neighbours(index)[: NEIGHBOURHOOD - 1]])
        # Two products at once: the orders wanting both first, then the costliest of the rest.
        products = sorted(wanting, key=lambda p: (self.slack(p), p))
        for a, b in combinations(products, 2):
            both = set(wanting[a]) & set(wanting[b])
            if not both:
                continue
            rest = sorted(set(wanting[a]) ^ set(wanting[b]), key=lambda i: (-_value(self.decisions[i])[1], i))
            yield sorted((sorted(both) + rest)[:NEIGHBOURHOOD])

    def slack(self, product_id: int) -> int:
        """Units of the product left over once every order has its plan: the less, the more its orders compete."""
        return sum(units for (p, _), units in self.left.items() if p == product_id)

    def neighbours(self, index: int) -> list[int]:
        """Other orders holding units of what ``index`` wants, most units first."""
        wants = self.wants[index]
        held: dict[int, int] = {}
        for other, decision in enumerate(self.decisions):
            if other == index or decision.winner is None:
                continue
            units = sum(q for by_product in decision.winner.take.values() for p, q in by_product.items() if p in wants)
            if units:
                held[other] = units
        return sorted(held, key=lambda other: (-held[other], other))

    def solve_group(self, group: list[int], time_limit: float) -> bool:
        old = [self.decisions[i] for i in group]
        for decision in old:
            self.take(decision, -1)
        result = solve_exact(orders=[self.orders[i] for i in group], available=self.left, sites=self.sites,
                             most_missing=[dict(d.missing) if self.most_missing is None else self.most_missing[i] for i, d in zip(group, old)], time_limit=time_limit, max_variables=GROUP_VARIABLES)
        changed = False
        if result.status == OPTIMAL:
            new = [self.decision_of(i, take, "Cheapest plan for it and the orders competing for its stock (solved exactly).")
                   for i, take in zip(group, result.takes)]
            if _better(_total(new), _total(old)):
                for i, decision in zip(group, new):
                    self.decisions[i] = decision
                changed = True
        for i in group:
            self.take(self.decisions[i], 1)
        return changed

    def at_ideal(self) -> bool:
        """Whether every order got what it would with the whole stock to itself: then no
        exchange can lower the total, and the search is skipped."""
        return all(not _better(self.ideal[i], _value(d)) for i, d in enumerate(self.decisions))

    def best_responses(self) -> bool:
        improved = False
        for index, current in enumerate(self.decisions):
            if not _better(self.ideal[index], _value(current)):
                continue  # as good as it gets for this order
            self.take(current, -1)
            decision = self.route(index)
            if _better(_value(decision), _value(current)) and self.keeps_units(index, decision):
                self.decisions[index] = current = decision
                improved = True
            self.take(current, 1)
        return improved

    def partners(self, index: int) -> list[int]:
        """Orders holding stock that ``index`` wants where too little is left, most units first."""
        wants = self.wants[index]
        scarce = {(p, site.location_id) for p, q in wants.items() for site in self.sites if self.left.get((p, site.location_id), 0) < q}
        if not scarce:
            return []
        held: dict[int, int] = {}
        for other, decision in enumerate(self.decisions):
            if other == index or decision.winner is None:
                continue
            units = sum(q for loc, by_product in decision.winner.take.items() for p, q in by_product.items() if (p, loc) in scarce)
            if units:
                held[other] = units
        return sorted(held, key=lambda other: (-held[other], other))[:MAX_PARTNERS]

    def pair_exchanges(self) -> bool:
        improved = False
        for index in range(len(self.orders)):
            if not _better(self.ideal[index], _value(self.decisions[index])):
                continue
            for other in self.partners(index):
                pair = (min(index, other), max(index, other))
                seen = (id(self.decisions[pair[0]]), id(self.decisions[pair[1]]))
                if self.tried.get(pair) == seen:  # neither plan changed since this pair was tried
                    continue
                self.tried[pair] = seen
                if self.exchange(index, other):
                    improved = True
        return improved

    def exchange(self, a: int, b: int) -> bool:
        before = _add(_value(self.decisions[a]), _value(self.decisions[b]))
        self.take(self.decisions[a], -1)
        self.take(self.decisions[b], -1)
        best = None
        for first, second in ((a, b), (b, a)):
            one = self.route(first)
            self.take(one, 1)
            two = self.route(second)
            self.take(one, -1)
            value = _add(_value(one), _value(two))
            if not (self.keeps_units(first, one) and self.keeps_units(second, two)):
                continue
            if best is None or _better(value, best[0]):
                best = (value, {first: one, second: two})
        changed = best is not None and _better(best[0], before)
        if changed:
            self.decisions[a], self.decisions[b] = best[1][a], best[1][b]
        self.take(self.decisions[a], 1)
        self.take(self.decisions[b], 1)
        return changed


__all__ = ["BatchOrder", "route_batch"]

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

Every step keeps the plans feasible together (the stock is taken and given back as plans
change) and never makes the batch worse: the result is at least as good as one-by-one routing
in arrival order (when the search ends worse, which is rare, arrival order is kept).
``bench/routing.py`` measures it against the exact optimum.

Pure like the engine: plain data in, one :class:`~orders.routing.engine.Decision` per order out.
"""

from dataclasses import dataclass

from .cost import ParcelPricer
from .engine import DEFAULT_RULES, Decision, Need, RoutingRules, Site, route

# Rounds of best response and pair exchange; each round is cheap, and most batches settle in two.
MAX_ROUNDS = 4
# Pairs looked at per order per round: the partners holding most of what the order wants.
MAX_PARTNERS = 12


@dataclass(frozen=True)
class BatchOrder:
    """One order of a batch, as the engine sees it."""

    needs: list[Need]
    destination: tuple[float, float] | None
    rules: RoutingRules = DEFAULT_RULES
    pricer: ParcelPricer | None = None  # the order's parcel prices from the rate tables


def route_batch(*, orders: list[BatchOrder], available: dict[tuple[int, int], int], sites: list[Site]) -> list[Decision]:
    """Decide where each of ``orders`` ships from, sharing ``available`` between them.

    Returns one decision per order, in the order given. Their plans together never take more
    than ``available`` holds. An order the stock cannot cover keeps what the others leave it,
    as in one-by-one routing."""
    batch = _Batch(orders, available, sites)
    batch.route_in_regret_order()
    if not batch.at_ideal():
        for _ in range(MAX_ROUNDS):
            improved = batch.best_responses()
            improved |= batch.pair_exchanges()
            if not improved:
                break
        searched = batch.decisions
        batch.route_in_order(range(len(orders)))
        if not _better(_total(batch.decisions), _total(searched)):  # arrival order wins rarely; "never worse" is the promise
            batch.adopt(searched)
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
            if _better(_value(decision), _value(current)):
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
            if best is None or _better(value, best[0]):
                best = (value, {first: one, second: two})
        changed = _better(best[0], before)
        if changed:
            self.decisions[a], self.decisions[b] = best[1][a], best[1][b]
        self.take(self.decisions[a], 1)
        self.take(self.decisions[b], 1)
        return changed


__all__ = ["BatchOrder", "route_batch"]

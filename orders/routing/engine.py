"""The routing engine: which locations ship an order, and why.

Pure and fast: it reads nothing from the database. The services lock the stock rows, describe
them as :class:`Site` and ``available`` and call :func:`route`; the strategy
(:class:`RoutingRules`) comes from ``orders.routing.config``.

Candidates are every single location that can ship the whole order and, when splitting is
allowed, split plans built greedily (from each location in turn, each round adding the location
that covers most of what is still missing, nearest on ties). Each candidate is scored:

    score = cost·shipping cost + distance·km (averaged over the units)
          + split·(shipments − 1) + priority·Σ location priority + store·shipments from stores
          + capacity·shipments from locations at their daily capacity

The shipping cost of a parcel comes from the carriers' rate tables when the caller passes a
pricer (see ``orders.routing.cost``), else from the distance estimate. The lowest score wins; ties go to fewer shipments, then lower priority numbers, then lower
location ids, so the same stock always gives the same answer. When no candidate covers the
whole order, splitting plans cover as much as the stock allows and the rest stays open; a
strategy that may not split reserves nothing until one location can ship everything.
"""

from dataclasses import dataclass, field, replace
from itertools import combinations

from oms.geo import distance_km

from .cost import DISTANCE_BANDS, UNKNOWN_DISTANCE_KM, ParcelPricer, distance_band, shipment_cost_estimate

# The cheapest parcel the distance estimate prices: a bound used to skip split plans that cannot win.
CHEAPEST_PARCEL = min(base for _, base, _ in DISTANCE_BANDS)
# The weight a parcel is priced at before any unit is in it (rate tables start above zero).
EMPTY_PARCEL_KG = 0.001
DISTANCE_ESTIMATE = "distance estimate"

TERMS = ("cost", "distance", "split", "priority", "store", "capacity")
BACKORDER, HOLD = "backorder", "hold"
STORE = "store"
# Candidates kept in an order's explanation: the winner and the best of the rest.
EXPLAINED_CANDIDATES = 6


@dataclass(frozen=True)
class Weights:
    """What one unit of each score term is worth. The defaults reproduce the rule the OMS began
    with: the nearest location that has everything, else as few shipments as possible."""

    cost: float = 1.0
    distance: float = 0.01
    split: float = 1000.0
    priority: float = 0.0
    store: float = 0.0
    capacity: float = 1000.0

    def as_dict(self) -> dict[str, float]:
        return {term: getattr(self, term) for term in TERMS}


@dataclass(frozen=True)
class RoutingRules:
    """A routing strategy as the engine sees it (plain data, safe to cache and share)."""

    name: str = "built-in default"
    weights: Weights = Weights()
    allowed_locations: frozenset[int] = frozenset()  # empty: every location
    may_split: bool = True
    on_shortage: str = BACKORDER
    strategy_id: int | None = None


DEFAULT_RULES = RoutingRules()


@dataclass(frozen=True)
class Site:
    location_id: int
    latitude: float | None
    longitude: float | None
    priority: int
    code: str = ""
    kind: str = "warehouse"
    at_capacity: bool = False
    country: str = ""  # ISO code and postal code: where a parcel starts, for the rate tables
    postal_code: str = ""


@dataclass(frozen=True)
class Need:
    key: int  # the caller's handle for the line (index or id)
    product_id: int
    quantity: int
    weight_grams: int = 0  # per unit


@dataclass
class Candidate:
    """One way to ship the order: units per product from each location, in the order taken."""

    take: dict[int, dict[int, int]]  # location id -> product id -> units
    shipments: int = 0
    units: int = 0
    estimated_cost: float = 0.0
    km: float = 0.0
    terms: dict[str, float] = field(default_factory=dict)  # weighted contributions
    score: float = 0.0
    sort_key: tuple = ()


@dataclass
class Decision:
    """What :func:`route` decided: the plan to reserve, whether it covers everything, and the
    candidates with their scores (winner first) for the explanation."""

    plan: dict[int, list[tuple[int, int]]]
    covered: bool
    missing: dict[int, int]  # product id -> units no plan covers
    candidates: list[Candidate]
    reason: str
    rules: RoutingRules
    codes: dict[int, str]
    excluded: list[str]
    destination: tuple[float, float] | None
    cost_sources: dict[int, str] = field(default_factory=dict)  # location id -> where its parcel prices came from

    @property
    def winner(self) -> Candidate | None:
        return self.candidates[0] if self.candidates and self.plan_units else None

    @property
    def plan_units(self) -> int:
        return sum(q for parts in self.plan.values() for _, q in parts)

    def explanation(self) -> dict:
        """The decision as JSON-ready data: what the order stores and the admin shows."""
        shown = self.candidates[:EXPLAINED_CANDIDATES]
        return {
            "strategy": self.rules.name,
            "weights": self.rules.weights.as_dict(),
            "may_split": self.rules.may_split,
            "on_shortage": self.rules.on_shortage,
            "destination": list(self.destination) if self.destination else None,
            "considered": len(self.candidates),
            "excluded": self.excluded,
            "cost_sources": {
                self.codes.get(loc, str(loc)): self.cost_sources.get(loc, DISTANCE_ESTIMATE)
                for loc in dict.fromkeys(loc for c in shown for loc in c.take)
            },
            "candidates": [
                {
                    "locations": [self.codes.get(loc, str(loc)) for loc in c.take],
                    "shipments": c.shipments,
                    "units": c.units,
                    "estimated_cost": round(c.estimated_cost, 2),
                    "km": round(c.km, 1),
                    "terms": {term: round(value, 2) for term, value in c.terms.items()},
                    "score": round(c.score, 2),
                }
                for c in shown
            ],
            "winner": 0 if self.winner is not None else None,
            "covered": self.covered,
            "missing_units": sum(self.missing.values()),
            "reason": self.reason,
        }


# Allowed locations that match no location: a channel's stock rule and the strategy share none.
NOWHERE = frozenset({0})


def needs_within(needs: list[Need], allowances: dict[int, int]) -> tuple[list[Need], dict[int, int]]:
    """``needs`` cut down to what a channel may take of each product (``allowances``, shared by
    the needs of one product in their order), and the units cut per product."""
    left = dict(allowances)
    within, beyond = [], {}
    for need in needs:
        take = min(need.quantity, max(left.get(need.product_id, 0), 0))
        left[need.product_id] = left.get(need.product_id, 0) - take
        if take < need.quantity:
            beyond[need.product_id] = beyond.get(need.product_id, 0) + need.quantity - take
        within.append(replace(need, quantity=take))
    return within, beyond


def decision_beyond_allowance(decision: Decision, beyond: dict[int, int], *, channel: str) -> None:
    """Mark ``decision`` short of the units the channel's stock rule did not let it take: they
    are missing like any shortage (backordered, or held where the strategy says so)."""
    for product_id, units in beyond.items():
        decision.missing[product_id] = decision.missing.get(product_id, 0) + units
    decision.covered = False
    units = sum(beyond.values())
    decision.reason = f"{decision.reason} {units} unit(s) wait: beyond what channel {channel}'s stock rule lets it take now.".strip()


def route(
    *,
    needs: list[Need],
    available: dict[tuple[int, int], int],
    sites: list[Site],
    destination: tuple[float, float] | None,
    rules: RoutingRules = DEFAULT_RULES,
    shipping_from: frozenset[int] = frozenset(),
    pricer: ParcelPricer | None = None,
) -> Decision:
    """Decide where ``needs`` ship from. ``available`` maps ``(product_id, location_id)`` to the
    units that may be reserved there; ``shipping_from`` names locations the order already holds
    stock at (adding to them costs no new shipment); ``pricer`` prices parcels from the rate
    tables (None: the distance estimate). Never reads the database."""
    plan: dict[int, list[tuple[int, int]]] = {need.key: [] for need in needs}
    needs = [need for need in needs if need.quantity > 0]
    allowed = rules.allowed_locations
    usable = [site for site in sites if not allowed or site.location_id in allowed]
    excluded = sorted(site.code or str(site.location_id) for site in sites if allowed and site.location_id not in allowed)
    codes = {site.location_id: site.code or str(site.location_id) for site in sites}

    sources: dict[int, str] = {}

    def decided(candidates, covered, missing, reason):
        return Decision(plan, covered, missing, candidates, reason, rules, codes, excluded, destination, sources)

    if not needs:
        return decided([], True, {}, "Nothing left to ship.")

    totals, ranked, scorer = _prepare(needs, usable, destination, rules.weights, shipping_from, pricer)
    left = {}
    for _, _, location_id, _, _ in ranked:
        for product_id in totals:
            units = available.get((product_id, location_id), 0)
            if units > 0:
                left[(product_id, location_id)] = units
    weights = rules.weights

    candidates: list[Candidate] = []
    pinned = shipping_from if not rules.may_split and shipping_from else None
    for entry in ranked:
        location_id = entry[2]
        if pinned is not None and location_id not in pinned:
            continue
        if all(left.get((p, location_id), 0) >= q for p, q in totals.items()):
            candidates.append(scorer.score({location_id: dict(totals)}))

    if rules.may_split:
        best_single = min((c.score for c in candidates), default=None)
        # A split ships at least two parcels: below this bound no split can beat the best single.
        split_floor = weights.split + weights.cost * 2 * scorer.cheapest_parcel()
        if best_single is None or shipping_from or best_single > split_floor:
            seen = {_signature(c.take) for c in candidates}
            for take in _covering_splits(ranked, totals, left, scorer, best_single, pinned=shipping_from):
                signature = _signature(take)
                if signature not in seen:
                    seen.add(signature)
                    candidates.append(scorer.score(take))
            # Past the exact search (more locations, or no full cover): greedy rounds from each
            # start, growing by most units next or by cheapest units next.
            covering = any(c.units == sum(totals.values()) for c in candidates)
            for entry in [] if covering else ranked:
                for per_unit in (None, scorer.unit_price):
                    take = _greedy(entry[2], ranked, totals, left, per_unit)
                    signature = _signature(take)
                    if take and signature not in seen:
                        seen.add(signature)
                        candidates.append(scorer.score(take))

    candidates.sort(key=lambda c: c.sort_key)
    total_units = sum(totals.values())
    if not candidates:
        missing = dict(totals)
        if not rules.may_split and any(left.get((p, e[2]), 0) for p in totals for e in ranked):
            reason = "No single location can ship the whole order and this strategy may not split: nothing reserved, waiting for stock."
        elif excluded and not ranked:
            reason = f"None of the locations this channel may ship from has the stock (not allowed: {', '.join(excluded)})."
        else:
            reason = "No location has any of the stock: waiting for stock."
        return decided([], False, missing, reason)

    if pricer is not None:
        sources.update(scorer.sources)
    winner = candidates[0]
    _fill_plan(plan, needs, winner.take)
    missing = {p: q - sum(take.get(p, 0) for take in winner.take.values()) for p, q in totals.items()}
    missing = {p: q for p, q in missing.items() if q > 0}
    return decided(candidates, not missing, missing, _reason(winner, candidates, codes, total_units, sum(missing.values())))


def _prepare(needs: list[Need], usable: list[Site], destination, weights: Weights, shipping_from: frozenset[int], pricer):
    """Units per product, the usable sites ranked nearest first (then priority, id: the order
    greedy rounds break ties in) and the order's scorer."""
    totals: dict[int, int] = {}
    grams: dict[int, int] = {}
    for need in needs:
        totals[need.product_id] = totals.get(need.product_id, 0) + need.quantity
        grams[need.product_id] = need.weight_grams
    ranked = []
    for site in usable:
        if destination is not None and site.latitude is not None and site.longitude is not None:
            km = distance_km(site.latitude, site.longitude, destination[0], destination[1])
        else:
            km = None
        ranked.append((UNKNOWN_DISTANCE_KM if km is None else km, site.priority, site.location_id, km, site))
    ranked.sort(key=lambda entry: entry[:3])
    return totals, ranked, _Scorer(weights, {entry[2]: entry for entry in ranked}, grams, shipping_from, pricer)


@dataclass(frozen=True)
class LinearPrices:
    """One order's score as a fixed price per location shipped from plus a price per unit of
    each product there (what an exact solver over many orders needs). Exact for the distance
    estimate and a fully covered order; for rate tables the price per unit is the slope from an
    empty to a 1 kg parcel, so a plan found with it is scored again with :func:`plan_decision`."""

    totals: dict[int, int]  # product id -> units the order needs
    fixed: dict[int, float]  # location id -> base parcel, priority, store, capacity and one more shipment
    per_unit: dict[tuple[int, int], float]  # (product id, location id) -> one more unit from there


def linear_prices(*, needs: list[Need], sites: list[Site], destination: tuple[float, float] | None,
                  rules: RoutingRules = DEFAULT_RULES, pricer: ParcelPricer | None = None) -> LinearPrices:
    """The order's :class:`LinearPrices` over the sites its rules allow (the same terms as :func:`route`)."""
    needs = [need for need in needs if need.quantity > 0]
    allowed = rules.allowed_locations
    usable = [site for site in sites if not allowed or site.location_id in allowed]
    totals, ranked, scorer = _prepare(needs, usable, destination, rules.weights, frozenset(), pricer)
    fixed, per_unit = {}, {}
    for entry in ranked if totals else ():
        location_id = entry[2]
        fixed[location_id] = scorer.fixed_price(location_id) + rules.weights.split
        for product_id in totals:
            per_unit[(product_id, location_id)] = scorer.unit_price_of(location_id, product_id, totals)
    return LinearPrices(totals, fixed, per_unit)


def plan_decision(*, needs: list[Need], take: dict[int, dict[int, int]], sites: list[Site], destination: tuple[float, float] | None,
                  rules: RoutingRules = DEFAULT_RULES, pricer: ParcelPricer | None = None, reason: str) -> Decision:
    """The decision that ships ``take`` (location id -> product id -> units, e.g. a plan found for
    many orders at once or the plan an order holds now), scored exactly as :func:`route` scores
    its candidates, so the two compare. ``take`` is trusted to fit the stock and the rules."""
    plan: dict[int, list[tuple[int, int]]] = {need.key: [] for need in needs}
    needs = [need for need in needs if need.quantity > 0]
    codes = {site.location_id: site.code or str(site.location_id) for site in sites}
    allowed = rules.allowed_locations
    excluded = sorted(site.code or str(site.location_id) for site in sites if allowed and site.location_id not in allowed)
    by_id = {site.location_id: site for site in sites}
    take = {loc: {p: q for p, q in by_product.items() if q > 0} for loc, by_product in take.items()}
    take = {loc: by_product for loc, by_product in take.items() if by_product}
    totals, _, scorer = _prepare(needs, [by_id[loc] for loc in take], destination, rules.weights, frozenset(), pricer)
    candidates = [scorer.score(take)] if take else []
    if candidates:
        _fill_plan(plan, needs, take)
    missing = {p: q - sum(by_product.get(p, 0) for by_product in take.values()) for p, q in totals.items()}
    missing = {p: q for p, q in missing.items() if q > 0}
    sources = dict(scorer.sources) if pricer is not None else {}
    return Decision(plan, not missing, missing, candidates, reason, rules, codes, excluded, destination, sources)


class _Scorer:
    """Scores candidates of one order (site distances, weights and parcel prices worked out once)."""

    def __init__(self, weights: Weights, entries: dict, grams: dict[int, int], shipping_from: frozenset[int], pricer: ParcelPricer | None = None):
        self.weights = weights
        self.entries = entries
        self.grams = grams
        self.shipping_from = shipping_from
        self.pricer = pricer
        self.prices: dict[tuple[int, float], float] = {}
        self.sources: dict[int, str] = {}

    def parcel_cost(self, location_id: int, kg: float) -> float:
        """A parcel of ``kg`` from the location: rate tables when the pricer has them, else the estimate."""
        key = (location_id, kg)
        cost = self.prices.get(key)
        if cost is None:
            price = self.pricer.price(location_id, max(kg, EMPTY_PARCEL_KG)) if self.pricer is not None else None
            if price is None:
                cost = shipment_cost_estimate(distance_km=self.entries[location_id][3], weight_kg=kg)
                self.sources.setdefault(location_id, DISTANCE_ESTIMATE)
            else:
                cost = price
                if location_id not in self.sources:
                    self.sources[location_id] = self.pricer.source(location_id)
            self.prices[key] = cost
        return cost

    def cheapest_parcel(self) -> float:
        """No parcel from any of the order's locations costs less (the empty parcel's price)."""
        prices = [self.parcel_cost(location_id, 0.0) for location_id in self.entries]
        return min(prices, default=CHEAPEST_PARCEL)

    def unit_price(self, location_id: int, offer: dict[int, int]) -> float:
        """Weighted cost and distance of a parcel from ``location_id`` with ``offer``, per unit."""
        rank_km = self.entries[location_id][0]
        units = sum(offer.values())
        kg = sum(q * self.grams[p] for p, q in offer.items()) / 1000.0
        return (self.weights.cost * self.parcel_cost(location_id, kg) + self.weights.distance * rank_km * units) / units

    def fixed_price(self, location_id: int) -> float:
        """What shipping anything at all from ``location_id`` adds to the score (without the
        split term): the parcel's base price, priority, store and capacity terms."""
        if location_id in self.shipping_from:
            return 0.0
        _, site_priority, _, _, site = self.entries[location_id]
        w = self.weights
        return (w.cost * self.parcel_cost(location_id, 0.0) + w.priority * site_priority
                + w.store * (site.kind == STORE) + w.capacity * site.at_capacity)

    def unit_price_of(self, location_id: int, product_id: int, totals: dict[int, int]) -> float:
        """What one more unit of ``product_id`` from ``location_id`` adds to the score (the price
        per kilogram between an empty and a 1 kg parcel: exact for the distance estimate, the
        average slope for a rate table)."""
        rank_km = self.entries[location_id][0]
        per_kg = self.parcel_cost(location_id, 1.0) - self.parcel_cost(location_id, 0.0)
        return self.weights.cost * per_kg * self.grams[product_id] / 1000.0 + self.weights.distance * rank_km / sum(totals.values())

    def score(self, take: dict[int, dict[int, int]]) -> Candidate:
        w = self.weights
        cost = unit_km = 0.0
        units = new = priority = stores = full = 0
        priorities = []
        for location_id, by_product in take.items():
            rank_km, site_priority, _, _, site = self.entries[location_id]
            here = sum(by_product.values())
            kg = sum(q * self.grams[p] for p, q in by_product.items()) / 1000.0
            units += here
            unit_km += rank_km * here
            if location_id in self.shipping_from:  # the parcel exists already: only its extra weight costs
                cost += self.parcel_cost(location_id, kg) - self.parcel_cost(location_id, 0.0)
                continue
            cost += self.parcel_cost(location_id, kg)
            new += 1
            priority += site_priority
            priorities.append(site_priority)
            stores += site.kind == STORE
            full += site.at_capacity
        shipments = len(self.shipping_from | take.keys())
        km = unit_km / units if units else 0.0
        terms = {
            "cost": w.cost * cost,
            "distance": w.distance * km,
            "split": w.split * (shipments - 1),
            "priority": w.priority * priority,
            "store": w.store * stores,
            "capacity": w.capacity * full,
        }
        score = sum(terms.values())
        return Candidate(
            take=take, shipments=shipments, units=units, estimated_cost=cost, km=km, terms=terms, score=score,
            sort_key=(round(score, 6), shipments, sorted(priorities), sorted(take)),
        )


def _signature(take: dict[int, dict[int, int]]) -> tuple:
    return tuple(sorted((loc, tuple(sorted(by.items()))) for loc, by in take.items()))


# The most locations one exact split may use, and the most subsets tried per order: past these
# the greedy rounds below are the only split candidates.
MAX_SPLIT_LOCATIONS = 3
MAX_SUBSETS = 400


def _covering_splits(ranked: list, totals: dict[int, int], left: dict[tuple[int, int], int], scorer: "_Scorer",
                     best_single: float | None, *, pinned: frozenset[int]) -> list[dict[int, dict[int, int]]]:
    """The best way to cover the whole order from each set of two or three locations.

    The score is a fixed price per location used (the parcel's base price, priority, store,
    capacity, one more shipment) plus a price per unit that depends on the location and the
    product (the parcel's price per kilogram, the distance term). For a fixed set of locations
    the products therefore do not interact: each product's units come from the set's cheapest
    locations for that product first, which is the set's optimum. Trying every set (smallest
    first, skipping sets whose fixed prices alone already lose to the best plan found) makes the
    winner the cheapest covering plan of up to three locations. Sets with a location that ends up
    shipping nothing are left out: the smaller set is tried on its own."""
    holders = [entry[2] for entry in ranked if any(left.get((p, entry[2]), 0) for p in totals)]
    if len(holders) < 2:
        return []
    fixed = {loc: scorer.fixed_price(loc) for loc in holders}
    unit = {loc: {p: scorer.unit_price_of(loc, p, totals) for p in totals} for loc in holders}
    found: list[dict[int, dict[int, int]]] = []
    bound = best_single
    tried = 0
    for size in range(2, min(MAX_SPLIT_LOCATIONS, len(holders)) + 1):
        for subset in combinations(holders, size):
            tried += 1
            if tried > MAX_SUBSETS:
                return found
            floor = sum(fixed[loc] for loc in subset) + scorer.weights.split * (len(pinned | set(subset)) - 1)
            if bound is not None and floor >= bound:
                continue
            take: dict[int, dict[int, int]] = {}
            price = floor
            covered = True
            for product_id, quantity in totals.items():
                for loc in sorted(subset, key=lambda loc: unit[loc][product_id]):
                    units = min(quantity, left.get((product_id, loc), 0))
                    if units:
                        take.setdefault(loc, {})[product_id] = units
                        price += units * unit[loc][product_id]
                        quantity -= units
                        if not quantity:
                            break
                if quantity:
                    covered = False
                    break
            if not covered or len(take) < size:
                continue
            found.append({loc: take[loc] for loc in subset})
            if bound is None or price < bound:
                bound = price
    return found


def _greedy(start: int, ranked: list, totals: dict[int, int], left: dict[tuple[int, int], int], per_unit=None) -> dict[int, dict[int, int]]:
    """Take what ``start`` has, then each round the location covering most of the rest (nearest
    on ties) or, with ``per_unit(location, units by product)``, the one whose units come cheapest;
    until the order is covered or no location adds anything."""
    remaining = dict(totals)
    stock = dict(left)
    take: dict[int, dict[int, int]] = {}
    location_id = start
    while location_id is not None:
        got = {}
        for product_id, quantity in remaining.items():
            if quantity:
                units = min(quantity, stock.get((product_id, location_id), 0))
                if units:
                    got[product_id] = units
        if not got:
            break
        take[location_id] = got
        for product_id, units in got.items():
            remaining[product_id] -= units
            stock[(product_id, location_id)] -= units
        if not any(remaining.values()):
            break
        best, best_value = None, None
        for entry in ranked:
            candidate = entry[2]
            if candidate in take:
                continue
            if per_unit is None:
                cover = 0
                for product_id, quantity in remaining.items():
                    if quantity:
                        cover += min(quantity, stock.get((product_id, candidate), 0))
                value = -cover if cover else None
            else:
                offer = {}
                for product_id, quantity in remaining.items():
                    if quantity:
                        units = min(quantity, stock.get((product_id, candidate), 0))
                        if units:
                            offer[product_id] = units
                value = per_unit(candidate, offer) if offer else None
            if value is not None and (best_value is None or value < best_value):
                best, best_value = candidate, value
        location_id = best
    return take


def _fill_plan(plan: dict[int, list[tuple[int, int]]], needs: list[Need], take: dict[int, dict[int, int]]) -> None:
    """Hand each location's units of a product to the lines that need it, in line order."""
    pools = {location_id: dict(by_product) for location_id, by_product in take.items()}
    for need in needs:
        wanted = need.quantity
        for location_id, pool in pools.items():
            if not wanted:
                break
            units = min(wanted, pool.get(need.product_id, 0))
            if units:
                plan[need.key].append((location_id, units))
                pool[need.product_id] -= units
                wanted -= units


def _names(candidate: Candidate, codes: dict[int, str]) -> str:
    return " + ".join(codes.get(loc, str(loc)) for loc in candidate.take)


def _reason(winner: Candidate, candidates: list[Candidate], codes: dict[int, str], total_units: int, missing: int) -> str:
    """One line a person can read: who ships, and what beat the runner-up."""
    names = _names(winner, codes)
    if missing:
        head = f"{names} can ship {winner.units} of {total_units} unit(s); {missing} wait for stock"
    elif winner.shipments == 1 and len(winner.take) == 1:
        head = f"{names} ships everything"
    else:
        head = f"Split over {names} ({winner.shipments} shipments)"
    if len(candidates) == 1:
        return f"{head}: the only candidate."
    runner = candidates[1]
    gaps = {term: runner.terms[term] - winner.terms[term] for term in TERMS}
    deciding = max(gaps, key=lambda term: gaps[term])
    if runner.score - winner.score < 1e-6:
        why = "same score, tie broken by fewer shipments, priority, then location id"
    else:
        why = f"{runner.score - winner.score:.2f} below {_names(runner, codes)}, mostly on {deciding}"
    return f"{head}: best of {len(candidates)} candidates ({why})."


__all__ = [
    "BACKORDER", "DEFAULT_RULES", "HOLD", "TERMS", "Candidate", "Decision", "Need", "RoutingRules", "Site", "Weights",
    "LinearPrices", "distance_band", "linear_prices", "plan_decision", "route",
]

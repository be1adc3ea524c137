"""Re-planning a window of open orders: a cheaper assignment of the stock they hold, moved only
where it pays.

Orders routed one at a time (the API, a webhook) each took the best plan the stock allowed when
they arrived; an early order may hold the units a later one needed more. While orders wait to
go to the floor they can still be re-planned together. :func:`replan` takes a window of such
orders, with what each holds now, and returns a plan per order and what moving to it saves:

1. **Propose.** The window's stock is what is free plus what its orders hold. A window small
   enough (``max_variables``) is solved exactly (:mod:`orders.routing.exact`, HiGHS) within
   ``time_limit``; a larger one, or one the solver does not finish in time, goes to the batch
   heuristic (:func:`~orders.routing.batch.route_batch`, with its exact neighbourhoods) twice,
   started from the plans held now and afresh, the cheaper kept. No order is left short of more
   units than it is short of now (the fresh answer is used only if it keeps this).
2. **Keep what pays.** Orders whose old or new plans touch the same stock move together (one's
   new plan may need what the other gives up; one of them may even get dearer). A move is kept
   if it covers units an order lacked, or if it saves more than ``threshold`` for each order it
   moves; the orders of the others keep their plans, and an exactly solved window is solved
   again around them (their units stay theirs) while time is left, a few times at most.
3. **Stay feasible.** The moves are then accepted greedily, most units gained and then largest
   saving first, each only if its new plans fit in what is free once its orders give their old
   plans back; every other order still holds its plan meanwhile. So the result never takes more
   from a location than is free there plus what the window's orders hold there, whatever the
   solver answered.

Scores are the engine's (:func:`~orders.routing.engine.plan_decision`), so a saving here is a
saving in the terms the channel's strategy routes by. Each order ships only from its rules'
allowed locations and, when the caller says so, from the locations that can still meet its
promised date (``on_time_locations``: the engine does not model transit days; the service
narrows the locations by the carriers' dates, ``replanning.on_time_locations``). Pure: the service reads the window, the free stock and the
held units under its locks, calls this, and applies the moves.
"""

from dataclasses import dataclass, replace
import time

from .batch import BatchOrder, route_batch
from .cost import ParcelPricer
from .engine import DEFAULT_RULES, NOWHERE, Decision, Need, RoutingRules, Site, plan_decision
from .exact import MAX_VARIABLES, OPTIMAL, TIMED_OUT, solve_exact

Take = dict[int, dict[int, int]]  # location id -> product id -> units

TIME_LIMIT_SECONDS = 2.0
# Times the window is solved again with the orders whose saving fell below the threshold fixed.
MAX_RESOLVES = 3
EXACT, HEURISTIC = "exact", "heuristic"


@dataclass(frozen=True)
class WindowOrder:
    """An open order as re-planning sees it: what it needs, where it may ship from, what it holds."""

    needs: list[Need]
    destination: tuple[float, float] | None
    current: Take  # what it holds now, by location and product
    rules: RoutingRules = DEFAULT_RULES
    pricer: ParcelPricer | None = None
    # Locations that can still deliver by the order's promised date; None: no promise to keep.
    on_time_locations: frozenset[int] | None = None


@dataclass
class Replanned:
    take: Take  # the order's plan after re-planning (its current one when it did not move)
    decision: Decision  # that plan scored by the engine, for the explanation
    moved: bool
    saving: float = 0.0  # its own score before minus after (0.0 when it did not move; below 0 when it gave way)
    units_gained: int = 0  # units it lacked that the new plan covers
    move: int | None = None  # the move it is part of (orders that exchange stock move together)
    move_saving: float = 0.0  # what that move saves the window as a whole


@dataclass
class ReplanResult:
    orders: list[Replanned]
    method: str  # EXACT or HEURISTIC
    fallback_reason: str = ""  # why the heuristic decided (too large, timed out, failed)
    solves: int = 0
    seconds: float = 0.0

    @property
    def saving(self) -> float:
        return sum(order.saving for order in self.orders if order.moved)


@dataclass
class _Move:
    members: list[int]
    saving: float
    gained: int
    loses: bool  # some member would be left shorter of units than it is

    def pays(self, threshold: float) -> bool:
        if self.loses:
            return False
        return self.gained > 0 or self.saving > threshold * len(self.members)


def replan(*, orders: list[WindowOrder], free: dict[tuple[int, int], int], sites: list[Site], threshold: float,
           time_limit: float = TIME_LIMIT_SECONDS, max_variables: int = MAX_VARIABLES) -> ReplanResult:
    """A plan per order of the window and the saving of moving to it (see the module's doc).

    ``free`` maps ``(product_id, location_id)`` to units no order holds; the orders' ``current``
    plans are what they hold. Guarantees: the plans together take no more of a location than
    ``free`` plus what the window holds there; an order moves only to locations its rules (and
    ``on_time_locations``) allow and is never left shorter of units than it is now; orders move
    only as part of a move that covers more units or saves more than ``threshold`` per order it
    moves; so the window ends with more units covered, or the same units for less."""
    started = time.perf_counter()
    batch = [_batch_order(order) for order in orders]
    before = [_decision(order, order.current, sites, "The plan it holds.") for order in orders]
    pool = dict(free)
    for order in orders:
        _add(pool, order.current, 1)
    everyone = list(range(len(orders)))
    deadline = started + time_limit
    proposal, method, why = _propose(batch, orders, before, pool, sites, everyone, deadline, max_variables)
    solves = 1
    fixed: set[int] = set()
    while True:
        after = {i: _decision(orders[i], take, sites, "Re-planned with the other open orders.") for i, take in proposal.items()}
        moves = _moves(orders, before, after, proposal)
        losing = [move for move in moves if not move.pays(threshold)]
        if not losing or method != EXACT or solves > MAX_RESOLVES or time.perf_counter() >= deadline:
            break
        # Moves that do not pay stay where they are; the rest is solved again around them.
        for move in losing:
            fixed.update(move.members)
        stock = dict(pool)
        for i in fixed:
            _add(stock, orders[i].current, -1)
        rest = [i for i in everyone if i not in fixed]
        again, again_method, _ = _propose(batch, orders, before, stock, sites, rest, deadline, max_variables)
        solves += 1
        if again_method != EXACT:
            break
        proposal = {**{i: _clean(orders[i].current) for i in fixed}, **again}

    accepted = _accept(orders, [move for move in moves if move.pays(threshold)], proposal, free)
    result = []
    for i, order in enumerate(orders):
        number = next((n for n, move in enumerate(accepted) if i in move.members), None)
        if number is None:
            result.append(Replanned(_clean(order.current), before[i], False))
        else:
            move = accepted[number]
            result.append(Replanned(proposal[i], after[i], True, _score(before[i]) - _score(after[i]), _gained(before[i], after[i]),
                                    number, move.saving))
    return ReplanResult(result, method, why, solves, time.perf_counter() - started)


def _propose(batch: list[BatchOrder], orders: list[WindowOrder], before: list[Decision], stock: dict[tuple[int, int], int],
             sites: list[Site], indexes: list[int], deadline: float, max_variables: int) -> tuple[dict[int, Take], str, str]:
    """Plans for the orders at ``indexes`` sharing ``stock``: exact when it pays, else the
    heuristic (with what is left of the time for its own exact neighbourhoods)."""
    group = [batch[i] for i in indexes]
    held = [_clean(orders[i].current) for i in indexes]
    result = solve_exact(orders=group, available=stock, sites=sites, most_missing=[dict(before[i].missing) for i in indexes],
                         prefer=held, time_limit=max(deadline - time.perf_counter(), 0.01), max_variables=max_variables)
    if result.status == OPTIMAL:
        return dict(zip(indexes, result.takes)), EXACT, ""
    why = f"solver {result.status}" + (f" after {result.seconds:.2f} s" if result.status == TIMED_OUT else f" ({result.variables} variables)")
    # Two searches: from the plans held, and afresh (which a window routed first come, first
    # served often needs to leave its local optimum); the cheaper that leaves no order shorter.
    seeded = route_batch(orders=group, available=stock, sites=sites, start=held, exact_time_limit=max((deadline - time.perf_counter()) / 2, 0.0))
    fresh = route_batch(orders=group, available=stock, sites=sites, exact_time_limit=max(deadline - time.perf_counter(), 0.0))
    short = [before[i].missing for i in indexes]
    keeps = all(all(units <= was.get(p, 0) for p, units in d.missing.items()) for d, was in zip(fresh, short))
    decisions = fresh if keeps and _total(fresh) < _total(seeded) else seeded
    return {i: _take_of(d) for i, d in zip(indexes, decisions)}, HEURISTIC, why


def _total(decisions: list[Decision]) -> tuple[int, float]:
    return sum(sum(d.missing.values()) for d in decisions), sum(_score(d) for d in decisions)


def _moves(orders: list[WindowOrder], before: list[Decision], after: dict[int, Decision], proposal: dict[int, Take]) -> list[_Move]:
    """The orders whose plan changes, grouped into moves: orders whose old or new plans touch the
    same stock (product at a location) stand or fall together, since one's new plan may need what
    the other gives up."""
    changed = [i for i in sorted(proposal) if proposal[i] != _clean(orders[i].current)]
    parent = {i: i for i in changed}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[int, int], int] = {}
    for i in changed:
        for key in _units(orders[i].current).keys() | _units(proposal[i]).keys():
            if key in owner:
                parent[root(i)] = root(owner[key])
            else:
                owner[key] = i
    members: dict[int, list[int]] = {}
    for i in changed:
        members.setdefault(root(i), []).append(i)
    moves = []
    for group in members.values():
        loses = any(after[i].missing.get(p, 0) > units for i in group for p, units in before[i].missing.items()) or any(
            p not in before[i].missing for i in group for p in after[i].missing)
        moves.append(_Move(group, sum(_score(before[i]) - _score(after[i]) for i in group), sum(_gained(before[i], after[i]) for i in group), loses))
    return moves


def _accept(orders: list[WindowOrder], moves: list[_Move], proposal: dict[int, Take], free: dict[tuple[int, int], int]) -> list[_Move]:
    """Moves that pay, most units gained then largest saving first, each only if its new plans
    fit in what is free once its orders give their plans back; the others hold theirs meanwhile."""
    left = dict(free)
    accepted: list[_Move] = []
    waiting = sorted(moves, key=lambda move: (-move.gained, -move.saving, move.members))
    changed = True
    while changed:  # a later move may free what an earlier one needed
        changed = False
        for move in list(waiting):
            for i in move.members:
                _add(left, orders[i].current, 1)
            needed: dict[tuple[int, int], int] = {}
            for i in move.members:
                for key, units in _units(proposal[i]).items():
                    needed[key] = needed.get(key, 0) + units
            if all(left.get(key, 0) >= units for key, units in needed.items()):
                for i in move.members:
                    _add(left, proposal[i], -1)
                accepted.append(move)
                waiting.remove(move)
                changed = True
            else:
                for i in move.members:
                    _add(left, orders[i].current, -1)
    return accepted


def _batch_order(order: WindowOrder) -> BatchOrder:
    rules = order.rules
    if order.on_time_locations is not None:
        allowed = order.on_time_locations if not rules.allowed_locations else rules.allowed_locations & order.on_time_locations
        rules = replace(rules, allowed_locations=allowed or NOWHERE)
    return BatchOrder(order.needs, order.destination, rules, order.pricer)


def _decision(order: WindowOrder, take: Take, sites: list[Site], reason: str) -> Decision:
    return plan_decision(needs=order.needs, take=take, sites=sites, destination=order.destination, rules=order.rules,
                         pricer=order.pricer, reason=reason)


def _gained(before: Decision, after: Decision) -> int:
    return sum(before.missing.values()) - sum(after.missing.values())


def _score(decision: Decision) -> float:
    return decision.winner.score if decision.winner is not None else 0.0


def _take_of(decision: Decision) -> Take:
    return {loc: dict(by_product) for loc, by_product in decision.winner.take.items()} if decision.winner is not None else {}


def _clean(take: Take) -> Take:
    cleaned = {loc: {p: q for p, q in by_product.items() if q > 0} for loc, by_product in take.items()}
    return {loc: by_product for loc, by_product in cleaned.items() if by_product}


def _units(take: Take) -> dict[tuple[int, int], int]:
    return {(p, loc): q for loc, by_product in take.items() for p, q in by_product.items() if q > 0}


def _add(stock: dict[tuple[int, int], int], take: Take, sign: int) -> None:
    for key, units in _units(take).items():
        stock[key] = stock.get(key, 0) + sign * units


__all__ = ["EXACT", "HEURISTIC", "ReplanResult", "Replanned", "WindowOrder", "replan"]

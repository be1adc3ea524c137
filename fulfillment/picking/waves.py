"""Grouping fulfillment orders into waves: many orders picked in one walk, each into its own slot.

The orders are taken most urgent first (carrier cut-off when one is known, then priority, then
promised date, then the order they arrived in), and each joins the first open wave it fits:
fewer orders than ``max_orders``, fewer units than ``max_units`` and, when ``same_zone_set``,
exactly the zones of the wave's first order. An order bigger than ``max_units`` on its own still
gets a wave of its own; nothing is left out. ``separate_cutoffs`` keeps orders that must leave on
different carrier pick-ups in different waves.

Each order's slot (the tote or cart compartment it is picked into) is its place in its wave,
from 1.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class WaveRules:
    max_orders: int = 12
    max_units: int = 200
    same_zone_set: bool = False
    separate_cutoffs: bool = False

    def __post_init__(self):
        if self.max_orders < 1 or self.max_units < 1:
            raise ValueError("A wave needs room for at least one order and one unit.")


@dataclass(frozen=True)
class WaveCandidate:
    """An order waiting to be picked, in plain data."""

    key: int
    units: int
    zones: frozenset[str] = frozenset()
    priority: int = 100  # lower goes first
    promised: date | None = None
    cutoff: datetime | None = None


@dataclass
class Wave:
    orders: list[WaveCandidate] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(order.units for order in self.orders)

    @property
    def zones(self) -> frozenset[str]:
        return frozenset().union(*(order.zones for order in self.orders)) if self.orders else frozenset()

    def slots(self) -> dict[int, int]:
        """Order key -> slot number, from 1 in the order the orders joined."""
        return {order.key: slot for slot, order in enumerate(self.orders, start=1)}


def _urgency(candidate: WaveCandidate) -> tuple:
    return (
        candidate.cutoff is None, candidate.cutoff or datetime.max,
        candidate.priority,
        candidate.promised is None, candidate.promised or date.max,
        candidate.key,
    )


def waves_group(candidates: Sequence[WaveCandidate], rules: WaveRules) -> list[Wave]:
    """The waves, most urgent first; every candidate is in exactly one."""
    waves: list[Wave] = []
    for candidate in sorted(candidates, key=_urgency):
        home = next((wave for wave in waves if _fits(wave, candidate, rules)), None)
        if home is None:
            home = Wave()
            waves.append(home)
        home.orders.append(candidate)
    return waves


def _fits(wave: Wave, candidate: WaveCandidate, rules: WaveRules) -> bool:
    if len(wave.orders) >= rules.max_orders or wave.units + candidate.units > rules.max_units:
        return False
    first = wave.orders[0]
    if rules.same_zone_set and candidate.zones != first.zones:
        return False
    if rules.separate_cutoffs and candidate.cutoff != first.cutoff:
        return False
    return True

"""Where a bin is on the floor, and how far a picker walks between two bins.

The model is the common "parallel aisles" warehouse: aisles side by side, each with a cross
aisle at its front (where the pick path starts and ends, at the depot) and one at its back.
Zones are blocks of aisles placed one after the other, so an aisle's place on the floor is its
rank among all (zone, aisle) pairs of the location. Inside an aisle a bin sits at its position
index; the shelf (the level) changes nothing about walking.

Walking between two bins in one aisle is the distance along the aisle; between two aisles it is
the distance across plus the shorter way round: out by the front cross aisle or by the back one.

Nothing here touches the database: the services hand in plain addresses.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_NUMBER = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """``"A-10"`` after ``"A-9"``: digit runs compare as numbers."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in _NUMBER.split(text or "") if part != "")


def _position_number(text: str) -> int | None:
    """The last number in a position label (``"05"`` → 5, ``"P12"`` → 12), None without one."""
    numbers = _NUMBER.findall(text or "")
    return int(numbers[-1]) if numbers else None


@dataclass(frozen=True)
class BinAddress:
    """A bin as the picking algorithms see it: its labels and, optionally, the merchant's sequence."""

    key: int | str
    zone: str = ""
    aisle: str = ""
    shelf: str = ""
    position: str = ""
    pick_sequence: int = 0

    @property
    def has_place(self) -> bool:
        """Whether the bin can be put on the floor plan (it names an aisle)."""
        return bool(self.aisle)


@dataclass(frozen=True)
class Spot:
    """A point on the floor: which aisle (its rank across the location) and how deep into it."""

    aisle: int
    depth: float


@dataclass
class WarehouseLayout:
    """The floor plan of one location, derived from the labels of its bins.

    ``aisle_spacing``: metres between the centre lines of two neighbouring aisles.
    ``position_pitch``: metres from one position to the next along an aisle.
    The depot (start and end of every walk) is at the front of the first aisle.
    """

    addresses: Iterable[BinAddress]
    aisle_spacing: float = 3.0
    position_pitch: float = 1.0
    _aisles: dict[tuple[str, str], int] = field(init=False, repr=False)
    _zones: dict[str, int] = field(init=False, repr=False)
    _positions: dict[tuple[str, str], dict[str, float]] = field(init=False, repr=False)
    aisle_length: float = field(init=False)

    def __post_init__(self):
        addresses = [a for a in self.addresses if a.has_place]
        self.addresses = addresses
        zones = sorted({a.zone for a in addresses}, key=natural_key)
        self._zones = {zone: rank for rank, zone in enumerate(zones)}
        pairs = sorted({(a.zone, a.aisle) for a in addresses}, key=lambda pair: (self._zones[pair[0]], natural_key(pair[1])))
        self._aisles = {pair: rank for rank, pair in enumerate(pairs)}
        # Positions without a number are placed by their rank among the aisle's labels.
        labels: dict[tuple[str, str], set[str]] = {}
        for a in addresses:
            labels.setdefault((a.zone, a.aisle), set()).add(a.position)
        self._positions = {}
        deepest = 1
        for pair, names in labels.items():
            ranked = sorted(names, key=natural_key)
            depths = {}
            for rank, name in enumerate(ranked, start=1):
                number = _position_number(name)
                depths[name] = number if number is not None and number > 0 else rank
            self._positions[pair] = depths
            deepest = max(deepest, *depths.values())
        # The back cross aisle lies one pitch behind the deepest position.
        self.aisle_length = (deepest + 1) * self.position_pitch

    # --- where things are ----------------------------------------------------------------------

    def zone_rank(self, zone: str) -> int:
        return self._zones.get(zone, len(self._zones))

    def spot(self, address: BinAddress) -> Spot | None:
        """Where the bin is, or None when its labels do not place it (no aisle)."""
        aisle = self._aisles.get((address.zone, address.aisle))
        if aisle is None:
            return None
        depth = self._positions[(address.zone, address.aisle)].get(address.position, 1)
        return Spot(aisle=aisle, depth=depth * self.position_pitch)

    def x(self, aisle: int) -> float:
        return aisle * self.aisle_spacing

    @property
    def depot(self) -> Spot:
        return Spot(aisle=0, depth=0.0)

    # --- walking -------------------------------------------------------------------------------

    def distance(self, a: Spot, b: Spot) -> float:
        """The shortest walk between two spots, using the front or the back cross aisle."""
        if a.aisle == b.aisle:
            return abs(a.depth - b.depth)
        across = abs(self.x(a.aisle) - self.x(b.aisle))
        via_front = a.depth + b.depth
        via_back = 2 * self.aisle_length - a.depth - b.depth
        return across + min(via_front, via_back)

    def route_length(self, spots: Iterable[Spot]) -> float:
        """Metres walked visiting ``spots`` in the order given, from the depot and back to it."""
        total, here = 0.0, self.depot
        for spot in spots:
            total += self.distance(here, spot)
            here = spot
        return total + self.distance(here, self.depot)

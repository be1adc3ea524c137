"""The order in which a picker visits bins: zone by zone, aisle by aisle, serpentine.

Aisles are walked in floor order (zone, then aisle). Inside an aisle the picker walks from the
end he enters by, so the bins are taken deepest-last when he comes from the front cross aisle
and deepest-first when he comes from the back one. Which end that is, is the direction rule:

- ``serpentine``: the aisles with something to pick alternate, up (from the front), down (from
  the back), up... the classic S-shape: the picker never walks back along a cross aisle.
- ``shortest`` (the default): for every aisle the picker either walks through it or turns round
  at its deepest pick and comes back out, whichever leaves the whole walk shortest, chosen over
  all aisles at once by dynamic programming. Where every aisle is walked through this is the
  serpentine; where an aisle has a single shallow pick the picker steps in and out.

Bins the floor plan cannot place (no aisle) come last, in the merchant's ``pick_sequence``.
"""

from collections.abc import Sequence
from enum import StrEnum

from .layout import BinAddress, Spot, WarehouseLayout, natural_key


class PathRule(StrEnum):
    SERPENTINE = "serpentine"
    SHORTEST = "shortest"


FRONT, BACK = 0, 1


def pick_path(addresses: Sequence[BinAddress], layout: WarehouseLayout, rule: PathRule = PathRule.SHORTEST) -> list[BinAddress]:
    """``addresses`` in walking order (each once, duplicates collapsed)."""
    unique = list({address.key: address for address in addresses}.values())
    placed: dict[int, list[tuple[Spot, BinAddress]]] = {}
    unplaced = []
    for address in unique:
        spot = layout.spot(address)
        if spot is None:
            unplaced.append(address)
        else:
            placed.setdefault(spot.aisle, []).append((spot, address))
    aisles = sorted(placed)
    entries = _entries_serpentine(aisles) if rule == PathRule.SERPENTINE else _entries_shortest(aisles, placed, layout)
    path = []
    for aisle, entry in zip(aisles, entries):
        stops = sorted(placed[aisle], key=lambda item: (item[0].depth, natural_key(item[1].shelf), natural_key(str(item[1].key))))
        if entry == BACK:
            # Deepest first; on one position the shelves still read in the same order.
            stops = sorted(stops, key=lambda item: -item[0].depth)
        path += [address for _, address in stops]
    unplaced.sort(key=lambda a: (layout.zone_rank(a.zone), a.pick_sequence, natural_key(a.shelf), natural_key(a.position), natural_key(str(a.key))))
    return path + unplaced


def path_length(addresses: Sequence[BinAddress], layout: WarehouseLayout) -> float:
    """Metres walked visiting these bins in the order given (unplaced bins add nothing)."""
    return layout.route_length(spot for spot in map(layout.spot, addresses) if spot is not None)


def _entries_serpentine(aisles: list[int]) -> list[int]:
    return [FRONT if index % 2 == 0 else BACK for index in range(len(aisles))]


def _entries_shortest(aisles: list[int], placed: dict[int, list[tuple[Spot, BinAddress]]], layout: WarehouseLayout) -> list[int]:
    """The end each aisle is entered by, minimising the walk (dynamic programming over aisles).

    State: which cross aisle (front or back) the picker stands in after finishing an aisle.
    Inside an aisle entered from the front he either walks through (``aisle_length``) or turns at
    the deepest pick (twice its depth); from the back, likewise measured from the back.
    """
    if not aisles:
        return []
    length = layout.aisle_length
    INF = float("inf")
    cost = {FRONT: 0.0, BACK: INF}  # at the depot: the front of the first aisle
    here = 0
    choices: list[dict[int, tuple[int, int]]] = []  # per aisle: exit side -> (entry side, previous exit side)
    for aisle in aisles:
        depths = [spot.depth for spot, _ in placed[aisle]]
        shallowest, deepest = min(depths), max(depths)
        across = abs(layout.x(aisle) - layout.x(here))
        inside = {
            (FRONT, FRONT): 2 * deepest,
            (FRONT, BACK): length,
            (BACK, BACK): 2 * (length - shallowest),
            (BACK, FRONT): length,
        }
        step_cost, step_choice = {FRONT: INF, BACK: INF}, {}
        for (entry, exit_), walk in inside.items():
            total = cost[entry] + across + walk
            if total < step_cost[exit_]:
                step_cost[exit_], step_choice[exit_] = total, (entry, entry)
        cost, here = step_cost, aisle
        choices.append(step_choice)
    back_home = {FRONT: cost[FRONT] + layout.x(here), BACK: cost[BACK] + length + layout.x(here)}
    side = min(back_home, key=back_home.get)
    entries = []
    for step_choice in reversed(choices):
        entry, _ = step_choice[side]
        entries.append(entry)
        side = entry  # the picker entered this aisle from the side he left the previous one by
    return entries[::-1]

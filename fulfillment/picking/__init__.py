"""Pure picking algorithms: the floor plan and walking distance, the pick path, wave grouping and
an exact shortest walk for comparison. Plain data in, plain data out; no database."""

from .exact import shortest_route_length
from .layout import BinAddress, Spot, WarehouseLayout, natural_key
from .path import PathRule, path_length, pick_path
from .waves import Wave, WaveCandidate, WaveRules, waves_group

__all__ = [
    "BinAddress",
    "PathRule",
    "Spot",
    "WarehouseLayout",
    "Wave",
    "WaveCandidate",
    "WaveRules",
    "natural_key",
    "path_length",
    "pick_path",
    "shortest_route_length",
    "waves_group",
]

"""Where an order's stock comes from: the routing engine (pure), its strategies (cached reads)
and the shipping-cost estimate it scores with.

The services lock the stock, call :func:`route` and apply its plan; :func:`allocation_plan` is
the plan alone under the default strategy, for callers that need no explanation.
"""

from .cost import shipment_cost_estimate
from .engine import BACKORDER, DEFAULT_RULES, HOLD, TERMS, Decision, Need, RoutingRules, Site, Weights, route


def allocation_plan(
    *,
    needs: list[Need],
    available: dict[tuple[int, int], int],
    sites: list[Site],
    destination: tuple[float, float] | None,
    rules: RoutingRules = DEFAULT_RULES,
) -> dict[int, list[tuple[int, int]]]:
    """Map each need's key to ``[(location_id, quantity), ...]``; what is not covered is left out."""
    return route(needs=needs, available=available, sites=sites, destination=destination, rules=rules).plan


__all__ = [
    "BACKORDER", "DEFAULT_RULES", "HOLD", "TERMS", "Decision", "Need", "RoutingRules", "Site", "Weights",
    "allocation_plan", "route", "shipment_cost_estimate",
]

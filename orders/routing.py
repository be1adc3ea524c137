"""Where an order's stock comes from.

One pure function, :func:`allocation_plan`, decides; the services lock the stock, call it and
apply its answer. The routing engine replaces this function without touching the services.

The rule for now: one location that can ship the whole order, the nearest to the destination
(ties: lower priority number, then lower id); otherwise split, each round taking the location
that covers the most of what is still missing (nearest on ties), so an order ships in as few
parcels as the stock allows. What no location covers stays open (backordered).
"""

from dataclasses import dataclass

from oms.geo import distance_km


@dataclass(frozen=True)
class Site:
    location_id: int
    latitude: float | None
    longitude: float | None
    priority: int


@dataclass(frozen=True)
class Need:
    key: int  # the caller's handle for the line (index or id)
    product_id: int
    quantity: int


def _rank(sites: list[Site], destination: tuple[float, float] | None) -> list[Site]:
    def key(site: Site):
        if destination and site.latitude is not None and site.longitude is not None:
            distance = distance_km(site.latitude, site.longitude, *destination)
        else:
            distance = float("inf")
        return (distance, site.priority, site.location_id)

    return sorted(sites, key=key)


def allocation_plan(
    *,
    needs: list[Need],
    available: dict[tuple[int, int], int],
    sites: list[Site],
    destination: tuple[float, float] | None,
) -> dict[int, list[tuple[int, int]]]:
    """Map each need's key to ``[(location_id, quantity), ...]``; what is not covered is left out.

    ``available`` maps ``(product_id, location_id)`` to the units that may be reserved there.
    """
    ranked = _rank(sites, destination)
    plan: dict[int, list[tuple[int, int]]] = {need.key: [] for need in needs}
    needs = [n for n in needs if n.quantity > 0]
    if not needs or not ranked:
        return plan

    totals: dict[int, int] = {}
    for need in needs:
        totals[need.product_id] = totals.get(need.product_id, 0) + need.quantity
    for site in ranked:
        if all(available.get((product_id, site.location_id), 0) >= qty for product_id, qty in totals.items()):
            for need in needs:
                plan[need.key].append((site.location_id, need.quantity))
            return plan

    left = {(p, site.location_id): max(available.get((p, site.location_id), 0), 0) for p in totals for site in ranked}
    missing = {need.key: need.quantity for need in needs}
    by_key = {need.key: need for need in needs}
    while any(missing.values()):
        best, best_cover = None, 0
        for site in ranked:  # ranked order makes the first maximum the nearest
            cover = sum(min(q, left[(by_key[k].product_id, site.location_id)]) for k, q in missing.items() if q)
            if cover > best_cover:
                best, best_cover = site, cover
        if best is None:
            break
        for key, quantity in missing.items():
            if not quantity:
                continue
            slot = (by_key[key].product_id, best.location_id)
            take = min(quantity, left[slot])
            if take:
                plan[key].append((best.location_id, take))
                left[slot] -= take
                missing[key] -= take
    return plan

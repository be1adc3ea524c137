"""What a parcel from a location is expected to cost: routing's cost term.

Two sources, both scores for comparing candidate locations, never amounts charged or booked:

- **The carriers' rate tables**, when the services hand the engine a :class:`ParcelPricer`
  (``orders.routing.prices``): the cheapest service's price of a parcel of that weight
  from the location's country to the order's address, in the order's currency.
- **A distance estimate** otherwise, and for any location no carrier of the order's currency
  serves: :func:`shipment_cost_estimate`, a base price per parcel plus a price per kilogram,
  both growing with the distance band.
"""

from typing import Protocol

# (up to km, base per parcel, per kg): a rough domestic-to-intercontinental ladder.
DISTANCE_BANDS: tuple[tuple[float, float, float], ...] = (
    (150.0, 4.00, 0.40),
    (600.0, 5.00, 0.70),
    (1500.0, 6.50, 1.00),
    (3000.0, 8.00, 1.40),
    (6000.0, 12.00, 2.20),
    (float("inf"), 18.00, 3.50),
)
# Where either end has no coordinates the distance is unknown: priced as the farthest band, so
# a location with coordinates near the customer is never beaten by one we cannot place.
UNKNOWN_DISTANCE_KM = 20_000.0


def distance_band(distance_km: float | None) -> tuple[float, float]:
    """``(base per parcel, per kg)`` of the band the distance falls in."""
    km = UNKNOWN_DISTANCE_KM if distance_km is None else distance_km
    for limit, base, per_kg in DISTANCE_BANDS:
        if km <= limit:
            return base, per_kg
    return DISTANCE_BANDS[-1][1:]  # pragma: no cover - the last band is unbounded


def shipment_cost_estimate(*, distance_km: float | None, weight_kg: float) -> float:
    """Estimated price of one parcel of ``weight_kg`` sent ``distance_km`` (None: unknown).

    Affine in the weight for a given distance (base + per kg × weight), which lets the exact
    solver of ``bench/routing.py`` price the same plans with linear terms.
    """
    base, per_kg = distance_band(distance_km)
    return base + per_kg * max(weight_kg, 0.0)


class ParcelPricer(Protocol):
    """Prices one order's parcels from each location (the engine stays pure: no database)."""

    def price(self, location_id: int, weight_kg: float) -> float | None:
        """The price of one parcel of ``weight_kg`` from the location, or None (use the estimate)."""

    def source(self, location_id: int) -> str:
        """Where :meth:`price` comes from, for the explanation (e.g. the lane and services)."""

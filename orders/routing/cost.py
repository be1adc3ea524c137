"""What a shipment is estimated to cost, until the shipping app has carriers and rate tables.

One function, :func:`shipment_cost_estimate`, is all routing asks; the shipping issue replaces
its body with a quote from the rate tables. The estimate is a base price per parcel plus a price
per kilogram, both growing with the distance band, in the merchant's currency units. It is a
score for comparing candidate locations, never an amount charged or booked.
"""

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

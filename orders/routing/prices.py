"""Routing's cost term from the carriers' rate tables.

The engine stays pure: it asks a :class:`RateTablePricer` what a parcel of some weight costs
from each candidate location, and the pricer answers from ``shipping``'s rate card snapshot
(``shipping.rating.parcel_cost_estimate``): the cheapest service of the carriers that charge in
the order's currency, from the location's country to the order's address. Carriers in other
currencies are left out (their prices are not comparable); a location no such carrier serves is
priced by the distance estimate, and the explanation says which source priced what.

Prices depend only on the lane (origin and destination country and postal code, door or pickup
point) and the billable weight, so lanes (``shipping.rating.ParcelLane``: zones resolved, prices
kept per billable weight) are kept per process for the rate card's version: orders to the same postal
code price each lane and weight once.
"""

import datetime

from django.conf import settings

from oms.errors import InvalidInput
from shipping.rating import Address, ParcelLane, RateCard, parcel_lane, postal_normalized
from shipping.selectors import rate_card

from .engine import Site

# Lanes kept per process, dropped whole when full or when the rate card changes.
LANE_CACHE_SIZE = 20_000
_lanes: dict[tuple, ParcelLane | None] = {}
_lanes_version = [""]


def _lane(card: RateCard, services: tuple[str, ...], origin: tuple[str, str], destination: Address) -> ParcelLane | None:
    if _lanes_version[0] != card.version or len(_lanes) >= LANE_CACHE_SIZE:
        _lanes.clear()
        _lanes_version[0] = card.version
    key = (services, origin, destination.country, destination.postal_code, destination.pickup_point)
    if key not in _lanes:
        try:
            lane = parcel_lane(card, origin=Address(*origin), destination=destination, services=services)
        except InvalidInput:  # an origin the rate tables cannot read
            lane = None
        _lanes[key] = lane if lane is not None and lane.options else None
    return _lanes[key]


class RateTablePricer:
    """One order's parcel prices from each location (see the module docstring)."""

    def __init__(
        self, card: RateCard, *, carriers: tuple[str, ...], origins: dict[int, tuple[str, str]], country: str, postal_code: str, currency: str,
        pickup_point: bool = False,
    ):
        self.card = card
        self.carriers = carriers
        self.origins = origins
        self.country = country
        self.postal_code = postal_code
        self.currency = currency
        try:
            self.destination = Address(country, postal_code, pickup_point=pickup_point)
        except InvalidInput:  # a country the rate tables cannot read: the distance estimate prices it
            self.destination = None

    def price(self, location_id: int, weight_kg: float) -> float | None:
        origin = self.origins.get(location_id)
        lane = _lane(self.card, self.carriers, origin, self.destination) if origin and self.destination else None
        price = lane.cheapest(round(weight_kg, 3)) if lane is not None else None
        return None if price is None else float(price)

    def earliest_delivery(self, location_id: int, ship_at) -> datetime.date | None:
        """The earliest delivery day of a parcel from the location handed over at ``ship_at``
        (see ``ParcelLane.earliest_delivery``); None when no carrier of the order's currency
        serves the lane (nothing is known of its dates)."""
        origin = self.origins.get(location_id)
        lane = _lane(self.card, self.carriers, origin, self.destination) if origin and self.destination else None
        return lane.earliest_delivery(ship_at) if lane is not None else None

    def source(self, location_id: int) -> str:
        country, postal = self.origins.get(location_id, ("", ""))
        lane = f"{country} {postal} → {self.country} {self.postal_code}".replace("  ", " ").strip()
        to = "a pickup point" if self.destination is not None and self.destination.pickup_point else "the door"
        return f"rate tables, {lane}: cheapest service to {to} of {', '.join(self.carriers)} in {self.currency}"


def routing_pricer(*, sites: list[Site], country: str, postal_code: str, currency: str, pickup_point: bool = False) -> RateTablePricer | None:
    """The pricer for an order to ``country``/``postal_code`` paid in ``currency`` (delivered to
    the pickup point the customer chose when ``pickup_point``, else to the door), or None when
    no active carrier charges in that currency (routing then uses the distance estimate).

    Reads the rate card at most once per ``OMS_ROUTING_RATES_MAX_AGE`` seconds per process (a
    version query; the rows only when they changed): order intake calls this for every order."""
    if not country or not currency:
        return None
    card = rate_card(max_age_seconds=getattr(settings, "OMS_ROUTING_RATES_MAX_AGE", 30.0))
    carriers = tuple(carrier.code for carrier in card.carriers if carrier.currency == currency)
    if not carriers:
        return None
    origins = {site.location_id: (site.country, postal_normalized(site.postal_code)) for site in sites if site.country}
    return RateTablePricer(
        card, carriers=carriers, origins=origins, country=country.upper(), postal_code=postal_normalized(postal_code), currency=currency,
        pickup_point=pickup_point,
    )


def order_pricer(order, sites: list[Site]) -> RateTablePricer | None:
    """:func:`routing_pricer` for a stored order's shipping address and currency."""
    address = order.shipping_address or {}
    return routing_pricer(
        sites=sites, country=order.ship_country or address.get("country", ""), postal_code=address.get("postal_code", ""), currency=order.currency,
        pickup_point=bool(str(address.get("pickup_point") or "").strip()),
    )

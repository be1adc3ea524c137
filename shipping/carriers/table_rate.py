"""The built-in carrier: prices from its own rate tables and UPU S10 tracking numbers, fully
offline. Labels, cancelling, tracking and return labels come with shipments (not built yet:
they raise :class:`~shipping.carriers.base.NotAvailableYet`)."""

from collections.abc import Iterable

from ..rating import Address, Parcel, Quotes, RateCard, quote
from ..services import tracking_number_issue
from .base import CarrierAdapter


class TableRateCarrier(CarrierAdapter):
    def quote(self, *, parcels: Iterable[Parcel], origin: Address, destination: Address, ship_at, services: Iterable[str] | None = None) -> Quotes:
        keys = [self.carrier.code] if services is None else [f"{self.carrier.code}:{code}" for code in services]
        return quote(RateCard((self.carrier,)), parcels=parcels, origin=origin, destination=destination, ship_at=ship_at, services=keys)

    def tracking_number(self, *, actor: str) -> str:
        """A new S10 tracking number from this carrier's serial range."""
        return tracking_number_issue(carrier_code=self.carrier.code, actor=actor)

"""What every carrier adapter offers. Adapters take plain data and know nothing of orders.

An adapter is built for one carrier's rate card (:class:`shipping.rating.CarrierCard`). A
method an adapter has not built raises :class:`NotAvailableYet` naming it; nothing pretends.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from oms.errors import DomainError

from ..rating import Address, CarrierCard, Parcel, Quotes


class NotAvailableYet(DomainError):
    code = "not_available"
    status_code = 501


@dataclass(frozen=True)
class ShipmentRequest:
    service: str  # the carrier's service code
    origin: Address
    destination: Address
    parcels: tuple[Parcel, ...]
    reference: str = ""  # the caller's (e.g. a fulfillment order number)


@dataclass(frozen=True)
class CreatedShipment:
    tracking_numbers: tuple[str, ...]  # one per parcel
    label_pdf: bytes


@dataclass(frozen=True)
class TrackingEvent:
    tracking_number: str
    status: str  # in_transit, out_for_delivery, delivered, exception, returned
    at: datetime.datetime
    location: str = ""
    detail: str = ""


class CarrierAdapter:
    """The interface. Subclasses override what their carrier offers."""

    def __init__(self, carrier: CarrierCard):
        self.carrier = carrier

    def _not_available(self, what: str):
        return NotAvailableYet(f"{what} is not available yet for carrier {self.carrier.code} ({type(self).__name__}).")

    def quote(self, *, parcels: Iterable[Parcel], origin: Address, destination: Address, ship_at, services: Iterable[str] | None = None) -> Quotes:
        raise self._not_available("Quoting")

    def create_shipment(self, request: ShipmentRequest, *, actor: str) -> CreatedShipment:
        raise self._not_available("Creating a shipment and its label")

    def cancel(self, tracking_number: str, *, actor: str) -> None:
        raise self._not_available("Cancelling a shipment")

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        raise self._not_available("Tracking")

    def return_label(self, request: ShipmentRequest, *, actor: str) -> CreatedShipment:
        raise self._not_available("A return label")

"""What every carrier adapter offers. Adapters take plain data and know nothing of orders.

An adapter is built for one carrier's rate card (:class:`shipping.rating.CarrierCard`). A
method an adapter has not built raises :class:`NotAvailableYet` naming it; nothing pretends.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

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
    ship_at: datetime.datetime | datetime.date | None = None  # when it is handed over (None: now)


@dataclass(frozen=True)
class CreatedShipment:
    tracking_numbers: tuple[str, ...]  # one per parcel
    label_pdf: bytes  # b"" when the carrier returns no label (the built-in carrier: the OMS renders it)
    price: Decimal | None = None  # what the carrier charges, in ``currency``
    currency: str = ""
    collection_date: datetime.date | None = None
    delivery_date: datetime.date | None = None  # promised
    explanation: dict | None = None  # the quote's explanation, when the adapter has one


@dataclass(frozen=True)
class TrackingEvent:
    tracking_number: str
    # shipping.models.TrackingCode: label_created, in_transit, out_for_delivery, delivered, exception,
    # returned_to_sender, or a scan that only informs (accepted, arrived_at_facility, info...)
    status: str
    at: datetime.datetime
    location: str = ""
    detail: str = ""
    event_id: str = ""  # the carrier's id of the event (dedupe); "" when it gives none
    raw: dict | None = None


class CarrierAdapter:
    """The interface. Subclasses override what their carrier offers."""

    # The carrier's public tracking page, "{tracking_number}" filled in; "" when it has none
    # (the built-in carrier: its tracking is the console's shipment page).
    tracking_url_template = ""

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
        """Book a return: ``request`` is in the direction the parcels travel, ``origin`` the
        customer who sends them back and ``destination`` the returns location."""
        raise self._not_available("A return label")

    @property
    def offers_return_labels(self) -> bool:
        """Whether this adapter books returns (callers refuse early, before asking for anything)."""
        return type(self).return_label is not CarrierAdapter.return_label

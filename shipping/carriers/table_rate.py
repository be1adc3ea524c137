"""The built-in carrier: prices from its own rate tables and UPU S10 tracking numbers, fully
offline. Creating a shipment books nothing remote: it issues a tracking number per parcel and
takes the price and promised delivery date from the quote; a return label is booked the same
way on the reverse lane (from the customer to the returns location). Cancelling needs no call
either, and tracking answers what the OMS has stored. The label PDF is rendered by the OMS, not here."""

from collections.abc import Iterable

from oms.errors import InvalidInput, InvalidTransition, NotFound

from ..rating import Address, Parcel, Quotes, RateCard, quote
from .base import CarrierAdapter, CreatedShipment, ShipmentRequest, TrackingEvent


class ServiceUnavailable(InvalidInput):
    code = "service_unavailable"


class TableRateCarrier(CarrierAdapter):
    def quote(self, *, parcels: Iterable[Parcel], origin: Address, destination: Address, ship_at, services: Iterable[str] | None = None) -> Quotes:
        keys = [self.carrier.code] if services is None else [f"{self.carrier.code}:{code}" for code in services]
        return quote(RateCard((self.carrier,)), parcels=parcels, origin=origin, destination=destination, ship_at=ship_at, services=keys)

    def tracking_number(self, *, actor: str) -> str:
        """A new S10 tracking number from this carrier's serial range."""
        from ..services import tracking_number_issue  # the services use the adapters

        return tracking_number_issue(carrier_code=self.carrier.code, actor=actor)

    def create_shipment(self, request: ShipmentRequest, *, actor: str) -> CreatedShipment:
        """A tracking number per parcel, with the price and dates of this service's quote; no label bytes."""
        return self._book(request, what="this shipment", actor=actor)

    def return_label(self, request: ShipmentRequest, *, actor: str) -> CreatedShipment:
        """Like :meth:`create_shipment`, priced on the return lane (``request.origin`` is the
        customer): a lane or weight the service does not carry is refused with the quote's reason."""
        return self._book(request, what="this return", actor=actor)

    def _book(self, request: ShipmentRequest, *, what: str, actor: str) -> CreatedShipment:
        quotes = self.quote(parcels=request.parcels, origin=request.origin, destination=request.destination, ship_at=request.ship_at, services=[request.service])
        chosen = quotes.get(f"{self.carrier.code}:{request.service}")
        if chosen is None:
            why = "; ".join(u.reason for u in quotes.unavailable) or f"{self.carrier.code} has no service {request.service!r}"
            raise ServiceUnavailable(f"{self.carrier.name} {request.service} cannot carry {what}: {why}.", fields={"service_code": [why]})
        numbers = tuple(self.tracking_number(actor=actor) for _ in request.parcels)
        return CreatedShipment(
            tracking_numbers=numbers, label_pdf=b"", price=chosen.price, currency=chosen.currency,
            collection_date=chosen.collection_date, delivery_date=chosen.delivery_date, explanation=chosen.explanation(),
        )

    def cancel(self, tracking_number: str, *, actor: str) -> None:
        """Nothing to call: the built-in carrier only refuses a parcel it has already scanned."""
        from ..models import Shipment

        shipment = Shipment.objects.filter(carrier__code=self.carrier.code, tracking_number=tracking_number).first()
        if shipment is None:
            raise NotFound(f"{self.carrier.name} has no shipment {tracking_number}.")
        if shipment.last_scan_at is not None:
            raise InvalidTransition(f"{self.carrier.name} scanned {tracking_number} at {shipment.last_scan_at:%Y-%m-%d %H:%M}; it cannot be cancelled.")

    def track(self, tracking_number: str) -> list[TrackingEvent]:
        """The events stored for the shipment this parcel belongs to, oldest first (offline)."""
        from ..models import ShipmentParcel, TrackingEvent as StoredEvent

        shipment_id = (
            ShipmentParcel.objects.filter(shipment__carrier__code=self.carrier.code, tracking_number=tracking_number)
            .values_list("shipment_id", flat=True).first()
        )
        if shipment_id is None:
            raise NotFound(f"{self.carrier.name} has no shipment {tracking_number}.")
        return [
            TrackingEvent(
                tracking_number=row.tracking_number, status=row.code, at=row.occurred_at, location=row.location,
                detail=row.status_text, event_id=row.carrier_event_id, raw=row.raw,
            )
            for row in StoredEvent.objects.filter(shipment_id=shipment_id).order_by("occurred_at", "id")
        ]

"""Shipments' personal data (the addresses on them, what carriers reported), read and cleaned by
shipment id: the shipping app knows no customers, so the apps above that own the link (an order's
fulfillment, a return) hand over the ids in their part of a customer's data."""

from oms.personal_data import ErasureContext, address_anonymised, rows_of, rows_scrub

from .models import Shipment, ShipmentDirection, ShipmentParcel, ShipmentStatus, TrackingEvent

# Who works the dock (voids labels, closes manifests): sees the address of the parcels still there.
DOCK = "shipping.void_shipment"


def shipments_at_the_dock(user, shipment_ids: list) -> set:
    """The shipments among ``shipment_ids`` still at the dock: outbound, labelled, on no closed
    manifest and not scanned by the carrier. The dock may have to relabel or void them, so their
    addresses stay visible to it (oms.masking); once handed over they are masked."""
    if not user.has_perm(DOCK):
        return set()
    at_dock = Shipment.objects.filter(
        pk__in=shipment_ids, direction=ShipmentDirection.OUTBOUND, status=ShipmentStatus.LABEL_CREATED, manifest__isnull=True
    )
    return set(at_dock.values_list("pk", flat=True))


def shipments_export(shipment_ids: list[int]) -> dict:
    return {
        "shipments": rows_of(Shipment.objects.filter(pk__in=shipment_ids), exclude=["quote"]),
        "shipment_parcels": rows_of(ShipmentParcel.objects.filter(shipment_id__in=shipment_ids)),
        "tracking_events": rows_of(TrackingEvent.objects.filter(shipment_id__in=shipment_ids), exclude=["raw"]),
    }


def shipments_erase(shipment_ids: list[int], context: ErasureContext, *, customer_end: str) -> dict[str, int]:
    """Anonymise the customer's end of each shipment (``destination`` outbound, ``origin`` for a
    return) and drop the printed label (it shows the address); prices, weights, dates and
    tracking numbers stay."""
    shipments = 0
    for shipment in Shipment.objects.filter(pk__in=shipment_ids).order_by("pk"):
        setattr(shipment, customer_end, address_anonymised(getattr(shipment, customer_end)))
        shipment.label_pdf = None
        shipment.save(update_fields=[customer_end, "label_pdf"])
        shipments += 1
    return {
        "shipments": shipments,
        "shipment_texts": rows_scrub(Shipment.objects.filter(pk__in=shipment_ids), context.values, skip=["tracking_number"]),
        "tracking_events": rows_scrub(TrackingEvent.objects.filter(shipment_id__in=shipment_ids), context.values, skip=["tracking_number"]),
    }

"""4x6 inch shipping labels as PDF: one page per parcel, many parcels (and shipments) in one file.

Each label shows the sender and the recipient (each in the layout of its country, with the
country's name when the parcel crosses a border), the carrier and service, the parcel's tracking
number as a large Code 128 barcode and as text, its weight, the declared value with its currency
(when one was declared), the caller's reference, "parcel k of n" and the collection date. A return label says so in a banner, "Return from" the customer "to"
the returns location, and names the tracking number of the shipment it returns. Rendered with WeasyPrint through the kernel's restricted fetcher
(:mod:`oms.pdf`): the shipped fonts and this app's stylesheet, nothing else, so an address cannot
make the renderer fetch anything.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.template.loader import render_to_string

from oms.addresses import address_lines
from oms.money import money_text
from oms.pdf import code128_svg, html_layout, pdf_asset_register

from .models import Shipment

LABEL_FORMAT = "pdf-4x6"
# 4 x 6 inches in PDF points (72 per inch).
LABEL_SIZE_POINTS = (288, 432)

pdf_asset_register("labels.css", Path(__file__).resolve().parent / "templates" / "shipping" / "labels" / "labels.css", "text/css")


@dataclass(frozen=True)
class ParcelLabel:
    """What one label prints (plain data: the template never touches the database)."""

    tracking_number: str
    shipment_tracking_number: str
    sequence: int
    parcel_count: int
    weight_kg: Decimal
    carrier_name: str
    service_name: str
    reference: str
    ship_date: datetime.date
    ship_from: tuple[str, ...]
    ship_to: tuple[str, ...]
    is_return: bool = False
    return_of: str = ""  # the tracking number of the outbound shipment a return sends back
    declared_value: str = ""  # with its currency, e.g. "129.00 USD"; "" when nothing was declared


def shipment_parcel_labels(shipments: Iterable[Shipment]) -> list[ParcelLabel]:
    """The labels of ``shipments``, in the order given, each shipment's parcels in sequence (fetch
    returns with ``return_of``, or each costs a query for the tracking number it returns)."""
    labels = []
    for shipment in shipments:
        parcels = sorted(shipment.parcels.all(), key=lambda parcel: parcel.sequence)
        origin, destination = shipment.origin or {}, shipment.destination or {}
        ship_from = tuple(address_lines(origin, origin_country=str(destination.get("country") or "")))
        ship_to = tuple(address_lines(destination, origin_country=str(origin.get("country") or "")))
        declared = money_text(shipment.declared_value, shipment.declared_currency or shipment.currency) if shipment.declared_value else ""
        for parcel in parcels:
            labels.append(
                ParcelLabel(
                    tracking_number=parcel.tracking_number, shipment_tracking_number=shipment.tracking_number,
                    sequence=parcel.sequence, parcel_count=len(parcels), weight_kg=parcel.weight_kg,
                    carrier_name=shipment.carrier.name, service_name=shipment.service.name, reference=shipment.reference,
                    ship_date=shipment.collection_date, ship_from=ship_from, ship_to=ship_to, is_return=shipment.is_return,
                    return_of=shipment.return_of.tracking_number if shipment.return_of_id else "", declared_value=declared,
                )
            )
    return labels


def labels_html(labels: Sequence[ParcelLabel]) -> str:
    return render_to_string(
        "shipping/labels/labels.html", {"labels": [{"label": label, "barcode": code128_svg(label.tracking_number)} for label in labels]}
    )


def labels_pdf(labels: Sequence[ParcelLabel]) -> bytes:
    """One PDF with a 4x6 inch page per label, in the order given."""
    if not labels:
        raise ValueError("There are no labels to print.")
    return html_layout(labels_html(labels)).write_pdf()


def shipments_labels_pdf(shipments: Iterable[Shipment]) -> bytes:
    """One PDF of every parcel label of ``shipments`` (fetch them with carrier, service and parcels)."""
    return labels_pdf(shipment_parcel_labels(shipments))

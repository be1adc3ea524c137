"""A closed manifest as the carrier's driver signs it (PDF) and as their systems import it (CSV).

One row per shipment: tracking number, reference, destination, parcels, weight, service; then
the totals. Both are built from the same plain data (:class:`ManifestSheet`), so they always agree.
"""

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.template.loader import render_to_string

from oms.addresses import address_summary
from oms.pdf import html_layout
from oms.spreadsheets import spreadsheet_text  # a customer's reference may start with "="

from . import labels  # noqa: F401  (registers labels.css, which the manifest uses too)
from .models import Manifest

CSV_HEADER = ("tracking_number", "reference", "destination", "parcels", "weight_kg", "service")


@dataclass(frozen=True)
class ManifestRow:
    tracking_number: str
    reference: str
    destination: str
    parcels: int
    weight_kg: Decimal
    service: str


@dataclass(frozen=True)
class ManifestSheet:
    number: str
    carrier_name: str
    date: datetime.date
    closed_at: datetime.datetime
    closed_by: str
    rows: tuple[ManifestRow, ...]

    @property
    def shipment_count(self) -> int:
        return len(self.rows)

    @property
    def parcel_count(self) -> int:
        return sum(row.parcels for row in self.rows)

    @property
    def weight_kg(self) -> Decimal:
        return sum((row.weight_kg for row in self.rows), Decimal("0.000"))


def manifest_sheet(manifest: Manifest) -> ManifestSheet:
    """The manifest's rows (in tracking number order) with parcels and weight summed per shipment."""
    shipments = (
        manifest.shipments.select_related("service")
        .annotate(parcel_count=Count("parcels"), parcel_weight=Sum("parcels__weight_kg"))
        .order_by("tracking_number")
    )
    rows = tuple(
        ManifestRow(
            tracking_number=shipment.tracking_number, reference=shipment.reference, destination=address_summary(shipment.destination),  # with the country: a carrier reads it
            parcels=shipment.parcel_count, weight_kg=shipment.parcel_weight or Decimal("0.000"), service=shipment.service.name,
        )
        for shipment in shipments
    )
    return ManifestSheet(
        number=manifest.number, carrier_name=manifest.carrier.name, date=manifest.date, closed_at=manifest.closed_at,
        closed_by=manifest.closed_by_label, rows=rows,
    )


def manifest_csv(sheet: ManifestSheet) -> str:
    """The CSV: a header, one row per shipment, and a last row ``TOTAL`` with the shipment count
    (in the destination column), the parcels and the weight."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(CSV_HEADER)
    for row in sheet.rows:
        writer.writerow([spreadsheet_text(row.tracking_number), spreadsheet_text(row.reference), spreadsheet_text(row.destination), row.parcels, row.weight_kg, spreadsheet_text(row.service)])
    writer.writerow(["TOTAL", "", f"{sheet.shipment_count} shipments", sheet.parcel_count, sheet.weight_kg, ""])
    return output.getvalue()


def manifest_pdf(sheet: ManifestSheet) -> bytes:
    """The A4 PDF: the table of shipments with its totals and a line for the driver's signature."""
    return html_layout(render_to_string("shipping/manifests/manifest.html", {"manifest": sheet})).write_pdf()

"""The RMA slip: the page that goes into the parcel with the returned items, printed alone or
with the return label (slip first, then the label's pages, in one PDF).

It carries the RMA number as a Code 128 barcode (what the dock scans) and as a QR code, the
order, the lines with their reasons, where the parcel goes (the return label's destination, else
the location it is received at, else the one the order shipped from) and by when it must ship (``expires_at``). Rendered
with WeasyPrint through the kernel's restricted fetcher and the warehouse documents' stylesheet.
"""

from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone

from fulfillment.documents import documents_layout  # noqa: F401  (registers documents.css, which the slip uses)
from fulfillment.documents.rendering import pdfs_join
from fulfillment.models import FulfillmentOrder
from oms.actors import Actor
from oms.addresses import address_lines
from oms.errors import InvalidTransition
from oms.pdf import code128_svg, html_layout, qr_svg
from shipping.services import shipment_label

from .models import ReturnRequest, ReturnStatus
from .selectors import return_lines_of
from .services.receiving import _location_address

# No slip for a return the customer may not (or no longer) send: the dock would receive it.
NOT_PRINTABLE = (ReturnStatus.REQUESTED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED)


@dataclass(frozen=True)
class RmaSlipLine:
    line_number: int
    sku: str
    name: str
    quantity: int
    reason: str


@dataclass(frozen=True)
class RmaSlip:
    """What the slip prints (plain data: the template never touches the database)."""

    number: str
    order_number: str
    requested_on: date
    resolution: str
    ship_by: date | None
    customer: tuple[str, ...]
    return_to: tuple[str, ...]
    tracking_number: str
    lines: tuple[RmaSlipLine, ...]


def rma_slip(return_id: int) -> RmaSlip:
    """The slip of a return, read in a fixed number of queries; refused (``InvalidTransition``)
    before approval and once rejected, cancelled or expired."""
    rma = ReturnRequest.objects.select_related("order", "location", "shipment").get(pk=return_id)
    if rma.status in NOT_PRINTABLE:
        hint = " Approve it first." if rma.status == ReturnStatus.REQUESTED else ""
        raise InvalidTransition(
            f"{rma.number} is {rma.get_status_display().lower()}: it has no slip, the parcel must not be sent.{hint}", code="no_slip",
            fields={"status": [f"Currently {rma.status}."]},
        )
    customer = dict(rma.order.shipping_address or {})
    if rma.shipment_id:
        destination = dict(rma.shipment.destination or {})
    elif rma.location_id:
        destination = _location_address(rma.location)
    else:
        # No label yet: back to where the order shipped from.
        shipped_from = FulfillmentOrder.objects.filter(order_id=rma.order_id).select_related("location").order_by("pk").first()
        destination = _location_address(shipped_from.location) if shipped_from else {}
    origin_country = str(customer.get("country") or "")
    lines = tuple(
        RmaSlipLine(
            line_number=line.order_line.line_number, sku=line.order_line.sku,
            name=line.order_line.name or (line.order_line.product.name if line.order_line.product else ""), quantity=line.quantity,
            reason=f"{line.reason.label}: {line.reason_text}" if line.reason_text else line.reason.label,
        )
        for line in return_lines_of(rma.pk)
    )
    return RmaSlip(
        number=rma.number, order_number=rma.order.number, requested_on=timezone.localdate(rma.created_at),
        resolution=rma.get_resolution_display(), ship_by=timezone.localdate(rma.expires_at) if rma.expires_at else None,
        customer=tuple(address_lines(customer, origin_country=str(destination.get("country") or ""))) if customer else (),
        return_to=tuple(address_lines(destination, origin_country=origin_country)) if destination else (),
        tracking_number=rma.shipment.tracking_number if rma.shipment_id else "", lines=lines,
    )


def rma_slip_html(slip: RmaSlip) -> str:
    return render_to_string("returns/documents/rma_slip.html", {
        "slip": slip, "number_barcode": code128_svg(slip.number), "number_qr": qr_svg(slip.number),
    })


def rma_slip_pdf(return_id: int) -> bytes:
    """The RMA slip of one return as a one-page PDF (A4)."""
    return html_layout(rma_slip_html(rma_slip(return_id))).write_pdf()


def rma_slip_with_label_pdf(*, return_id: int, actor: Actor) -> bytes:
    """The slip and then every page of the return label, in one PDF: what the customer (or the
    clerk preparing an advance return box) prints. Refused when the return has no label yet or
    its label must not be used (voided); the label is the stored one (rendered once if missing)."""
    slip = rma_slip_pdf(return_id)
    rma = ReturnRequest.objects.only("number", "shipment_id").get(pk=return_id)
    if rma.shipment_id is None:
        raise InvalidTransition(f"{rma.number} has no return label yet: issue one first, or print the slip alone.", code="no_label")
    label = shipment_label(shipment_id=rma.shipment_id, actor=actor)
    return pdfs_join([slip, bytes(label.label_pdf)])

"""The purchase order PDF: what the supplier receives when a PO is sent, and what the console prints.

Rendered with WeasyPrint through the kernel's restricted fetcher (only the shipped fonts and this
app's stylesheet may be read); the template gets plain data and never touches the database.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from oms.addresses import address_lines
from oms.pdf import code128_svg, html_layout, pdf_asset_register
from oms.money import quantize

from .models_purchasing import PurchaseOrder, PurchaseOrderLine

pdf_asset_register(
    "purchase_order.css", Path(__file__).resolve().parent / "templates" / "inventory" / "documents" / "purchase_order.css", "text/css"
)


def money_text(amount: Decimal) -> str:
    """An amount as printed: thousands grouped, its (already quantized) decimals kept: 29,561,337.00."""
    return f"{amount:,}"


@dataclass(frozen=True)
class PurchaseOrderPrintLine:
    line_number: int
    sku: str
    supplier_sku: str
    name: str
    quantity: int
    unit_cost: Decimal
    amount: Decimal
    expected_date: date | None

    @property
    def unit_cost_text(self) -> str:
        return money_text(self.unit_cost)

    @property
    def amount_text(self) -> str:
        return money_text(self.amount)


@dataclass(frozen=True)
class PurchaseOrderPrint:
    number: str
    issued_on: date
    expected_date: date | None
    currency: str
    supplier_lines: tuple[str, ...]
    deliver_to: tuple[str, ...]
    notes: str
    lines: tuple[PurchaseOrderPrintLine, ...]
    units: int
    total: Decimal

    @property
    def total_text(self) -> str:
        return money_text(self.total)


def purchase_order_print(purchase_order_id: int) -> PurchaseOrderPrint:
    """What the PDF prints, read in two queries."""
    po = PurchaseOrder.objects.select_related("supplier", "location").get(pk=purchase_order_id)
    supplier, location = po.supplier, po.location
    lines = []
    for line in PurchaseOrderLine.objects.filter(purchase_order=po).select_related("product").order_by("line_number"):
        amount = quantize(line.unit_cost * line.quantity_ordered, po.currency)
        lines.append(
            PurchaseOrderPrintLine(
                line_number=line.line_number, sku=line.product.sku, supplier_sku=line.supplier_sku, name=line.product.name,
                quantity=line.quantity_ordered, unit_cost=quantize(line.unit_cost, po.currency), amount=amount,
                expected_date=line.expected_date or po.expected_date,
            )
        )
    supplier_address = {
        "name": supplier.name, "company": supplier.contact_name, "line1": supplier.line1, "line2": supplier.line2,
        "city": supplier.city, "region": supplier.region, "postal_code": supplier.postal_code, "country": str(supplier.country or ""),
    }
    contact = tuple(part for part in (supplier.email, supplier.phone) if part)
    deliver_to = {
        "name": location.name, "line1": location.line1, "line2": location.line2, "city": location.city, "region": location.region,
        "postal_code": location.postal_code, "country": str(location.country),
    }
    return PurchaseOrderPrint(
        number=po.number, issued_on=timezone.localdate(po.sent_at or po.created_at), expected_date=po.expected_date, currency=po.currency,
        supplier_lines=tuple(address_lines(supplier_address, origin_country=str(location.country))) + contact,
        deliver_to=tuple(address_lines(deliver_to, origin_country=str(supplier.country or ""))),
        notes=po.notes, lines=tuple(lines), units=sum(line.quantity for line in lines),
        total=quantize(sum((line.amount for line in lines), Decimal(0)), po.currency),
    )


def purchase_order_html(document: PurchaseOrderPrint) -> str:
    return render_to_string(
        "inventory/documents/purchase_order.html", {"po": document, "number_barcode": code128_svg(document.number)}
    )


def purchase_order_pdf(purchase_order_id: int) -> bytes:
    """The purchase order as a PDF (A4; long orders flow onto more pages)."""
    return html_layout(purchase_order_html(purchase_order_print(purchase_order_id))).write_pdf()

"""The invoice PDF: what a business buyer on payment terms receives for each shipment.

Rendered with WeasyPrint through the kernel's restricted fetcher, in the purchase order's document
look (``inventory.documents_purchasing``: shipped fonts, numbered pages, a running header naming
the document) with this module's column widths; the template gets plain data, never models.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from inventory.documents_purchasing import money_text  # noqa: F401  (also registers purchase_order.css, the shared look)
from oms.addresses import address_lines
from oms.money import quantize
from oms.pdf import code128_svg, html_layout, pdf_asset_register

from .models import Invoice

pdf_asset_register("invoice.css", Path(__file__).resolve().parent / "templates" / "orders" / "documents" / "invoice.css", "text/css")


@dataclass(frozen=True)
class InvoicePrintLine:
    sku: str
    name: str
    quantity: int
    unit_price: str
    discount: str
    tax: str
    amount: str


@dataclass(frozen=True)
class InvoicePrint:
    number: str
    order_number: str
    issued_on: date
    due_on: date
    terms: str
    currency: str
    seller_lines: tuple[str, ...]
    seller_vat: str
    buyer_lines: tuple[str, ...]
    buyer_vat: str
    lines: tuple[InvoicePrintLine, ...]
    units: int
    subtotal: str
    discount_total: str
    tax_total: str
    shipping: str
    total: str
    amount_paid: str
    balance: str
    has_discounts: bool
    paid_any: bool
    payment_instructions: str


def _text(amount: Decimal, currency: str) -> str:
    return money_text(quantize(amount, currency))


def invoice_print(invoice_id: int) -> InvoicePrint:
    """What the PDF prints, read in two queries."""
    invoice = Invoice.objects.select_related("order").get(pk=invoice_id)
    currency = invoice.currency
    lines = tuple(
        InvoicePrintLine(
            sku=line.sku, name=line.name, quantity=line.quantity, unit_price=_text(line.unit_price, currency),
            discount=_text(line.discount, currency), tax=_text(line.tax, currency), amount=_text(line.line_total, currency),
        )
        for line in invoice.lines.order_by("order_line__line_number", "id")
    )
    seller = dict(settings.OMS_INVOICE_SELLER or {})
    seller_country = str(seller.get("country") or "")
    buyer = dict(invoice.billing_address or {})
    contact = tuple(str(seller[key]) for key in ("email", "phone") if seller.get(key))
    return InvoicePrint(
        number=invoice.number, order_number=invoice.order.number or "", issued_on=invoice.issued_on, due_on=invoice.due_on,
        terms=invoice.terms, currency=currency,
        seller_lines=tuple(address_lines(seller, origin_country=str(buyer.get("country") or ""))) + contact,
        seller_vat=str(seller.get("vat_number") or ""),
        buyer_lines=tuple(address_lines(buyer, origin_country=seller_country)), buyer_vat=str(buyer.get("vat_number") or ""),
        lines=lines, units=sum(line.quantity for line in lines),
        subtotal=_text(invoice.subtotal, currency), discount_total=_text(invoice.discount_total, currency),
        tax_total=_text(invoice.tax_total, currency), shipping=_text(invoice.shipping, currency), total=_text(invoice.total, currency),
        amount_paid=_text(invoice.amount_paid, currency), balance=_text(invoice.total - invoice.amount_paid, currency),
        has_discounts=invoice.discount_total != 0, paid_any=invoice.amount_paid != 0, payment_instructions=str(seller.get("payment_instructions") or ""),
    )


def invoice_html(document: InvoicePrint) -> str:
    return render_to_string("orders/documents/invoice.html", {"invoice": document, "number_barcode": code128_svg(document.number)})


def invoice_pdf(invoice_id: int) -> bytes:
    """The invoice as a PDF (A4; long invoices flow onto numbered pages naming the invoice)."""
    return html_layout(invoice_html(invoice_print(invoice_id))).write_pdf()

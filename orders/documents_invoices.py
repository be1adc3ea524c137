"""The account documents a business buyer on payment terms receives: the invoice of each
shipment, the credit note of each refund, and (``orders.statements``) the statement of account.

Rendered with WeasyPrint through the kernel's restricted fetcher, in the purchase order's document
look (``inventory.documents_purchasing``: shipped fonts, numbered pages, a running header naming
the document) with this module's column widths; every one extends
``orders/documents/account_document.html`` (heading, seller, buyer) and gets plain data, never models.
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

from .models import CreditNote, Invoice

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
class Parties:
    """Who a document is from and to: the seller (``OMS_INVOICE_SELLER``) and the buyer as billed."""

    seller_lines: tuple[str, ...]
    seller_vat: str
    buyer_lines: tuple[str, ...]
    buyer_vat: str
    payment_instructions: str


def parties_of(billing_address: dict) -> Parties:
    seller = dict(settings.OMS_INVOICE_SELLER or {})
    buyer = dict(billing_address or {})
    contact = tuple(str(seller[key]) for key in ("email", "phone") if seller.get(key))
    return Parties(
        seller_lines=tuple(address_lines(seller, origin_country=str(buyer.get("country") or ""))) + contact,
        seller_vat=str(seller.get("vat_number") or ""),
        buyer_lines=tuple(address_lines(buyer, origin_country=str(seller.get("country") or ""))), buyer_vat=str(buyer.get("vat_number") or ""),
        payment_instructions=str(seller.get("payment_instructions") or ""),
    )


def account_document_html(template: str, *, title: str, number: str, parties: Parties, **context) -> str:
    """An account document's HTML, as its PDF prints it."""
    return render_to_string(template, {
        "document_title": title, "document_number": number, "number_barcode": code128_svg(number), "parties": parties, **context,
    })


def account_document_pdf(template: str, *, title: str, number: str, parties: Parties, **context) -> bytes:
    """An account document as a PDF (A4; long ones flow onto numbered pages naming it)."""
    return html_layout(account_document_html(template, title=title, number=number, parties=parties, **context)).write_pdf()


@dataclass(frozen=True)
class InvoicePrint:
    number: str
    order_number: str
    issued_on: date
    due_on: date
    terms: str
    currency: str
    parties: Parties
    lines: tuple[InvoicePrintLine, ...]
    units: int
    subtotal: str
    discount_total: str
    tax_total: str
    shipping: str
    total: str
    amount_paid: str
    amount_credited: str
    balance: str
    has_discounts: bool
    paid_any: bool
    credited_any: bool


def print_money(amount: Decimal, currency: str) -> str:
    return money_text(quantize(amount, currency))


def invoice_print(invoice_id: int) -> InvoicePrint:
    """What the PDF prints, read in two queries."""
    invoice = Invoice.objects.select_related("order").get(pk=invoice_id)
    currency = invoice.currency
    lines = tuple(
        InvoicePrintLine(
            sku=line.sku, name=line.name, quantity=line.quantity, unit_price=print_money(line.unit_price, currency),
            discount=print_money(line.discount, currency), tax=print_money(line.tax, currency), amount=print_money(line.line_total, currency),
        )
        for line in invoice.lines.order_by("order_line__line_number", "id")
    )
    return InvoicePrint(
        number=invoice.number, order_number=invoice.order.number or "", issued_on=invoice.issued_on, due_on=invoice.due_on,
        terms=invoice.terms, currency=currency, parties=parties_of(invoice.billing_address),
        lines=lines, units=sum(line.quantity for line in lines),
        subtotal=print_money(invoice.subtotal, currency), discount_total=print_money(invoice.discount_total, currency),
        tax_total=print_money(invoice.tax_total, currency), shipping=print_money(invoice.shipping, currency), total=print_money(invoice.total, currency),
        amount_paid=print_money(invoice.amount_paid, currency), amount_credited=print_money(invoice.amount_credited, currency),
        balance=print_money(invoice.balance, currency), has_discounts=invoice.discount_total != 0, paid_any=invoice.amount_paid != 0,
        credited_any=invoice.amount_credited != 0,
    )


def invoice_pdf(invoice_id: int) -> bytes:
    """The invoice as a PDF."""
    document = invoice_print(invoice_id)
    return account_document_pdf("orders/documents/invoice.html", title=f"Invoice {document.number}", number=document.number,
                                parties=document.parties, invoice=document)


@dataclass(frozen=True)
class CreditNotePrintLine:
    sku: str
    description: str
    quantity: int
    unit_price: str
    discount: str
    tax: str
    amount: str


@dataclass(frozen=True)
class CreditNotePrint:
    number: str
    invoice_number: str
    invoice_issued_on: date
    order_number: str
    issued_on: date
    currency: str
    parties: Parties
    reason: str
    lines: tuple[CreditNotePrintLine, ...]
    total: str
    amount_repaid: str
    repaid_any: bool
    invoice_balance: str
    # What the note took off the invoice's open balance when it was issued (total − paid back):
    # the wording says "reduces what you pay" only for that part, "paid back" for the rest.
    amount_reduced: str
    reduced_any: bool


def credit_note_print(credit_note_id: int) -> CreditNotePrint:
    """What the credit note's PDF prints, read in two queries."""
    note = CreditNote.objects.select_related("invoice", "order").get(pk=credit_note_id)
    currency = note.currency

    def money(amount) -> str:
        return print_money(amount, currency) if amount else ""

    lines = tuple(
        CreditNotePrintLine(
            sku=line.sku, description=line.description or line.get_kind_display(), quantity=line.quantity, unit_price=money(line.unit_price),
            discount=money(line.discount), tax=money(line.tax), amount=print_money(line.amount, currency),
        )
        for line in note.lines.order_by("id")
    )
    return CreditNotePrint(
        number=note.number, invoice_number=note.invoice.number, invoice_issued_on=note.invoice.issued_on, order_number=note.order.number or "",
        issued_on=note.issued_on, currency=currency, parties=parties_of(note.invoice.billing_address), reason=note.reason, lines=lines, total=print_money(note.total, currency),
        amount_repaid=print_money(note.amount_repaid, currency), repaid_any=note.amount_repaid != 0, invoice_balance=print_money(note.invoice.balance, currency),
        amount_reduced=print_money(note.total - note.amount_repaid, currency), reduced_any=note.total != note.amount_repaid,
    )


def credit_note_html(credit_note_id: int) -> str:
    """The credit note's HTML, as its PDF prints it."""
    document = credit_note_print(credit_note_id)
    return account_document_html("orders/documents/credit_note.html", title=f"Credit note {document.number}", number=document.number,
                                 parties=document.parties, note=document)


def credit_note_pdf(credit_note_id: int) -> bytes:
    """The credit note as a PDF, in the invoice's look."""
    return html_layout(credit_note_html(credit_note_id)).write_pdf()

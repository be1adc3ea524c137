"""A customer's statement of account: what they were invoiced, credited and paid over a period,
with the balance after each, and what they owe at its end, current and overdue; per currency.

The ledger of one currency, dated by the document (an invoice or credit note on its issue date, a
payment on the day it was received):

- an invoice charges its total (an invoice of nothing or less is born paid and charges nothing);
- a payment and a credit note each reduce the balance by their amount;
- the part of a credit note that an invoice had been paid already was paid back by its refund
  (``CreditNote.amount_repaid``): it is charged back on the same day, so the balance never counts
  it twice and always equals the sum of the invoices' balances.

The opening balance is the ledger before the first day, the closing balance the ledger to the last
day; *current* and *overdue* split the closing balance by the invoices' due dates on the last day.
Four queries, whatever the period.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from customers.models import Customer
from oms.errors import InvalidInput, NotFound
from oms.money import quantize

from .documents_invoices import account_document_pdf, parties_of, print_money
from .models import CreditNote, Invoice, InvoicePayment

ZERO = Decimal(0)
MAX_DAYS = 366 * 10  # a statement covers at most ten years
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class StatementEntry:
    on: date
    kind: str  # "invoice", "credit_note", "payment", "paid_back"
    reference: str
    description: str
    charge: Decimal
    credit: Decimal
    balance: Decimal  # after this entry


@dataclass(frozen=True)
class CurrencyStatement:
    currency: str
    opening: Decimal
    entries: tuple[StatementEntry, ...]
    closing: Decimal
    current: Decimal  # of the closing balance, not due yet on the last day
    overdue: Decimal  # of the closing balance, past its due date on the last day


@dataclass(frozen=True)
class Statement:
    customer_id: int
    customer_name: str
    billing_address: dict
    start: date
    end: date
    currencies: tuple[CurrencyStatement, ...]


@dataclass(frozen=True)
class _Row:
    on: date
    order: tuple  # within a day: invoices, then credit notes, then payments; then by id
    currency: str
    kind: str
    reference: str
    description: str
    charge: Decimal
    credit: Decimal
    invoice_id: int


def statement_period_check(start, end) -> tuple[date, date]:
    """The period, or InvalidInput naming the date to fix."""
    problems = {}
    if not isinstance(start, date):
        problems["from"] = ["A date, e.g. 2026-01-01."]
    if not isinstance(end, date):
        problems["to"] = ["A date, e.g. 2026-03-31."]
    if not problems and start > end:
        problems["from"] = [f"Must be on or before {end.isoformat()} (to)."]
    elif not problems and (end - start).days > MAX_DAYS:
        problems["from"] = [f"A statement covers at most {MAX_DAYS} days; start on or after {date.fromordinal(end.toordinal() - MAX_DAYS)}."]
    if problems:
        raise InvalidInput("The statement's period is not valid.", fields=problems)
    return start, end


def _rows(customer_id: int, end: date) -> tuple[list[_Row], list[Invoice]]:
    """The ledger's rows up to ``end`` in date order, and the invoices they belong to."""
    rows = []
    invoices = list(Invoice.objects.filter(customer_id=customer_id, issued_on__lte=end).select_related("order").order_by("id"))
    for invoice in invoices:
        rows.append(_Row(invoice.issued_on, (0, invoice.pk), invoice.currency, "invoice", invoice.number,
                         f"Invoice, order {invoice.order.number}, due {invoice.due_on.isoformat()}", max(invoice.total, ZERO), ZERO, invoice.pk))
    for note in CreditNote.objects.filter(customer_id=customer_id, issued_on__lte=end).select_related("invoice"):
        rows.append(_Row(note.issued_on, (1, note.pk), note.currency, "credit_note", note.number, f"Credit note on {note.invoice.number}",
                         ZERO, note.total, note.invoice_id))
        if note.amount_repaid:
            rows.append(_Row(note.issued_on, (1, note.pk, 1), note.currency, "paid_back", note.number,
                             f"Paid back by refund #{note.refund_id}", note.amount_repaid, ZERO, note.invoice_id))
    payments = InvoicePayment.objects.filter(invoice__customer_id=customer_id, received_on__lte=end).select_related("invoice")
    for payment in payments:
        invoice = payment.invoice
        rows.append(_Row(payment.received_on, (2, payment.pk), invoice.currency, "payment", invoice.number,
                         f"Payment{', ' + payment.reference if payment.reference else ''}", ZERO, payment.amount, invoice.pk))
    rows.sort(key=lambda row: (row.on, row.order))
    return rows, invoices


def customer_statement(*, customer_id: int, start: date, end: date) -> Statement:
    """The statement of account of one customer for ``start``..``end`` (both included): per
    currency, the opening balance, every invoice, credit note and payment of the period in date
    order with the balance after each, the closing balance, and what of it is current or overdue
    on ``end`` (module docstring). NotFound for an unknown customer; InvalidInput for a bad period."""
    start, end = statement_period_check(start, end)
    customer = Customer.objects.filter(pk=customer_id).first() if 0 < customer_id <= MAX_ID else None
    if customer is None:
        raise NotFound(f"No customer with id {customer_id}.")
    rows, invoices = _rows(customer.pk, end)
    by_currency: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        by_currency[row.currency].append(row)
    due_on = {invoice.pk: invoice.due_on for invoice in invoices}
    currencies = []
    for currency in sorted(by_currency):
        rows = by_currency[currency]
        opening = sum((row.charge - row.credit for row in rows if row.on < start), ZERO)
        balance, entries = opening, []
        for row in rows:
            if row.on < start:
                continue
            balance += row.charge - row.credit
            entries.append(StatementEntry(row.on, row.kind, row.reference, row.description, quantize(row.charge, currency),
                                          quantize(row.credit, currency), quantize(balance, currency)))
        if not entries and not opening:
            continue
        open_by_invoice: dict[int, Decimal] = defaultdict(Decimal)
        for row in rows:
            open_by_invoice[row.invoice_id] += row.charge - row.credit
        overdue = sum((max(amount, ZERO) for pk, amount in open_by_invoice.items() if due_on[pk] < end), ZERO)
        current = sum((max(amount, ZERO) for pk, amount in open_by_invoice.items() if due_on[pk] >= end), ZERO)
        currencies.append(CurrencyStatement(
            currency=currency, opening=quantize(opening, currency), entries=tuple(entries), closing=quantize(balance, currency),
            current=quantize(current, currency), overdue=quantize(overdue, currency),
        ))
    # The buyer as last invoiced; a customer never invoiced by the end, as their profile says.
    address = dict(invoices[-1].billing_address) if invoices else {}
    if not address:
        address = {"company": customer.company_name, "name": customer.display_name, "vat_number": customer.vat_number}
    return Statement(
        customer_id=customer.pk, customer_name=customer.company_name or customer.display_name or customer.email, billing_address=address,
        start=start, end=end, currencies=tuple(currencies),
    )


def statement_reference(statement: Statement) -> str:
    return f"ST-{statement.customer_id}-{statement.end.strftime('%Y%m%d')}"


def statement_pdf(statement: Statement) -> bytes:
    """The statement as a PDF, in the invoice's look."""

    def text(amount, currency):
        return print_money(amount, currency) if amount else ""

    currencies = [
        {
            "currency": part.currency, "opening": print_money(part.opening, part.currency), "closing": print_money(part.closing, part.currency),
            "current": print_money(part.current, part.currency), "overdue": print_money(part.overdue, part.currency),
            "entries": [
                {"on": entry.on, "reference": entry.reference, "description": entry.description, "charge": text(entry.charge, part.currency),
                 "credit": text(entry.credit, part.currency), "balance": print_money(entry.balance, part.currency)}
                for entry in part.entries
            ],
        }
        for part in statement.currencies
    ]
    reference = statement_reference(statement)
    return account_document_pdf("orders/documents/statement.html", title="Statement of account", number=reference,
                                parties=parties_of(statement.billing_address), statement=statement, currencies=currencies)

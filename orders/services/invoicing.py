"""Invoices of orders bought on payment terms, issued as they ship, and payments against them.

An order of a customer whose group buys on terms (``payment_terms_days`` above zero) and that is
not paid gets one invoice per shipment, in the shipment's transaction, for exactly the units that
shipment shipped. A line's discount and tax are shared by quantity: each invoice charges the
share of the units shipped so far less the share already invoiced, so the line's last invoice
takes the remainder and an order's invoices add up exactly to its totals. Shipping (and its tax)
is charged on the order's first invoice.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from customers.models import Customer
from oms.actors import Actor, actor_fields
from oms.errors import InvalidInput, NotFound
from oms.events import events_record
from oms.money import MAX_AMOUNT, money_text, parse_amount, quantize

from ..models import Invoice, InvoiceLine, InvoiceNumberCounter, InvoicePayment, InvoiceStatus, Order, OrderEvent, OrderLine, PaymentStatus
from .audit import order_event

INVOICE_ISSUED = "invoice.issued"
INVOICE_PAID = "invoice.paid"
EVENT_NAMES = (INVOICE_ISSUED, INVOICE_PAID)


def invoice_date_today() -> date:
    """The date an invoice issued now carries (the tests move it)."""
    return timezone.localdate()


def invoice_stream(invoice_id: int) -> str:
    return f"invoice:{invoice_id}"


def document_number_take(counter, prefix: str, year: int) -> str:
    """The next number of ``year`` from the ``counter`` model's row: ``<prefix>-2026-000001``...

    One statement bumps the year's counter row, creating it for the year's first document; it
    locks that row (as FOR UPDATE does) until the transaction ends, so documents of one year are
    numbered one transaction after another and a rolled-back one gives its number back: no gaps,
    no duplicates. Callers take it last, after every stock, order and invoice lock, so that waiting
    for it never holds up a lock someone else waits for."""
    table = connection.ops.quote_name(counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "
            f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 RETURNING last_number",
            [year],
        )
        number = cursor.fetchone()[0]
    return f"{prefix}-{year}-{number:06d}"


def invoice_number_take(year: int) -> str:
    """The next invoice number of ``year``: INV-2026-000001, INV-2026-000002... (:func:`document_number_take`)."""
    return document_number_take(InvoiceNumberCounter, "INV", year)


def _share(amount: Decimal, quantity: int, before: int, after: int, currency: str) -> Decimal:
    """The part of a line's ``amount`` (discount or tax) for units ``before+1..after`` of
    ``quantity``: cumulative shares, so the parts never go below zero and add up to ``amount``."""
    return quantize(amount * after / quantity, currency) - quantize(amount * before / quantity, currency)


def _buyer(order: Order, customer: Customer) -> dict:
    """The buyer as the invoice prints it: the order's billing address (its shipping address when
    it has none), with the customer's company and VAT number."""
    address = dict(order.billing_address or order.shipping_address or {})
    if customer.company_name and not address.get("company"):
        address["company"] = customer.company_name
    if customer.vat_number:
        address["vat_number"] = customer.vat_number
    return address


@dataclass(frozen=True)
class ShippedUnits:
    """Units of one order line a shipment shipped; ``shipped_before``: that line's units shipped earlier."""

    line: OrderLine
    quantity: int
    shipped_before: int


def invoice_for_shipment(*, order: Order, shipped: list[ShippedUnits], lines: list[OrderLine], actor: Actor) -> Invoice | None:
    """Issue the invoice of one shipment of a locked order, in the caller's transaction (``order_ship``).

    None when the order is not invoiced: paid, of no customer, or of a customer not on terms.
    The invoice number is taken last (:func:`invoice_number_take`)."""
    if order.payment_status == PaymentStatus.PAID or order.customer_id is None:
        return None
    customer = Customer.objects.select_related("group").filter(pk=order.customer_id).first()
    group = customer.group if customer else None
    if group is None or not group.on_terms:
        return None
    currency = order.currency
    first = not Invoice.objects.filter(order=order).exists()
    invoice_lines = []
    for item in shipped:
        if item.quantity <= 0:
            continue
        line, before = item.line, item.shipped_before
        after = before + item.quantity
        discount = _share(line.discount, line.quantity, before, after, currency)
        tax = _share(line.tax, line.quantity, before, after, currency)
        gross = line.unit_price * item.quantity
        invoice_lines.append(
            InvoiceLine(
                order_line=line, sku=line.sku, name=line.name, quantity=item.quantity, unit_price=line.unit_price,
                discount=discount, tax=tax, line_total=gross - discount + tax,
            )
        )
    if not invoice_lines:
        return None
    subtotal = sum((line.unit_price * line.quantity for line in invoice_lines), Decimal(0))
    discount_total = sum((line.discount for line in invoice_lines), Decimal(0))
    tax_total = sum((line.tax for line in invoice_lines), Decimal(0))
    shipping = Decimal(0)
    if first:
        # The order's tax beyond its lines' is the shipping's tax (intake adds it to the total).
        shipping = order.shipping_price
        tax_total += order.tax_total - sum((line.tax for line in lines), Decimal(0))
    total = subtotal - discount_total + tax_total + shipping
    issued_on = invoice_date_today()
    invoice = Invoice(
        order=order, customer=customer, currency=currency, issued_on=issued_on, due_on=group.due_on(issued_on), terms=group.terms_text(),
        billing_address=_buyer(order, customer), subtotal=subtotal, discount_total=discount_total, tax_total=tax_total,
        shipping=shipping, total=total, status=InvoiceStatus.OPEN if total > 0 else InvoiceStatus.PAID,
    )
    invoice.number = invoice_number_take(issued_on.year)  # the transaction's last lock
    invoice.save()
    for line in invoice_lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(invoice_lines)
    order_event(
        order, OrderEvent.Kind.INVOICED, f"Invoice {invoice.number}: {money_text(total, currency)}, due {invoice.due_on.isoformat()} ({invoice.terms})",
        actor=actor, data={"invoice": invoice.number, "total": str(quantize(total, currency)), "due_on": invoice.due_on.isoformat()},
    ).save()
    events_record([(INVOICE_ISSUED, invoice_payload(invoice))], stream=invoice_stream(invoice.pk), new_stream=True)
    return invoice


def invoice_payload(invoice: Invoice, **extra) -> dict:
    """What every invoice event carries; receivers fetch the invoice from the API by number."""
    return {
        "invoice_id": invoice.pk, "number": invoice.number, "order_id": invoice.order_id, "order_number": invoice.order.number,
        "customer_id": invoice.customer_id, "currency": invoice.currency, "total": str(quantize(invoice.total, invoice.currency)),
        "amount_paid": str(quantize(invoice.amount_paid, invoice.currency)),
        "amount_credited": str(quantize(invoice.amount_credited, invoice.currency)), "issued_on": invoice.issued_on.isoformat(), "due_on": invoice.due_on.isoformat(),
        "status": invoice.status, **extra,
    }


@dataclass(frozen=True)
class PaymentRecorded:
    """A payment and its invoice as they stand after recording. ``created`` is False when the same
    payment (invoice, reference and amount) was on file already: nothing was written."""

    payment: InvoicePayment
    invoice: Invoice
    created: bool


def _payment_amount(amount, field: str = "amount") -> Decimal:
    try:
        amount = parse_amount(amount)
    except ValueError as error:
        raise InvalidInput("The amount is not a number.", fields={field: [f"{error}; e.g. 120.50."]}) from None
    if amount <= 0 or amount >= MAX_AMOUNT:
        raise InvalidInput("A payment is a positive amount.", fields={field: [f"Must be above 0 and below {MAX_AMOUNT}."]})
    return amount


def _payment_date(received_on) -> date:
    if not isinstance(received_on, date):
        raise InvalidInput("When was it received?", fields={"received_on": ["A date, e.g. 2026-03-31."]})
    return received_on


def _payment_duplicate(invoice: Invoice, amount: Decimal, reference: str) -> InvoicePayment | None:
    """The payment on file with this reference and amount; a payment without reference is never a duplicate."""
    if not reference:
        return None
    return InvoicePayment.objects.filter(invoice=invoice, reference=reference, amount=amount).order_by("id").first()


def _payment_apply(invoice: Invoice, *, amount: Decimal, received_on: date, reference: str, actor: Actor, field: str = "amount") -> PaymentRecorded:
    """Record ``amount`` against ``invoice``, which the caller's transaction has locked (with its
    order loaded): the ledger row, the invoice's paid sum and status, the order's audit trail and,
    when settled, ``invoice.paid``."""
    if amount != quantize(amount, invoice.currency):
        raise InvalidInput(f"{invoice.currency} has no such fraction.", fields={field: [f"At most the minor unit of {invoice.currency}."]})
    balance = invoice.balance
    if amount > balance:
        raise InvalidInput(
            f"Invoice {invoice.number} has {money_text(balance, invoice.currency)} left to pay; nothing was recorded.",
            fields={field: [f"At most {quantize(balance, invoice.currency)}."]},
        )
    payment = InvoicePayment.objects.create(
        invoice=invoice, amount=amount, received_on=received_on, reference=reference, recorded_by=actor_fields(actor)["actor_label"]
    )
    invoice.amount_paid += amount
    fields = ["amount_paid"]
    if invoice.balance == 0:
        invoice.status = InvoiceStatus.PAID
        fields.append("status")
    invoice.save(update_fields=fields)
    order_event(
        invoice.order, OrderEvent.Kind.PAYMENT,
        f"Payment of {money_text(amount, invoice.currency)} on invoice {invoice.number}{' (' + reference + ')' if reference else ''}: "
        f"{money_text(invoice.balance, invoice.currency)} left",
        actor=actor, data={"invoice": invoice.number, "amount": str(quantize(amount, invoice.currency)), "received_on": received_on.isoformat()},
    ).save()
    if invoice.status == InvoiceStatus.PAID:
        events_record([(INVOICE_PAID, invoice_payload(invoice))], stream=invoice_stream(invoice.pk))
    return PaymentRecorded(payment=payment, invoice=invoice, created=True)


def invoice_payment_record(*, number: str, amount, received_on: date, reference: str = "", actor: Actor) -> PaymentRecorded:
    """Record money received against one invoice: partial payments allowed, never more than the
    balance; the payment that settles the balance marks the invoice paid (``invoice.paid``).

    Idempotent on the reference: the same reference and amount already recorded on this invoice
    (a retry, a file imported twice) is answered with that payment and writes nothing."""
    amount, received_on = _payment_amount(amount), _payment_date(received_on)
    reference = reference.strip()[:100]
    with transaction.atomic():
        # The invoice's row only: a payment changes no order (its audit row merely refers to it), and
        # remittances lock a customer's invoices alone too, so the two never wait on each other crosswise.
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related("order").filter(number=number).first()
        if invoice is None:
            raise NotFound(f"No invoice {number}.")
        duplicate = _payment_duplicate(invoice, amount, reference)
        if duplicate is not None:
            return PaymentRecorded(payment=duplicate, invoice=invoice, created=False)
        return _payment_apply(invoice, amount=amount, received_on=received_on, reference=reference, actor=actor)


def _remittance_customer(customer_id: int | None, customer_external_id: str) -> Customer:
    if bool(customer_id) == bool(customer_external_id):
        raise InvalidInput("Name the customer once: by id or by external id.", fields={"customer": ["Give customer or customer_external_id, not both."]})
    customer = (Customer.objects.filter(pk=customer_id) if customer_id else Customer.objects.filter(external_id=customer_external_id)).first()
    if customer is None:
        field = "customer" if customer_id else "customer_external_id"
        raise InvalidInput(f"No customer {customer_id or customer_external_id}.", fields={field: ["No such customer; check the id."]})
    return customer


def customer_remittance_record(
    *, customer_id: int | None = None, customer_external_id: str = "", amount, received_on: date, reference: str = "", currency: str = "",
    invoices: list[tuple[str, object]] | None = None, actor: Actor,
) -> list[PaymentRecorded]:
    """Record one remittance of a customer across their invoices, all of it or none of it.

    With ``invoices`` (``(number, amount)`` pairs, adding up to ``amount``) each invoice gets its
    amount; without, the money settles the customer's open invoices oldest due first, the last one
    partly. Money left over (more than the open invoices add up to) is refused, nothing recorded.
    The customer's invoices are locked in primary-key order first. Idempotent: a remittance whose
    reference was recorded for this customer on the same day for the same total answers the
    payments on file and writes nothing."""
    amount, received_on = _payment_amount(amount), _payment_date(received_on)
    reference = reference.strip()[:100]
    with transaction.atomic():
        customer = _remittance_customer(customer_id, customer_external_id)
        numbers = [number for number, _ in invoices or []]
        if len(set(numbers)) != len(numbers):
            raise InvalidInput("An invoice is listed twice.", fields={"invoices": ["Give each invoice once, with the sum paid on it."]})
        locked = Invoice.objects.select_for_update(of=("self",)).select_related("order").filter(customer=customer)
        locked = list((locked.filter(number__in=numbers) if invoices else locked.filter(status=InvoiceStatus.OPEN)).order_by("pk"))
        if reference:
            on_file = list(InvoicePayment.objects.filter(invoice__customer=customer, reference=reference, received_on=received_on)
                           .select_related("invoice").order_by("id"))
            if on_file and sum(payment.amount for payment in on_file) == amount:
                return [PaymentRecorded(payment=payment, invoice=payment.invoice, created=False) for payment in on_file]
        currencies = {invoice.currency for invoice in locked}
        currency = currency.upper()
        if not currency and len(currencies) > 1:
            raise InvalidInput(
                f"Customer {customer.pk} owes in {', '.join(sorted(currencies))}: say which currency this remittance is in.",
                fields={"currency": [f"One of: {', '.join(sorted(currencies))}."]},
            )
        if not currency and not currencies and not invoices:
            raise InvalidInput(
                f"Customer {customer.pk} has no open invoices to apply {amount} to; nothing was recorded.",
                fields={"amount": ["The customer owes nothing on open invoices."]},
            )
        currency = currency or (currencies.pop() if currencies else "")
        if amount != quantize(amount, currency):
            raise InvalidInput(f"{currency} has no such fraction.", fields={"amount": [f"At most the minor unit of {currency}."]})
        if invoices:
            plan = _remittance_listed(customer, locked, invoices, amount, currency)
        else:
            plan = _remittance_oldest_first(customer, [invoice for invoice in locked if invoice.currency == currency], amount, currency)
        return [
            _payment_apply(invoice, amount=part, received_on=received_on, reference=reference, actor=actor, field=field)
            for invoice, part, field in plan
        ]


def _remittance_listed(customer: Customer, locked: list[Invoice], invoices: list[tuple[str, object]], amount: Decimal, currency: str):
    by_number = {invoice.number: invoice for invoice in locked}
    plan, problems = [], {}
    for index, (number, part) in enumerate(invoices):
        field = f"invoices[{index}].amount"
        invoice = by_number.get(number)
        if invoice is None:
            problems[f"invoices[{index}].number"] = [f"Customer {customer.pk} has no invoice {number}."]
            continue
        if invoice.currency != currency:
            problems[f"invoices[{index}].number"] = [f"{number} is in {invoice.currency}, the remittance in {currency}."]
            continue
        try:
            part = _payment_amount(part, field)
        except InvalidInput as error:
            problems.update(error.fields)
            continue
        if part > invoice.balance:
            problems[field] = [f"{number} has {quantize(invoice.balance, currency)} left to pay; at most that."]
            continue
        plan.append((invoice, part, field))
    if problems:
        raise InvalidInput("Some invoices of the remittance cannot take their amount; nothing was recorded.", fields=problems)
    listed = sum((part for _, part, _ in plan), Decimal(0))
    if listed != amount:
        raise InvalidInput(
            f"The invoices add up to {money_text(listed, currency)}, the remittance is {money_text(amount, currency)}; nothing was recorded.",
            fields={"amount": [f"Must equal the invoices' amounts ({quantize(listed, currency)})."]},
        )
    return plan


def _remittance_oldest_first(customer: Customer, open_invoices: list[Invoice], amount: Decimal, currency: str):
    plan, left = [], amount
    for invoice in sorted(open_invoices, key=lambda invoice: (invoice.due_on, invoice.issued_on, invoice.pk)):
        if left <= 0:
            break
        part = min(left, invoice.balance)
        if part > 0:
            plan.append((invoice, part, "amount"))
            left -= part
    if left > 0:
        owed = amount - left
        raise InvalidInput(
            f"Customer {customer.pk} owes {money_text(owed, currency)} on open invoices, {money_text(left, currency)} less than this "
            f"remittance; nothing was recorded. List the invoices it pays, or record only what is owed and refund the rest.",
            fields={"amount": [f"At most {quantize(owed, currency)} (the customer's open balance in {currency})."]},
        )
    return plan

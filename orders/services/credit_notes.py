"""Credit notes: what a refund gives back of an order's invoices, as documents numbered like invoices.

When a refund of an invoiced order succeeds, returns calls :func:`credit_notes_for_refund` in the
transaction that records it, under the order's lock. The refund's breakdown (``returns``'
refund arithmetic: per order line the units, their price after discounts, tax and restocking fee;
shipping; the return label; the cap) is spread over the invoices that charged those units:

- units go to the invoice lines of their order line that still have uncredited units, oldest
  invoice first; a line's price, tax and fee are shared by units (cumulatively rounded, so the
  parts add up to the refund's line);
- shipping goes to the invoice that charged it;
- what is not tied to units (the return label and the cap as deductions; an amount set by hand
  beyond the arithmetic; an exchange's rest) goes to the invoice credited most by this refund
  (deductions), or to the oldest invoice with room left (amounts given back);
- no invoice is credited beyond its total: an excess moves on to the order's next invoice with
  room.

So the credit notes of one refund add up to its amount, unless the refund gives back more than the
order's invoices still hold (units not invoiced: the order was paid up front or not shipped on
terms): that part is credited nowhere, and the order's trail says so. A refund of an order without
invoices (consumers, prepaid) issues nothing.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from oms.actors import Actor
from oms.events import events_record
from oms.money import money_text, quantize

from ..models import CreditNote, CreditNoteLine, CreditNoteNumberCounter, Invoice, InvoiceLine, InvoiceStatus, Order, OrderEvent
from . import invoicing
from .audit import order_event

logger = logging.getLogger(__name__)

CREDIT_NOTE_ISSUED = "credit_note.issued"
EVENT_NAMES = (CREDIT_NOTE_ISSUED,)
ZERO = Decimal(0)
Kind = CreditNoteLine.Kind


def credit_note_number_take(year: int) -> str:
    """The next credit note number of ``year``: CN-2026-000001... (gapless, like invoices)."""
    return invoicing.document_number_take(CreditNoteNumberCounter, "CN", year)


@dataclass
class _Plan:
    """The credit note one invoice gets from this refund, before it is saved."""

    invoice: Invoice
    lines: list[CreditNoteLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def room(self) -> Decimal:
        """What this invoice may still be credited, counting this plan."""
        return max(self.invoice.total, ZERO) - self.invoice.amount_credited - self.total


def _cumulative(amount: Decimal, before: int, after: int, units: int, currency: str) -> Decimal:
    return quantize(amount * after / units, currency) - quantize(amount * before / units, currency)


def _money(value, currency: str) -> Decimal:
    return quantize(Decimal(str(value or 0)), currency)


def _units_lines(plans: dict[int, _Plan], invoice_lines: list[InvoiceLine], credited: dict[int, int], item: dict, currency: str) -> Decimal:
    """Credit one refunded order line's units on the invoice lines that charged them; returns what
    of the refund's line found no invoiced units to credit."""
    units = int(item["units"])
    price, tax, fee = (_money(item.get(key), currency) for key in ("price", "tax", "restocking_fee"))
    done = 0
    for invoice_line in invoice_lines:
        if invoice_line.order_line_id != item["line_id"] or done >= units:
            continue
        free = invoice_line.quantity - credited.get(invoice_line.pk, 0)
        take = min(free, units - done)
        if take <= 0:
            continue
        credited[invoice_line.pk] = credited.get(invoice_line.pk, 0) + take
        part_price = _cumulative(price, done, done + take, units, currency)
        part_tax = _cumulative(tax, done, done + take, units, currency)
        part_fee = _cumulative(fee, done, done + take, units, currency)
        done += take
        gross = quantize(invoice_line.unit_price * take, currency)
        plan = plans[invoice_line.invoice_id]
        plan.lines.append(CreditNoteLine(
            kind=Kind.UNITS, invoice_line=invoice_line, sku=invoice_line.sku, description=invoice_line.name, quantity=take,
            unit_price=invoice_line.unit_price, discount=gross - part_price, tax=part_tax, amount=part_price + part_tax,
        ))
        if part_fee:
            plan.lines.append(CreditNoteLine(kind=Kind.RESTOCKING_FEE, sku=invoice_line.sku, description=f"Restocking fee, {invoice_line.sku}",
                                             amount=-part_fee))
    placed = _cumulative(price, 0, done, units, currency) + _cumulative(tax, 0, done, units, currency) - _cumulative(fee, 0, done, units, currency)
    return price + tax - fee - placed


def _place(plans: dict[int, _Plan], amount: Decimal, kind: str, description: str) -> Decimal:
    """Put ``amount`` not tied to units on the credit notes: a deduction (negative) on those this
    refund credits most, never taking one below nothing; an amount given back on the oldest
    invoices with room. Returns what found no place."""
    if amount < 0:
        left = -amount
        for plan in sorted(plans.values(), key=lambda plan: (-plan.total, plan.invoice.pk)):
            take = min(left, plan.total)
            if take > 0:
                plan.lines.append(CreditNoteLine(kind=kind, description=description, amount=-take))
                left -= take
        return -left
    left = amount
    for plan in sorted(plans.values(), key=lambda plan: plan.invoice.pk):
        take = min(left, plan.room)
        if take > 0:
            plan.lines.append(CreditNoteLine(kind=kind, description=description, amount=take))
            left -= take
    return left


def _fit(plans: dict[int, _Plan]) -> Decimal:
    """Move what a credit note would credit beyond its invoice's total on to invoices with room."""
    unplaced = ZERO
    for plan in sorted(plans.values(), key=lambda plan: plan.invoice.pk):
        excess = -plan.room
        if excess > 0:
            plan.lines.append(CreditNoteLine(kind=Kind.ADJUSTMENT, description="Beyond what this invoice may still be credited", amount=-excess))
            unplaced += _place(plans, excess, Kind.ADJUSTMENT, f"Carried from invoice {plan.invoice.number}")
    return unplaced


@dataclass
class CreditNotesPlanned:
    """The credit notes a refund would issue, not yet numbered or saved, their invoices locked by
    the caller's transaction (so what this says still holds when they are issued in it)."""

    order: Order
    refund_id: int
    notes: list[tuple[CreditNote, _Plan]]
    rest: Decimal  # what no invoice charged: credited nowhere

    @property
    def owed_less(self) -> Decimal:
        """What the notes take off what the invoices still ask: the customer owes that much less."""
        return sum((note.total - note.amount_repaid for note, _plan in self.notes), ZERO)

    @property
    def repaid(self) -> Decimal:
        """What the notes credit of money the invoices had been paid already."""
        return sum((note.amount_repaid for note, _plan in self.notes), ZERO)


def credit_notes_plan(*, order: Order, refund_id: int, amount: Decimal, breakdown: dict, reason: str) -> CreditNotesPlanned | None:
    """What :func:`credit_notes_for_refund` would issue for a refund of a locked ``order``, read
    under locks on the order's invoices (FOR NO KEY UPDATE, held to the end of the caller's
    transaction: a payment recorded meanwhile waits), writing nothing: so a caller can decide what
    the notes leave to pay back before it issues them (:func:`credit_notes_issue`). None when the
    order has no invoices or the refund has its credit notes already."""
    if CreditNote.objects.filter(refund_id=refund_id).exists():
        return None
    invoices = list(Invoice.objects.select_for_update(no_key=True).filter(order_id=order.pk).order_by("pk"))
    if not invoices:
        return None
    currency = order.currency
    plans = {invoice.pk: _Plan(invoice) for invoice in invoices}
    invoice_lines = list(InvoiceLine.objects.filter(invoice__order_id=order.pk).order_by("invoice_id", "id"))
    credited = dict(
        CreditNoteLine.objects.filter(invoice_line__invoice__order_id=order.pk, kind=Kind.UNITS)
        .values("invoice_line_id").annotate(units=Sum("quantity")).values_list("invoice_line_id", "units")
    )
    not_invoiced = ZERO
    for item in breakdown.get("lines", []):
        not_invoiced += _units_lines(plans, invoice_lines, credited, item, currency)
    shipping = _money(breakdown.get("shipping"), currency)
    if shipping:
        charged = next((invoice for invoice in invoices if invoice.shipping > 0), None)
        if charged is None:
            not_invoiced += shipping
        else:
            plans[charged.pk].lines.append(CreditNoteLine(
                kind=Kind.SHIPPING, description="Shipping", quantity=0, unit_price=charged.shipping,
                tax=max(shipping - charged.shipping, ZERO), amount=shipping,
            ))
    label = _money(breakdown.get("label_cost"), currency)
    capped = _money(breakdown.get("capped_by"), currency)
    computed = _money(breakdown.get("amount"), currency) if "amount" in breakdown else ZERO
    beyond = quantize(amount, currency) - computed
    unplaced = ZERO
    if beyond:
        text = "The exchange's rest: the returned units' value beyond the replacement" if "exchange_rest" in breakdown else "Amount set by hand"
        unplaced += _place(plans, beyond, Kind.ADJUSTMENT, text)
    for deduction, text in ((label, "Return label"), (capped, "Capped at what the order could still refund")):
        if deduction:
            unplaced += _place(plans, -deduction, Kind.DEDUCTION, text)
    unplaced += _fit(plans)
    issued_on = invoicing.invoice_date_today()
    notes = []
    for plan in plans.values():
        total = plan.total
        if total <= 0:
            continue
        invoice = plan.invoice
        owed_before = invoice.balance
        note = CreditNote(
            invoice=invoice, order=order, customer_id=invoice.customer_id, refund_id=refund_id, currency=currency, issued_on=issued_on,
            reason=reason[:500], total=total, amount_repaid=max(total - owed_before, ZERO),
        )
        notes.append((note, plan))
    return CreditNotesPlanned(order=order, refund_id=refund_id, notes=notes, rest=unplaced + not_invoiced)


def credit_notes_issue(planned: CreditNotesPlanned | None, *, actor: Actor) -> list[CreditNote]:
    """Number and save the credit notes of ``planned`` in the transaction that planned them
    (module docstring; :func:`credit_notes_for_refund`)."""
    if planned is None:
        return []
    order, refund_id, currency = planned.order, planned.refund_id, planned.order.currency
    for note, plan in planned.notes:
        note.number = credit_note_number_take(note.issued_on.year)  # the transaction's last lock
        note.save()
        for line in plan.lines:
            line.credit_note = note
        CreditNoteLine.objects.bulk_create([line for line in plan.lines if line.amount or line.kind == Kind.UNITS])
        invoice = plan.invoice
        invoice.amount_credited += note.total
        fields = ["amount_credited"]
        settled = invoice.status == InvoiceStatus.OPEN and invoice.balance == 0
        if settled:
            invoice.status = InvoiceStatus.PAID
            fields.append("status")
        invoice.save(update_fields=fields)
        order_event(
            order, OrderEvent.Kind.CREDITED,
            f"Credit note {note.number} on invoice {invoice.number}: {money_text(note.total, currency)}, "
            f"{money_text(invoice.balance, currency)} left to pay" + (f" ({money_text(note.amount_repaid, currency)} paid back)" if note.amount_repaid else ""),
            actor=actor, data={"credit_note": note.number, "invoice": invoice.number, "total": str(note.total), "refund_id": refund_id},
        ).save()
        events = [(CREDIT_NOTE_ISSUED, credit_note_payload(note))]
        if settled:
            events.append((invoicing.INVOICE_PAID, invoicing.invoice_payload(invoice)))
        events_record(events, stream=invoicing.invoice_stream(invoice.pk))
    rest = planned.rest
    if rest:
        # Units (or shipping) the order never invoiced: what the refund gives back of them is credited nowhere.
        logger.info("Refund %s: %s not credited on any invoice of order %s", refund_id, rest, order.number)
        order_event(order, OrderEvent.Kind.CREDITED, f"Refund #{refund_id}: {money_text(rest, currency)} of it is for what was never invoiced; "
                    "no credit note covers that part", actor=actor, data={"refund_id": refund_id, "not_credited": str(rest)}).save()
    return [note for note, _plan in planned.notes]


def credit_notes_for_refund(
    *, order: Order, refund_id: int, amount: Decimal, breakdown: dict, reason: str, actor: Actor,
) -> list[CreditNote]:
    """Issue the credit notes of a succeeded refund of a locked ``order``, in the caller's
    transaction (``returns``' refund record): one per invoice the refund gives back of (module
    docstring), numbered last (:func:`credit_note_number_take`). Each reduces its invoice's
    balance (``amount_credited``), marks it paid when nothing is left to pay, and records
    ``credit_note.issued`` (and ``invoice.paid`` when it settles the invoice) in the invoice's
    stream. Idempotent per refund: a refund with credit notes gets none again. None for an order
    without invoices."""
    planned = credit_notes_plan(order=order, refund_id=refund_id, amount=amount, breakdown=breakdown, reason=reason)
    return credit_notes_issue(planned, actor=actor)


def credit_note_payload(note: CreditNote) -> dict:
    """What ``credit_note.issued`` carries; receivers fetch the credit note from the API by number."""
    invoice = note.invoice
    return {
        "credit_note_id": note.pk, "number": note.number, "invoice": invoice.number, "order_id": note.order_id, "order_number": note.order.number,
        "customer_id": note.customer_id, "refund_id": note.refund_id, "currency": note.currency, "total": str(quantize(note.total, note.currency)),
        "amount_repaid": str(quantize(note.amount_repaid, note.currency)), "issued_on": note.issued_on.isoformat(),
        "invoice_balance": str(quantize(invoice.balance, note.currency)), "invoice_status": invoice.status,
    }

"""Invoices of orders bought on payment terms: one per shipment, numbered without gaps per year;
credit notes for what refunds give back of them.

An invoice charges exactly the units one shipment shipped; the order's invoices together add up to
its totals. Payments recorded against an invoice are rows of their own (a ledger), ``amount_paid``
their sum kept beside the total; credit notes are documents of their own, ``amount_credited`` their
sum; so balances and credit exposure read one row.

**Balance** (what the customer still owes on an invoice): ``total − paid − credited``, never below
zero. A credit note always reduces what is owed. When it credits an invoice that is already paid
(in part or in full) beyond what is left to pay, the excess was paid and is now owed back to the
customer; the refund that issued the credit note is what pays it back (to the original payment or
as store credit), so the invoice does not carry it as a negative balance: ``paid + credited`` may
exceed the total, the balance stays 0 and the credit note records the part paid back
(``CreditNote.amount_repaid``) for statements.
"""

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from oms.money import DECIMAL_PLACES, MAX_DIGITS


def _money(verbose_name: str, **options) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **options)


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"


def invoice_open_balance_expression():
    """The open balance of an invoice in SQL (``Invoice.balance``): total − paid − credited, never below zero."""
    return Greatest(F("total") - F("amount_paid") - F("amount_credited"), Value(0), output_field=_money("balance"))


class InvoiceNumberCounter(models.Model):
    """The last invoice number given in a calendar year: locked by the transaction that issues the
    next one, so numbers are gapless (a rolled-back shipment gives its number back)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "invoice number counter"

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Invoice(models.Model):
    number = models.CharField(max_length=20, unique=True, help_text="INV-<year>-<six digits>, without gaps per calendar year.")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="invoices")
    currency = models.CharField(max_length=3)
    issued_on = models.DateField("issued")
    due_on = models.DateField("due")
    terms = models.CharField(max_length=40, help_text='The payment terms as printed: "Net 30", "End of month + 30".')
    billing_address = models.JSONField(default=dict, help_text="The buyer as invoiced: billing address, company and VAT number.")
    subtotal = _money("subtotal")
    discount_total = _money("discounts")
    tax_total = _money("tax")
    shipping = _money("shipping", default=0)
    total = _money("total")
    amount_paid = _money("paid", default=0)
    amount_credited = _money("credited", default=0, help_text="The sum of the credit notes issued against this invoice.")
    status = models.CharField(max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "status", "due_on"], name="invoice_customer_open_due"),
            models.Index(fields=["status", "due_on"], name="invoice_status_due"),
        ]
        constraints = [
            # A line's discount may exceed its own value (intake bounds only the order's total), so a
            # shipment of such a line alone may invoice less than nothing: it is born paid.
            models.CheckConstraint(condition=Q(amount_paid=0) | (Q(amount_paid__gt=0) & Q(amount_paid__lte=F("total"))), name="invoice_paid_within_total"),
            models.CheckConstraint(condition=Q(due_on__gte=F("issued_on")), name="invoice_due_after_issue"),
            # Never credit more than was invoiced.
            models.CheckConstraint(
                condition=Q(amount_credited=0) | (Q(amount_credited__gt=0) & Q(amount_credited__lte=F("total"))), name="invoice_credited_within_total"
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def balance(self):
        """What the customer still owes: total − paid − credited, never below zero (module docstring)."""
        return max(self.total - self.amount_paid - self.amount_credited, 0)

    def days_overdue(self, today) -> int:
        """Days past the due date on ``today`` while unpaid; 0 when not due yet or paid."""
        if self.status == InvoiceStatus.PAID or today <= self.due_on:
            return 0
        return (today - self.due_on).days


class InvoiceLine(models.Model):
    """The units of one order line a shipment shipped, with their share of its discount and tax."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="invoice_lines")
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = _money("unit price")
    discount = _money("discount", default=0)
    tax = _money("tax", default=0)
    line_total = _money("amount")

    class Meta:
        ordering = ["invoice", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="invoice_line_quantity_positive")]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"


class InvoicePayment(models.Model):
    """Money received against one invoice (partial payments are several rows)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = _money("amount")
    received_on = models.DateField("received")
    reference = models.CharField(max_length=100, blank=True, help_text="The bank's or the payer's reference.")
    recorded_by = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_payment_positive")]

    def __str__(self):
        return f"{self.amount} on {self.received_on}"


class CreditNoteNumberCounter(models.Model):
    """The last credit note number given in a calendar year (as :class:`InvoiceNumberCounter`)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "credit note number counter"

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class CreditNote(models.Model):
    """What a refund gives back of one invoice: the units returned (their price, discount and tax
    shares), shipping refunded, restocking fees and other deductions as negative lines. A refund
    covering units of several invoices issues one credit note per invoice; together they are the
    refund's amount."""

    number = models.CharField(max_length=20, unique=True, help_text="CN-<year>-<six digits>, without gaps per calendar year.")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="credit_notes")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="credit_notes")
    # The refund (returns.Refund) it documents, by id: returns sits above orders.
    refund_id = models.PositiveBigIntegerField("refund", db_index=True)
    currency = models.CharField(max_length=3)
    issued_on = models.DateField("issued")
    reason = models.CharField(max_length=500, blank=True)
    total = _money("total")
    amount_repaid = _money(
        "paid back", default=0, help_text="The part of the total the invoice had been paid already: the refund paid it back to the customer.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["customer", "issued_on"], name="credit_note_customer_issued")]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="credit_note_total_positive"),
            models.CheckConstraint(condition=Q(amount_repaid__gte=0) & Q(amount_repaid__lte=F("total")), name="credit_note_repaid_within_total"),
            models.UniqueConstraint(fields=["refund_id", "invoice"], name="credit_note_once_per_refund_and_invoice"),
        ]

    def __str__(self):
        return self.number


class CreditNoteLine(models.Model):
    class Kind(models.TextChoices):
        UNITS = "units", "Units returned"
        SHIPPING = "shipping", "Shipping refunded"
        RESTOCKING_FEE = "restocking_fee", "Restocking fee"
        DEDUCTION = "deduction", "Deduction"
        ADJUSTMENT = "adjustment", "Adjustment"

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    invoice_line = models.ForeignKey(InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_lines")
    sku = models.CharField("SKU", max_length=64, blank=True)
    description = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField(default=0)
    unit_price = _money("unit price", default=0)
    discount = _money("discount", default=0)
    tax = _money("tax", default=0)
    amount = _money("amount", help_text="Credited (negative: kept, e.g. a restocking fee).")

    class Meta:
        ordering = ["credit_note", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="units", quantity__gt=0, invoice_line__isnull=False) | ~Q(kind="units"), name="credit_line_units_named"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"

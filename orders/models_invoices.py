"""Invoices of orders bought on payment terms: one per shipment, numbered without gaps per year.

An invoice charges exactly the units one shipment shipped; the order's invoices together add up to
its totals. Payments recorded against an invoice are rows of their own (a ledger), ``amount_paid``
their sum kept beside the total so balances and credit exposure read one row.
"""

from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.utils import timezone

from oms.money import DECIMAL_PLACES, MAX_DIGITS


def _money(verbose_name: str, **options) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **options)


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"


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
        ]

    def __str__(self):
        return self.number

    @property
    def balance(self):
        return self.total - self.amount_paid

    def days_overdue(self, today) -> int:
        """Days past the due date on ``today`` while unpaid; 0 when not due yet or paid."""
        if self.status == InvoiceStatus.PAID or today <= self.due_on:
            return 0
        return (today - self.due_on).days


def invoice_open_balance_expression() -> ExpressionWrapper:
    """What is left to pay on an invoice, as SQL: the one place queries compute it (the same
    figure as :attr:`Invoice.balance`, which rows read)."""
    return ExpressionWrapper(F("total") - F("amount_paid"), output_field=models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES))


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

"""Return merchandise authorisations (RMAs): the policy that judges them, their lines and trail.

``ReturnRequest.status`` moves only through the transitions below, which ``returns.services``
call with the row locked; the field is protected against direct assignment.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from oms.models import AuditRecord
from oms.money import DECIMAL_PLACES, MAX_DIGITS, money_text


class ShippingPaidBy(models.TextChoices):
    MERCHANT = "merchant", "Merchant (free return label)"
    CUSTOMER = "customer", "Customer (label cost deducted)"


class ReturnReason(models.Model):
    """Why a customer sends something back: a configurable list (seeded by a data migration).

    The fee and who pays the return label are the defaults of every policy; a channel's policy
    may override them per reason (:meth:`ReturnPolicy.terms_for`).
    """

    code = models.SlugField(max_length=32, unique=True)
    label = models.CharField(max_length=120)
    needs_text = models.BooleanField(default=False, help_text="The customer must say more (e.g. \"other\").")
    restocking_fee_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Share of the refunded line value kept back, 0-100.",
    )
    restocking_fee_fixed = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0, validators=[MinValueValidator(0)],
        help_text="A fixed amount kept back per returned line, in the order's currency.",
    )
    shipping_paid_by = models.CharField(max_length=10, choices=ShippingPaidBy.choices, default=ShippingPaidBy.CUSTOMER)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100, help_text="Order in which customers see the reasons.")

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(restocking_fee_percent__gte=0) & Q(restocking_fee_percent__lte=100), name="return_reason_fee_percent_range"
            ),
            models.CheckConstraint(condition=Q(restocking_fee_fixed__gte=0), name="return_reason_fee_fixed_not_negative"),
        ]

    def __str__(self):
        return self.label


class RefundTiming(models.TextChoices):
    ON_RECEIPT = "on_receipt", "When the parcel is received"
    AFTER_INSPECTION = "after_inspection", "After inspection"
    FIRST_SCAN = "first_scan", "On the carrier's first scan (customers in good standing)"


# What a policy may override per reason code, in ``ReturnPolicy.reason_terms``.
REASON_TERMS = ("restocking_fee_percent", "restocking_fee_fixed", "shipping_paid_by")


class ReturnPolicy(models.Model):
    """The rules a return request is judged by: one per channel, and one default (no channel).

    A request outside the policy is never refused for it: it is recorded as requested with the
    reason it needs a person (``ReturnRequest.needs_attention``).
    """

    name = models.CharField(max_length=120)
    channel = models.OneToOneField(
        "orders.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="return_policy",
        help_text="Empty: the default for every channel without its own policy.",
    )
    window_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Days after delivery (after shipment when no delivery scan came) within which a return is accepted.",
    )
    final_sale_discount_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Lines discounted by this share of their price or more are final sale. Empty: none are.",
    )
    refund_timing = models.CharField(max_length=20, choices=RefundTiming.choices, default=RefundTiming.AFTER_INSPECTION)
    refund_original_shipping = models.BooleanField(default=False, help_text="Refund what the customer paid for shipping when everything comes back.")
    rma_expiry_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="An approved return whose parcel has not been scanned by the carrier after this many days expires.",
    )
    auto_approve = models.BooleanField(default=True, help_text="Approve requests within the policy at once.")
    advance_exchange = models.BooleanField(
        default=False,
        help_text="Exchanges: on, the replacement order is placed (and its stock reserved) when the return is approved; "
        "off, when the returned units have been inspected.",
    )
    reason_terms = models.JSONField(
        default=dict, blank=True,
        help_text='Per reason code, overrides of the reason\'s fee and who pays the label, e.g. {"changed_mind": {"restocking_fee_percent": "15"}}.',
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "return policies"
        ordering = [F("channel").asc(nulls_first=True), "name"]

    def __str__(self):
        return f"{self.name} ({self.channel.code if self.channel_id else 'default'})"

    def clean(self):
        super().clean()
        problems = []
        if not isinstance(self.reason_terms, dict):
            raise ValidationError({"reason_terms": "An object keyed by reason code."})
        for code, terms in self.reason_terms.items():
            if not isinstance(terms, dict):
                problems.append(f"{code}: an object of {', '.join(REASON_TERMS)}.")
                continue
            unknown = sorted(set(terms) - set(REASON_TERMS))
            if unknown:
                problems.append(f"{code}: unknown terms {', '.join(unknown)} (known: {', '.join(REASON_TERMS)}).")
            if "shipping_paid_by" in terms and terms["shipping_paid_by"] not in ShippingPaidBy.values:
                problems.append(f"{code}: shipping_paid_by is one of {', '.join(ShippingPaidBy.values)}.")
            for name in ("restocking_fee_percent", "restocking_fee_fixed"):
                if name in terms:
                    try:
                        value = Decimal(str(terms[name]))
                    except ArithmeticError:
                        value = Decimal(-1)
                    if not value.is_finite() or value < 0 or (name == "restocking_fee_percent" and value > 100):
                        problems.append(f"{code}: {name} must be a number from 0{' to 100' if name.endswith('percent') else ''}.")
        known = set(ReturnReason.objects.filter(code__in=list(self.reason_terms)).values_list("code", flat=True))
        problems += [f"{code}: there is no such reason." for code in sorted(set(self.reason_terms) - known)]
        if problems:
            raise ValidationError({"reason_terms": problems})

    def terms_for(self, reason: ReturnReason) -> dict:
        """The fee and label payer for returns for ``reason`` under this policy."""
        terms = {name: getattr(reason, name) for name in REASON_TERMS}
        override = (self.reason_terms or {}).get(reason.code) or {}
        for name in ("restocking_fee_percent", "restocking_fee_fixed"):
            if name in override:
                terms[name] = Decimal(str(override[name]))
        if "shipping_paid_by" in override:
            terms["shipping_paid_by"] = override["shipping_paid_by"]
        return terms


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    LABEL_ISSUED = "label_issued", "Label issued"
    IN_TRANSIT = "in_transit", "In transit"
    RECEIVED = "received", "Received"
    INSPECTED = "inspected", "Inspected"
    REFUNDED = "refunded", "Refunded"
    EXCHANGED = "exchanged", "Exchanged"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


# Statuses in which a return still expects units: its unreceived quantities count against what
# may be returned of each order line.
OPEN_STATUSES = (
    ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED, ReturnStatus.IN_TRANSIT,
)
# Statuses from which the parcel may be received.
RECEIVABLE = (ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED, ReturnStatus.IN_TRANSIT)
# Statuses an approved return expires from when its parcel never shipped.
EXPIRABLE = (ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED)
FINAL_STATUSES = (
    ReturnStatus.REJECTED, ReturnStatus.REFUNDED, ReturnStatus.EXCHANGED, ReturnStatus.CLOSED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED,
)


class Resolution(models.TextChoices):
    REFUND = "refund", "Refund"
    EXCHANGE = "exchange", "Exchange"
    STORE_CREDIT = "store_credit", "Store credit"


def rma_number_for(pk: int) -> str:
    return f"RMA-{pk:06d}"


class ReturnRequest(FSMModelMixin, models.Model):
    """A return merchandise authorisation (RMA): units of one order a customer sends back."""

    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="return_requests")
    status = FSMField(default=ReturnStatus.REQUESTED, choices=ReturnStatus.choices, protected=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, default=Resolution.REFUND)
    customer_comment = models.TextField(blank=True)
    needs_attention = models.CharField(
        max_length=500, blank=True, help_text="Why the request is outside the policy and needs a person to decide.",
    )
    policy = models.ForeignKey(ReturnPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    location = models.ForeignKey(
        "inventory.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Where the parcel was received.",
    )
    shipment = models.ForeignKey(
        "shipping.Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The return label's shipment.",
    )
    decision_note = models.CharField(max_length=500, blank=True)
    label_paid_by = models.CharField(
        max_length=10, choices=ShippingPaidBy.choices, blank=True,
        help_text="Who pays the return label, from the reasons' terms (customer: its cost is deducted from the refund).",
    )
    label_cost = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True, help_text="The return label's quoted price.",
    )
    label_currency = models.CharField(max_length=3, blank=True, help_text="The currency of label_cost (the carrier's).")
    exchange_order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="exchange_for",
        help_text="The replacement order of an exchange, placed through ordinary intake.",
    )
    exchange_balance = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True,
        help_text="Replacement value minus the returned units' value: positive, the customer pays the difference; negative, it is refunded.",
    )
    unexpected_items = models.JSONField(
        default=list, blank=True, help_text="Items in the parcel that the return did not name: [{sku, quantity, note}].",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="An approved return whose parcel has not shipped by then expires.")
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Goes up by one with every change: the API's ETag, compared with If-Match.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        verbose_name = "return (RMA)"
        verbose_name_plural = "returns (RMAs)"
        indexes = [
            models.Index(fields=["status"], name="return_status_idx"),
            models.Index(fields=["status", "expires_at"], name="return_expiry_idx"),
        ]
        permissions = [
            ("approve_return", "Can approve, reject and close returns"),
            ("cancel_return", "Can cancel returns"),
            ("receive_return", "Can receive returned parcels"),
            ("inspect_return", "Can inspect returned units"),
            ("refund_return", "Can refund returns (amount override with a reason) and retry failed refunds"),
        ]

    def __str__(self):
        return self.number or f"RMA #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    # --- transitions: guards and field changes only; services do the rest ---

    @transition(field=status, source=ReturnStatus.REQUESTED, target=ReturnStatus.APPROVED)
    def approve(self):
        pass

    @transition(field=status, source=ReturnStatus.REQUESTED, target=ReturnStatus.REJECTED)
    def reject(self):
        pass

    @transition(field=status, source=ReturnStatus.APPROVED, target=ReturnStatus.LABEL_ISSUED)
    def issue_label(self):
        pass

    @transition(field=status, source=[ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED], target=ReturnStatus.IN_TRANSIT)
    def ship(self):
        pass

    @transition(field=status, source=list(RECEIVABLE), target=ReturnStatus.RECEIVED)
    def receive(self):
        pass

    @transition(field=status, source=ReturnStatus.RECEIVED, target=ReturnStatus.INSPECTED)
    def inspect(self):
        pass

    @transition(field=status, source=ReturnStatus.INSPECTED, target=ReturnStatus.REFUNDED)
    def refund(self):
        pass

    @transition(field=status, source=ReturnStatus.INSPECTED, target=ReturnStatus.EXCHANGED)
    def exchange(self):
        pass

    @transition(field=status, source=ReturnStatus.INSPECTED, target=ReturnStatus.CLOSED)
    def close(self):
        pass

    @transition(field=status, source=list(OPEN_STATUSES), target=ReturnStatus.CANCELLED)
    def cancel(self):
        pass

    @transition(field=status, source=list(EXPIRABLE), target=ReturnStatus.EXPIRED)
    def expire(self):
        pass


class Condition(models.TextChoices):
    NEW = "new", "New, unopened"
    OPENED = "opened", "Opened, as new"
    DAMAGED = "damaged", "Damaged"
    WRONG_ITEM = "wrong_item", "Wrong item"


class Disposition(models.TextChoices):
    RESTOCK = "restock", "Restock (sellable)"
    REFURBISH = "refurbish", "Refurbish (quarantined until released)"
    QUARANTINE = "quarantine", "Quarantine (damaged)"
    SCRAP = "scrap", "Scrap"
    RETURN_TO_VENDOR = "return_to_vendor", "Return to vendor"


class ReturnLine(models.Model):
    """Units of one order line in a return, what arrived of them and where they went."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.ForeignKey(ReturnReason, on_delete=models.PROTECT, related_name="+")
    reason_text = models.CharField(max_length=500, blank=True)
    quantity_received = models.PositiveIntegerField(default=0)
    quantity_missing = models.PositiveIntegerField(default=0, help_text="Requested but not in the parcel when receiving was completed.")
    quantity_accepted = models.PositiveIntegerField(default=0, help_text="Received units accepted at inspection (the rest are refused).")
    condition = models.CharField(max_length=12, choices=Condition.choices, blank=True)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    inspection_note = models.CharField(max_length=500, blank=True)
    exchange_product = models.ForeignKey(
        "inventory.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Exchanges: the product sent in place of the returned units.",
    )
    exchange_quantity = models.PositiveIntegerField(default=0, help_text="Exchanges: units of exchange_product sent.")

    class Meta:
        ordering = ["request", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(exchange_product__isnull=True, exchange_quantity=0) | Q(exchange_product__isnull=False, exchange_quantity__gt=0),
                name="return_line_exchange_product_and_quantity",
            ),
            models.UniqueConstraint(fields=["request", "order_line"], name="return_line_once_per_order_line"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity")), name="return_line_received_within_requested"
            ),
            models.CheckConstraint(
                condition=Q(quantity_missing__lte=F("quantity") - F("quantity_received")), name="return_line_missing_within_unreceived"
            ),
            models.CheckConstraint(
                condition=Q(quantity_accepted__lte=F("quantity_received")), name="return_line_accepted_within_received"
            ),
        ]

    def __str__(self):
        return f"{self.order_line.sku} × {self.quantity}"

    @property
    def quantity_outstanding(self) -> int:
        """Units still expected in the parcel."""
        return self.quantity - self.quantity_received - self.quantity_missing


class ReturnEvent(AuditRecord):
    """The audit trail of a return: every change, who made it and when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Requested"
        STATUS = "status", "Status changed"
        LABEL = "label", "Return label issued"
        RECEIVED = "received", "Parcel received"
        UNEXPECTED = "unexpected", "Unexpected items received"
        MISSING = "missing", "Items missing"
        INSPECTED = "inspected", "Inspected"
        REFUND = "refund", "Refund"
        EXCHANGE = "exchange", "Exchange order placed"
        NOTE = "note", "Note"

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)


class RefundMethod(models.TextChoices):
    ORIGINAL_PAYMENT = "original_payment", "Original payment"
    STORE_CREDIT = "store_credit", "Store credit"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending (sent to the provider)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


# Refunds that hold money back from what an order may still refund: sent or done.
REFUND_HOLDING = (RefundStatus.PENDING, RefundStatus.SUCCEEDED)


class Refund(FSMModelMixin, models.Model):
    """Money given back for (part of) an order, usually for a return (RMA).

    Reserved as ``pending`` under the order's lock, then sent to the payment adapter outside any
    transaction, then recorded as ``succeeded`` or ``failed`` (with the provider's words); a failed
    refund may be retried with the same idempotency key. Pending and succeeded refunds of an
    order never add up to more than its grand total."""

    request = models.ForeignKey(ReturnRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    currency = models.CharField(max_length=3)
    computed_amount = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, help_text="What the arithmetic gave; differs from amount when overridden.",
    )
    breakdown = models.JSONField(default=dict, blank=True, help_text="Per line: units, price after discounts, tax, fee; shipping; label cost.")
    override_reason = models.CharField(max_length=500, blank=True, help_text="Why an operator set the amount (empty: computed).")
    method = models.CharField(max_length=20, choices=RefundMethod.choices, default=RefundMethod.ORIGINAL_PAYMENT)
    provider = models.CharField(max_length=20, help_text="The payment adapter: builtin, shopify, store_credit.")
    status = FSMField(default=RefundStatus.PENDING, choices=RefundStatus.choices, protected=True)
    provider_refund_id = models.CharField(max_length=120, blank=True)
    provider_reason = models.CharField(max_length=500, blank=True, help_text="What the provider said when it refused or failed.")
    attempts = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, unique=True, help_text="Sent to the provider with every attempt: never two refunds.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["order", "status"], name="refund_order_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(computed_amount__gte=0), name="refund_computed_not_negative"),
        ]

    def __str__(self):
        return f"Refund #{self.pk} {money_text(self.amount, self.currency)} ({self.status})"

    def settled_text(self) -> str:
        """Where a succeeded refund went: paid back to the original payment, taken off the order's
        invoices (what their credit notes lowered the open balance by), store credit. "" until it
        succeeded."""
        if self.status != RefundStatus.SUCCEEDED:
            return ""
        settled = self.breakdown or {}
        off_invoices = Decimal(settled.get("invoice_balance_reduced") or 0)
        parts = [f"{money_text(off_invoices, self.currency)} off the invoices"] if off_invoices else []
        rest, where = ((settled["store_credit"], "as store credit") if "store_credit" in settled
                       else (settled.get("paid_back", self.amount), "paid back to the original payment"))
        if Decimal(rest) or not parts:
            parts.append(f"{money_text(Decimal(rest), self.currency)} {where}")
        return ", ".join(parts)

    @transition(field=status, source=RefundStatus.PENDING, target=RefundStatus.SUCCEEDED)
    def succeed(self):
        pass

    @transition(field=status, source=RefundStatus.PENDING, target=RefundStatus.FAILED)
    def fail(self):
        pass

    @transition(field=status, source=RefundStatus.FAILED, target=RefundStatus.PENDING)
    def retry(self):
        pass

"""Suppliers and purchase orders: what the merchant buys, from whom, and when it should arrive.

``PurchaseOrder.status`` moves only through the transitions below, which ``inventory.purchasing``
calls with the row locked; the field is protected against direct assignment. While a PO is sent
(or partially received) its open quantities are ``incoming`` at its destination, on the ledger.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_countries.fields import CountryField
from django_fsm import FSMField, FSMModelMixin, transition

from oms.models import AuditRecord
from oms.money import DECIMAL_PLACES, MAX_DIGITS, validate_currency

from .models import Location, Product


class Supplier(models.Model):
    """Someone the merchant buys stock from, in their currency, with their lead time and minimums."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=255)
    contact_name = models.CharField(max_length=255, blank=True)
    email = models.EmailField("e-mail", blank=True, help_text="Sent purchase orders are e-mailed here as a PDF.")
    phone = models.CharField(max_length=40, blank=True)
    line1 = models.CharField(max_length=255, blank=True)
    line2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=120, blank=True)
    region = models.CharField(max_length=120, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = CountryField(blank=True)
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency], help_text="ISO 4217; the supplier's prices are in it.")
    lead_time_days = models.PositiveSmallIntegerField(default=7, help_text="Average days from sending an order to its arrival.")
    lead_time_spread_days = models.DecimalField(
        max_digits=6, decimal_places=2, default=0, help_text="Standard deviation of the lead time in days (how much it varies)."
    )
    minimum_order_value = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True,
        help_text="Smallest order the supplier accepts, in its currency. Empty: none.",
    )
    minimum_order_units = models.PositiveIntegerField(null=True, blank=True, help_text="Fewest units per order. Empty: none.")
    pack_size = models.PositiveIntegerField(default=1, help_text="Units per pack unless a product says otherwise.")
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Rises with every change made through the services: the API's ETag, compared with If-Match.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(pack_size__gt=0), name="supplier_pack_size_positive"),
            models.CheckConstraint(condition=Q(lead_time_spread_days__gte=0), name="supplier_lead_spread_not_negative"),
            models.CheckConstraint(
                condition=Q(minimum_order_value__isnull=True) | Q(minimum_order_value__gte=0), name="supplier_minimum_value_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"


class SupplierProduct(models.Model):
    """One SKU as a supplier sells it: their code, price, pack and minimum; at most one supplier
    of a product is its preferred one."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="products")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="supplier_products")
    supplier_sku = models.CharField("supplier SKU", max_length=64, blank=True, help_text="The supplier's own code for it.")
    unit_cost = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, help_text="Per unit, in the supplier's currency.")
    pack_size = models.PositiveIntegerField(null=True, blank=True, help_text="Units per pack. Empty: the supplier's default.")
    minimum_quantity = models.PositiveIntegerField(default=1, help_text="Fewest units of this product per order.")
    lead_time_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Days to arrive for this product. Empty: the supplier's.")
    is_preferred = models.BooleanField("preferred", default=False, help_text="Bought from this supplier unless another is named.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["supplier", "product"]
        verbose_name = "supplier product"
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "product"], name="supplier_product_unique",
                violation_error_message="The supplier already sells this product; change that row instead.",
            ),
            models.UniqueConstraint(
                fields=["product"], condition=Q(is_preferred=True), name="supplier_product_one_preferred",
                violation_error_message="This product already has a preferred supplier; unmark it there first.",
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="supplier_product_cost_not_negative"),
            models.CheckConstraint(condition=Q(pack_size__isnull=True) | Q(pack_size__gt=0), name="supplier_product_pack_positive"),
            models.CheckConstraint(condition=Q(minimum_quantity__gt=0), name="supplier_product_minimum_positive"),
        ]

    def __str__(self):
        return f"{self.product.sku} from {self.supplier.code}"

    @property
    def effective_pack_size(self) -> int:
        return self.pack_size or self.supplier.pack_size

    @property
    def effective_lead_time_days(self) -> int:
        return self.lead_time_days if self.lead_time_days is not None else self.supplier.lead_time_days


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# While a PO is in one of these, its open quantities are ``incoming`` at its destination.
PO_OPEN = (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED)
PO_RECEIVABLE = PO_OPEN
PO_FINAL = (PurchaseOrderStatus.CLOSED, PurchaseOrderStatus.CANCELLED)


def po_number_for(pk: int) -> str:
    return f"PO-{pk:06d}"


class PurchaseOrder(FSMModelMixin, models.Model):
    """Stock ordered from one supplier for one location."""

    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="purchase_orders", help_text="Where the goods are delivered.")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    status = FSMField(default=PurchaseOrderStatus.DRAFT, choices=PurchaseOrderStatus.choices, protected=True)
    expected_date = models.DateField(null=True, blank=True, help_text="When the goods should arrive (lines may say otherwise).")
    notes = models.TextField(blank=True, help_text="Printed on the purchase order.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Closed or cancelled.")
    emailed_at = models.DateTimeField(null=True, blank=True, help_text="When the PDF went to the supplier.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Goes up by one with every change: the API's ETag, compared with If-Match.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        verbose_name = "purchase order"
        indexes = [models.Index(fields=["status"], name="purchase_order_status_idx")]
        permissions = [
            ("send_purchaseorder", "Can send, cancel and close purchase orders"),
            ("receive_purchaseorder", "Can receive goods against purchase orders"),
        ]

    def __str__(self):
        return self.number or f"PO #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in PO_OPEN

    # --- transitions: guards and field changes only; services do the rest ---

    @transition(field=status, source=PurchaseOrderStatus.DRAFT, target=PurchaseOrderStatus.SENT)
    def send(self):
        pass

    @transition(field=status, source=list(PO_RECEIVABLE), target=PurchaseOrderStatus.PARTIALLY_RECEIVED)
    def receive_part(self):
        pass

    @transition(field=status, source=list(PO_RECEIVABLE), target=PurchaseOrderStatus.RECEIVED)
    def receive_all(self):
        pass

    @transition(field=status, source=[PurchaseOrderStatus.PARTIALLY_RECEIVED, PurchaseOrderStatus.RECEIVED], target=PurchaseOrderStatus.CLOSED)
    def close(self):
        pass

    @transition(field=status, source=[PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.SENT], target=PurchaseOrderStatus.CANCELLED)
    def cancel(self):
        pass


class PurchaseOrderLine(models.Model):
    """Units of one product on a PO; ``quantity_received`` may pass what was ordered (over-receipt)."""

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    supplier_sku = models.CharField("supplier SKU", max_length=64, blank=True)
    quantity_ordered = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0)
    quantity_released = models.PositiveIntegerField(
        default=0, help_text="Units no longer expected: given up when the order was closed or cancelled."
    )
    unit_cost = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, help_text="In the order's currency.")
    expected_date = models.DateField(null=True, blank=True, help_text="Empty: the order's expected date.")

    class Meta:
        ordering = ["purchase_order", "line_number"]
        verbose_name = "purchase order line"
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "line_number"], name="purchase_order_line_number_unique"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="purchase_order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="purchase_order_line_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(quantity_released__lte=F("quantity_ordered")), name="purchase_order_line_released_within_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.purchase_order} line {self.line_number}"

    @property
    def quantity_open(self) -> int:
        """Units still expected (never below zero: an over-receipt leaves nothing open)."""
        return max(self.quantity_ordered - self.quantity_received - self.quantity_released, 0)

    @property
    def quantity_over(self) -> int:
        return max(self.quantity_received - self.quantity_ordered, 0)

    @property
    def quantity_short(self) -> int:
        """Units given up at close: ordered, never received."""
        return self.quantity_released


class PurchaseOrderEvent(AuditRecord):
    """The audit trail of a purchase order: every change, who made it and when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status changed"
        CHANGED = "changed", "Changed"
        RECEIVED = "received", "Goods received"
        EMAILED = "emailed", "E-mailed to the supplier"

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)

    class Meta(AuditRecord.Meta):
        verbose_name = "purchase order event"

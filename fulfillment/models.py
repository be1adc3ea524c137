"""Fulfillment orders: the part of an order one location ships, with its own lifecycle and holds.

The ``status`` field is protected: it moves only through the transitions below, which the
services in ``fulfillment.services`` call with the order locked.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition
from oms.models import HoldRecord


class FulfillmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PICKING = "picking", "Picking"
    PACKED = "packed", "Packed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


# Statuses in which a fulfillment order still holds stock and may be cancelled.
OPEN_STATUSES = [FulfillmentStatus.PENDING, FulfillmentStatus.PICKING, FulfillmentStatus.PACKED]


class FulfillmentHoldReason(models.TextChoices):
    ADDRESS_CHECK = "address_check", "Address to be checked"
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    SHORT_PICK = "short_pick", "Short pick"
    MANUAL = "manual", "Manual"


class FulfillmentOrder(FSMModelMixin, models.Model):
    """What one location ships of one order. ``number`` is the order's number and a sequence
    within the order (``SO-0000042-1``); a split or a remainder gets the next one."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="fulfillment_orders")
    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="fulfillment_orders")
    sequence = models.PositiveSmallIntegerField(help_text="Position within the order: 1, 2, 3...")
    number = models.CharField(max_length=32, unique=True)
    status = FSMField(default=FulfillmentStatus.PENDING, choices=FulfillmentStatus.choices, protected=True)
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower is worked first.")
    promised_ship_date = models.DateField(null=True, blank=True, help_text="From the order.")
    promised_delivery_date = models.DateField(null=True, blank=True, help_text="From the order: the day the customer was promised delivery by.")
    # Kept by the hold services: true while any hold is open (filters and pick-list builders read it).
    is_held = models.BooleanField(default=False)
    tracking_number = models.CharField(max_length=100, blank=True)
    # The carrier booking it shipped with (empty when it shipped without one: no active carrier,
    # or a tracking number entered by hand). Fulfillment sits above shipping, so a real FK.
    shipment = models.ForeignKey(
        "shipping.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="fulfillment_orders",
        help_text="The shipment booked when it shipped.",
    )
    carrier_code = models.CharField(max_length=32, blank=True)
    service_code = models.CharField(max_length=32, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Goes up by one with every change (its ETag in the API).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "location"], name="fo_status_location_idx"),
            models.Index(fields=["location", "status", "priority"], name="fo_location_queue_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="fo_order_sequence_unique"),
        ]
        permissions = [
            ("transition_fulfillmentorder", "Can move fulfillment orders through their lifecycle"),
            ("route_fulfillmentorder", "Can move, split and merge fulfillment orders"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_not_held(self) -> bool:
        return not self.is_held

    # --- transitions: guards and field changes only; services do the rest ---

    @transition(field=status, source=FulfillmentStatus.PENDING, target=FulfillmentStatus.PICKING, conditions=[is_not_held])
    def start_picking(self):
        pass

    @transition(field=status, source=FulfillmentStatus.PICKING, target=FulfillmentStatus.PACKED)
    def pack(self):
        pass

    @transition(field=status, source=FulfillmentStatus.PACKED, target=FulfillmentStatus.SHIPPED)
    def ship(self):
        self.shipped_at = timezone.now()

    @transition(field=status, source=FulfillmentStatus.SHIPPED, target=FulfillmentStatus.DELIVERED)
    def deliver(self):
        self.delivered_at = timezone.now()

    @transition(field=status, source=OPEN_STATUSES, target=FulfillmentStatus.CANCELLED)
    def cancel(self):
        self.cancelled_at = timezone.now()


class FulfillmentLine(models.Model):
    """Units of one order line that a fulfillment order ships; each stage never exceeds the one before.

    ``quantity`` falls when a short pick gives units back to the order; a line whose every unit
    was missing keeps ``quantity`` 0, with its pick record, rather than disappear."""

    fulfillment_order = models.ForeignKey(FulfillmentOrder, on_delete=models.CASCADE, related_name="lines", db_index=False)
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="fulfillment_lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="fulfillment_lines")
    quantity = models.PositiveIntegerField()
    quantity_picked = models.PositiveIntegerField(default=0)
    quantity_packed = models.PositiveIntegerField(default=0)
    quantity_shipped = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["fulfillment_order", "order_line"]
        constraints = [
            models.UniqueConstraint(fields=["fulfillment_order", "order_line"], name="fo_line_order_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="fo_line_quantity_not_negative"),
            models.CheckConstraint(condition=Q(quantity_picked__lte=F("quantity")), name="fo_line_picked_within_quantity"),
            models.CheckConstraint(condition=Q(quantity_packed__lte=F("quantity_picked")), name="fo_line_packed_within_picked"),
            models.CheckConstraint(condition=Q(quantity_shipped__lte=F("quantity_packed")), name="fo_line_shipped_within_packed"),
        ]

    def __str__(self):
        return f"{self.product_id} × {self.quantity}"


class FulfillmentHold(HoldRecord):
    """Why a fulfillment order may not be picked. It is held while any hold is unreleased."""

    fulfillment_order = models.ForeignKey(FulfillmentOrder, on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(max_length=20, choices=FulfillmentHoldReason.choices)
    created_by_label = models.CharField(max_length=120, blank=True)

    class Meta(HoldRecord.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["fulfillment_order", "reason"], condition=Q(released_at__isnull=True), name="fo_one_open_hold_per_reason"
            )
        ]


from .models_picking import *  # noqa: E402,F401,F403

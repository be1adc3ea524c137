"""What customers are told, and how they want to be told it.

The kinds of message the portal sends are fixed here (each is one cause in the life of an order,
a parcel or a return); a customer's preference per kind and medium overrides the defaults, which
follow the customer's e-mail and SMS opt-ins. A few messages always go (see ``ALWAYS_SENT``).
"""

from django.db import models
from django.utils import timezone


class NotificationKind(models.TextChoices):
    ORDER_CONFIRMED = "order_confirmed", "Order confirmed"
    ORDER_ON_HOLD = "order_on_hold", "Order waiting for you (payment or address)"
    BACKORDERED = "backordered", "Item on backorder"
    SHIPPED = "shipped", "Parcel shipped"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    DELAYED = "delayed", "Delayed"
    CANCELLED = "cancelled", "Order cancelled"
    RETURN_APPROVED = "return_approved", "Return approved"
    RETURN_RECEIVED = "return_received", "Return received"
    REFUND_ISSUED = "refund_issued", "Refund issued"
    EXCHANGE_SHIPPED = "exchange_shipped", "Exchange shipped"


class Medium(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


# Sent whatever the preferences say (the customer is told so next to the choice): money moved.
ALWAYS_SENT = frozenset({NotificationKind.REFUND_ISSUED})
# With SMS opted in and no preference stored, these go by SMS too: the parcel's moments.
SMS_BY_DEFAULT = frozenset({NotificationKind.SHIPPED, NotificationKind.OUT_FOR_DELIVERY, NotificationKind.DELIVERED, NotificationKind.DELAYED})


class NotificationPreference(models.Model):
    """A customer's choice for one kind of message on one medium (absent: the default)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    medium = models.CharField(max_length=8, choices=Medium.choices)
    enabled = models.BooleanField()
    changed_by = models.CharField(max_length=120, blank=True, help_text="Who made the choice: the customer's link, the portal, or staff.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "kind", "medium"], name="notification_preference_once")]

    def __str__(self):
        return f"{self.customer_id}: {self.kind} by {self.medium} {'on' if self.enabled else 'off'}"

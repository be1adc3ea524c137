"""What customers are told, and how they want to be told it.

The kinds of message the portal sends are fixed here (each is one cause in the life of an order,
a parcel or a return); a customer's preference per kind and medium overrides the defaults, which
follow the customer's e-mail and SMS opt-ins. A few messages always go (see ``ALWAYS_SENT``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
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


# --- the notification log, branding and template overrides (portal/notifications) ---


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    # Claimed by a worker until ``lease_until``: a row still sending after its lease belongs to a
    # worker that died mid-send (see portal.notifications.delivery for what happens then).
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    BOUNCED = "bounced", "Bounced"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One message to one recipient for one cause: the log the admin shows and the key that
    makes a replayed event send nothing (``notification_once``)."""

    event_uuid = models.UUIDField(help_text="The domain event that caused it (the same on every replay).")
    event_name = models.CharField(max_length=100)
    # A cause that several events may announce (a parcel late for the same reason): one notice each.
    cause = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    medium = models.CharField(max_length=8, choices=Medium.choices)
    recipient = models.CharField(max_length=254, help_text="E-mail address or phone number (E.164).")
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications")
    channel = models.ForeignKey("orders.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications")
    context = models.JSONField(default=dict, blank=True, help_text="What the event said that the message needs (ids, numbers, dates).")
    template = models.CharField(max_length=40, blank=True, help_text="default, or override:<id> (the channel's own).")
    language = models.CharField(max_length=8, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    # The Message-ID header, the same on every attempt: a resend after a crash carries it again.
    message_id = models.CharField(max_length=255, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_uuid", "kind", "medium", "recipient"], name="notification_once"),
            models.UniqueConstraint(
                fields=["cause", "kind", "medium", "recipient"], condition=~models.Q(cause=""), name="notification_once_per_cause"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx")]
        permissions = [("resend_notification", "Can send a failed notification again")]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"


# The pictures a logo may be, by content type: the extension its URL ends with.
LOGO_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}
LOGO_MAX_BYTES = 256 * 1024

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour as #rrggbb, e.g. #1a73e8.")


class ChannelBranding(models.Model):
    """How a channel's messages look and whom they come from."""

    channel = models.OneToOneField("orders.Channel", on_delete=models.CASCADE, related_name="branding")
    shop_name = models.CharField(max_length=120)
    logo_url = models.URLField(max_length=500, blank=True, help_text="An https address of the logo (the only picture a message loads).")
    # An uploaded logo, kept in the database (no disk is shared between processes): served from
    # /portal/brand/<channel>/logo/<digest>.<ext> and used in messages instead of ``logo_url``.
    logo = models.BinaryField(null=True, blank=True, editable=False)
    logo_content_type = models.CharField(max_length=20, blank=True, editable=False)
    logo_digest = models.CharField(max_length=64, blank=True, editable=False, help_text="SHA-256 of the uploaded logo (its URL changes with it).")
    primary_colour = models.CharField(max_length=7, default="#1f2937", validators=[colour_validator])
    accent_colour = models.CharField(max_length=7, default="#2563eb", validators=[colour_validator])
    sender_email = models.EmailField(blank=True, help_text="From address (blank: DEFAULT_FROM_EMAIL). Its domain must be verified with the provider.")
    sender_name = models.CharField(max_length=120, blank=True)
    reply_to = models.EmailField(blank=True)
    footer_text = models.TextField(blank=True, help_text="Address, company details: printed at the bottom of every message.")

    class Meta:
        verbose_name_plural = "channel brandings"

    def __str__(self):
        return self.shop_name

    @property
    def logo_extension(self) -> str:
        return LOGO_EXTENSIONS.get(self.logo_content_type, "")


class NotificationTemplateOverride(models.Model):
    """A channel's own wording of one kind of message in one language (the message templates' Jinja2 syntax, sandboxed;
    the same context as the default templates). Checked by rendering with demo data on save."""

    channel = models.ForeignKey("orders.Channel", on_delete=models.CASCADE, related_name="notification_templates")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=255)
    html_body = models.TextField(help_text="The HTML part (blank: the default HTML template).", blank=True)
    text_body = models.TextField(help_text="The plain-text part (blank: the default text template).", blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "kind", "language"], name="notification_template_override_once")]

    def __str__(self):
        return f"{self.channel} · {self.get_kind_display()} · {self.language}"

    def clean(self):
        from .notifications.render import override_check

        problems = override_check(self)
        if problems:
            raise ValidationError(problems)

"""What the demo's customers would see: each selling channel's branding on messages and portal
pages, and a notification log. The demo writes to no real address (its seeding mutes
notifications: the customers are made up; a sample of its events is then told to them through
the real notification code, into an in-memory mailbox and the local SMS adapter)."""

from orders.models import Channel
from portal.models import ChannelBranding

from .report import DemoReport

# Per channel code: shop name, primary and accent colours, sender, reply-to, footer.
BRANDING = {
    "web": ("Larkspur & Co.", "#1f3a5f", "#c2410c", "orders@larkspur.example", "care@larkspur.example",
            "Larkspur & Co. · 300 Raritan Center Pkwy · Edison, NJ 08837 · USA"),
    "outlet": ("Larkspur Outlet", "#374151", "#b45309", "outlet@larkspur.example", "care@larkspur.example",
               "Larkspur Outlet · second-season pieces at outlet prices"),
    "b2b": ("Larkspur Trade", "#14532d", "#0f766e", "trade@larkspur.example", "accounts@larkspur.example",
            "Larkspur Trade · accounts on terms · VAT registered"),
}


def branding_seed(report: DemoReport) -> None:
    """Branding of the channels customers buy from directly (idempotent, by channel)."""
    channels = dict(Channel.objects.filter(code__in=list(BRANDING)).values_list("code", "pk"))
    for code, (name, primary, accent, sender, reply_to, footer) in BRANDING.items():
        if code not in channels:
            continue
        _, created = ChannelBranding.objects.get_or_create(channel_id=channels[code], defaults={
            "shop_name": name, "primary_colour": primary, "accent_colour": accent, "sender_email": sender,
            "sender_name": name, "reply_to": reply_to, "footer_text": footer,
        })
        report.created["channel brandings"] += created


# How many of the latest events of each kind the demo replays to its customers (a sample: the
# console's notification log shows every kind of message without the seeding sending thousands).
EVENTS_PER_KIND = 3
# Of the e-mails sent, what the provider reports on some (by position, so every run is the same):
# most delivered, one bounced (the address is flagged), one refused for good.
REPORTS = (("delivered", ""), ("delivered", ""), ("bounced", "550 5.1.1 The mailbox does not exist"), ("delivered", ""),
           ("rejected", "554 5.7.1 Rejected by the receiving server's spam policy"), ("delivered", ""))


def notifications_seed(report: DemoReport) -> None:
    """A realistic notification log: the latest few events of each kind that tells a customer
    something are handed to the notification subscribers (what the outbox does after commit), so
    the messages are recorded, rendered and delivered by the real code, then some get the
    provider reports that webhooks bring. E-mail goes to Django's in-memory backend and SMS to the
    local adapter whatever the settings say: the demo's customers are made up. Idempotent (a
    replayed event records nothing twice)."""
    from django.test.utils import override_settings

    from oms.models import DomainEvent
    from portal.models import Medium, Notification, NotificationStatus
    from portal.notifications.delivery import email_connection_reset, notifications_deliver
    from portal.notifications.events import SUBSCRIBERS
    from portal.notifications.log import notification_status_update

    before = Notification.objects.count()
    email_connection_reset()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", OMS_SMS_BACKEND="local"):
        try:
            for name, subscriber in SUBSCRIBERS.items():
                for event in DomainEvent.objects.filter(name=name).order_by("-id")[:EVENTS_PER_KIND]:
                    subscriber(event)
            # Sent after commit where there is one; here too when the caller's transaction holds them.
            for notification_id in Notification.objects.filter(status=NotificationStatus.QUEUED).order_by("id").values_list("id", flat=True):
                notifications_deliver(notification_id=notification_id)
        finally:
            email_connection_reset()
    first_of_each_kind: dict[str, str] = {}  # one report per kind, so the log's filters show them spread
    for kind, provider_message_id in (
        # Every message that went (whatever was reported since): a second run reports the same ones again, changing nothing.
        Notification.objects.filter(medium=Medium.EMAIL, sent_at__isnull=False).exclude(provider_message_id="")
        .order_by("id").values_list("kind", "provider_message_id")
    ):
        first_of_each_kind.setdefault(kind, provider_message_id)
    for provider_message_id, (status, detail) in zip(first_of_each_kind.values(), REPORTS, strict=False):
        notification_status_update(provider_message_id=provider_message_id, status=status, detail=detail)
    for provider_message_id in Notification.objects.filter(medium=Medium.SMS, status=NotificationStatus.SENT).values_list("provider_message_id", flat=True)[:3]:
        notification_status_update(provider_message_id=provider_message_id, status="delivered")
    if Notification.objects.count() > before:
        report.created["notifications"] += Notification.objects.count() - before

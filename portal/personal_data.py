"""The portal's part of a customer's data: the messages sent (recipient, subject, what they said)
and the customer's notification preferences and consent.

Sign-in links are not stored: each is a signed token with a single-use nonce kept in the cache
until it expires (``OMS_PORTAL_LINK_MINUTES``), so there is no sign-in record to export."""

from django.db.models import Q

from oms.personal_data import ErasureContext, PersonalDataPart, rows_of, rows_scrub

from .models import Medium, Notification, NotificationPreference


def _notifications(customer_id: int):
    return Notification.objects.filter(Q(customer_id=customer_id) | Q(order__customer_id=customer_id))


def portal_export(customer_id: int) -> dict:
    return {
        "notifications": rows_of(_notifications(customer_id), exclude=["message_id", "lease_until"]),
        "notification_preferences": rows_of(NotificationPreference.objects.filter(customer_id=customer_id)),
    }


def portal_values(customer_id: int) -> list[str]:
    return list(_notifications(customer_id).values_list("recipient", flat=True).distinct())


def portal_erase(context: ErasureContext) -> dict[str, int]:
    recipients = 0
    for notification in _notifications(context.customer_id).order_by("pk"):
        # The log keeps that a message of this kind went out, and when; not to whom.
        notification.recipient = f"erased-{notification.pk}@invalid" if notification.medium == Medium.EMAIL else f"[erased {notification.pk}]"
        notification.save(update_fields=["recipient"])
        recipients += 1
    return {
        "notification_recipients": recipients,
        "notifications": rows_scrub(_notifications(context.customer_id), context.values, skip=["recipient", "message_id"]),
        "notification_preferences": rows_scrub(NotificationPreference.objects.filter(customer_id=context.customer_id), context.values),
    }


def portal_active_since(customer_ids: list[int], since) -> set[int]:
    changed = NotificationPreference.objects.filter(customer_id__in=customer_ids, updated_at__gte=since)
    return set(changed.values_list("customer_id", flat=True))


PART = PersonalDataPart(
    name="portal",
    models=("portal.Notification", "portal.NotificationPreference"),
    export=portal_export,
    erase=portal_erase,
    values=portal_values,
    identifiers=portal_values,
    active_since=portal_active_since,
)

"""Writes of the notification log: recording the messages a cause calls for, status reports of
providers, and resending by hand."""

import logging
import uuid
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer
from oms.actors import Actor, actor_fields
from oms.errors import InvalidTransition, NotFound
from oms.wake import wake_ask

from ..models import Medium, Notification, NotificationStatus
from ..preferences import notification_allowed

logger = logging.getLogger(__name__)


def notifications_record(
    *, event_uuid: uuid.UUID, event_name: str, kind: str, customer: Customer | None, order_id: int | None,
    channel_id: int | None, context: dict, cause: str = "",
) -> list[int]:
    """Log one message per medium the customer gets ``kind`` by, and send them after commit.

    Guarantees: idempotent on ``(event_uuid, kind, medium, recipient)`` and, for a ``cause``
    (a late parcel's reason), on ``(cause, kind, medium, recipient)``: a replayed event, or a
    second event of the same cause, records and sends nothing. Recipients are those
    :func:`notification_allowed` lets through; a bounced e-mail address gets nothing. Returns
    the ids of the rows recorded now.
    """
    if customer is None:
        return []
    rows = []
    for medium in Medium.values:
        if not notification_allowed(customer=customer, kind=kind, medium=medium):
            continue
        if medium == Medium.EMAIL and customer.email_bounced_at is not None:
            continue
        recipient = customer.email if medium == Medium.EMAIL else str(customer.phone)
        rows.append(Notification(
            event_uuid=event_uuid, event_name=event_name, cause=cause, kind=kind, medium=medium, recipient=recipient,
            customer=customer, order_id=order_id, channel_id=channel_id, context=context, language=customer.language or "en",
        ))
    recorded = []
    for row in rows:
        # One savepoint per row: the conflicting one (a replay) is skipped, the others stand.
        try:
            with transaction.atomic():
                already = Notification.objects.filter(
                    Q(event_uuid=row.event_uuid) | (Q(cause=row.cause) & ~Q(cause="")), kind=row.kind, medium=row.medium, recipient=row.recipient,
                ).exists()
                if already:
                    continue
                row.message_id = _message_id(row)
                row.save()
        except IntegrityError:  # recorded by a concurrent delivery of the same event
            continue
        recorded.append(row.pk)
    for notification_id in recorded:
        transaction.on_commit(partial(_enqueue, notification_id), robust=True)
    return recorded


def _message_id(row: Notification) -> str:
    # Stable for the row (never changes between attempts), unique per cause and recipient.
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"{row.event_uuid}/{row.cause}/{row.kind}/{row.medium}/{row.recipient}")
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("<> ") or "oms.local"
    return f"<{key.hex}@{domain}>"


# Set while a send task waits in the queue: the messages recorded meanwhile go with its batch
# instead of each asking for a task. Cleared by the task when it starts; short-lived, so a task
# that never ran (a broker outage) delays the next message by at most this long (and the sweep
# catches what is left).
PENDING_KEY = "portal:notifications:send-pending"
PENDING_SECONDS = 10


def _enqueue(notification_id: int | None = None) -> None:
    """Ask a worker to send what is due, ``notification_id`` first: a task is sent only when none is
    waiting already (the cache must be shared by the web and worker processes, as ``CACHE_URL`` is
    in production)."""
    from ..tasks import notification_send

    if cache.add(PENDING_KEY, notification_id or 0, timeout=PENDING_SECONDS):
        notification_send.apply_async((notification_id,))


# The time (epoch seconds) a task is due to wake for the retries waiting. One task wakes at the
# soonest retry and sends every message due by then, so a burst of failures (a mail server down at
# the peak) costs one task, not one held by the broker for each message.
RETRY_WAKE_KEY = "portal:notifications:retry-wake"


def _retries_wake() -> None:
    """Ask for a task at the soonest retry still waiting, unless one is asked for by then. (Run
    eagerly, a task asked for runs at once; the mark keeps that from asking again and again.)"""
    from ..tasks import notification_send

    soonest = (
        Notification.objects.filter(status=NotificationStatus.QUEUED, next_attempt_at__isnull=False)
        .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    )
    if soonest is not None:
        wake_ask(RETRY_WAKE_KEY, soonest, notification_send)


# Provider reports, by the status they move the log to; anymail's event types map onto these.
PROVIDER_STATUSES = {
    "queued": NotificationStatus.SENT, "sent": NotificationStatus.SENT, "delivered": NotificationStatus.DELIVERED,
    "bounced": NotificationStatus.BOUNCED, "rejected": NotificationStatus.FAILED, "failed": NotificationStatus.FAILED,
    "undelivered": NotificationStatus.FAILED,
}
# A later report never moves a message back (a "sent" arriving after "delivered").
_RANK = {NotificationStatus.QUEUED: 0, NotificationStatus.SENDING: 1, NotificationStatus.SENT: 2, NotificationStatus.DELIVERED: 3,
         NotificationStatus.BOUNCED: 4, NotificationStatus.FAILED: 4}


def notification_status_update(*, provider_message_id: str, status: str, detail: str = "") -> bool:
    """Apply a provider's report (anymail's tracking webhook, the SMS provider's status
    callback) to the message it names. Returns whether a message was found and changed.

    ``status``: queued, sent, delivered, bounced, rejected, failed or undelivered; others are
    ignored. A hard bounce of an e-mail flags the customer's address (no more e-mail until
    staff clear it). A report never moves a message back to an earlier status.
    """
    target = PROVIDER_STATUSES.get(status)
    if target is None or not provider_message_id:
        return False
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(provider_message_id=provider_message_id).first()
        if notification is None:
            return False
        if _RANK[target] < _RANK.get(notification.status, 0) or notification.status == target:
            return False
        now = timezone.now()
        values = {"status": target, "status_changed_at": now}
        if detail:
            values["last_error"] = detail[:2000]
        Notification.objects.filter(pk=notification.pk).update(**values)
        if target == NotificationStatus.BOUNCED and notification.medium == Medium.EMAIL and notification.customer_id:
            Customer.objects.filter(pk=notification.customer_id, email=notification.recipient, email_bounced_at__isnull=True).update(
                email_bounced_at=now, email_bounce_reason=(detail or "hard bounce")[:500],
            )
    return True


def notifications_resend(*, notification_ids: Iterable[int], actor: Actor) -> int:
    """Queue failed messages again (a fresh run of attempts, the same Message-ID). Only failed
    ones: anything else is refused with why. Returns how many."""
    ids = sorted(set(notification_ids))
    with transaction.atomic():
        rows = list(Notification.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(rows) != len(ids):
            raise NotFound("Some of these notifications do not exist.")
        not_failed = [row for row in rows if row.status != NotificationStatus.FAILED]
        if not_failed:
            raise InvalidTransition(
                f"Only failed messages are sent again; {', '.join(f'#{row.pk} is {row.status}' for row in not_failed[:5])}."
            )
        who = actor_fields(actor)["actor_label"]
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.QUEUED, attempts=0, next_attempt_at=None, lease_until=None, status_changed_at=timezone.now(),
            last_error=f"sent again by {who}",
        )
        for notification_id in ids:
            transaction.on_commit(partial(_enqueue, notification_id), robust=True)
    return len(ids)

"""Sending one logged message: claim it, render it, hand it to the backend, record the outcome.

What is guaranteed, and what is not:

- A message is claimed before it is sent (``queued`` -> ``sending`` with a lease, one UPDATE
  that only one worker can win), so two workers, a replayed event or a duplicated task never
  send it twice while its worker is alive.
- A worker that dies after the provider accepted the message but before the log says ``sent``
  leaves it ``sending``; once the lease is over the sweep sends it again with the same
  ``Message-ID`` header. So in that one window the message goes at least once, not exactly once:
  the receiving servers and mail clients that deduplicate by Message-ID show it once, others
  may show it twice. No SMTP server or provider lets a sender ask "did you take this already?".
- Failures (a server down, a 4xx) are retried with backoff (``OMS_NOTIFICATION_ATTEMPTS`` tries,
  the wait doubling from ``OMS_NOTIFICATION_RETRY_SECONDS``, at most 30 minutes); then the row is
  ``failed`` with the last error. A permanent refusal (5xx, a template that does not render)
  fails it at once. Nothing is ever raised into the caller: the order's change stands.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone, translation

from orders.platforms.transport import RetryPolicy

from ..models import Medium, Notification, NotificationStatus
from .render import Rendered, frame_context, message_context, message_render, override_for, sms_render

logger = logging.getLogger(__name__)

LONGEST_WAIT_SECONDS = 1800.0


@dataclass
class Outcome:
    status: str
    retry_in: float | None = None  # seconds: the caller enqueues the next attempt


class PermanentFailure(Exception):
    """Retrying cannot help (the recipient is refused, the template is broken)."""


def retry_policy() -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.OMS_NOTIFICATION_ATTEMPTS, first_delay=settings.OMS_NOTIFICATION_RETRY_SECONDS, longest_delay=LONGEST_WAIT_SECONDS,
    )


def notification_claim(notification_id: int) -> bool:
    """Take the message for this worker until its lease ends; False when another worker has
    it, it went already, or its retry is not due yet."""
    now = timezone.now()
    due = Q(status=NotificationStatus.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    stale = Q(status=NotificationStatus.SENDING, lease_until__lt=now)
    return bool(
        Notification.objects.filter(due | stale, pk=notification_id).update(
            status=NotificationStatus.SENDING, lease_until=now + timedelta(seconds=settings.OMS_NOTIFICATION_LEASE_SECONDS),
            attempts=F("attempts") + 1, status_changed_at=now,
        )
    )


def notification_deliver(*, notification_id: int) -> Outcome | None:
    """Send one logged message if it is due (see the module's guarantees). None: not ours to send."""
    if not notification_claim(notification_id):
        return None
    notification = Notification.objects.select_related("customer").get(pk=notification_id)
    try:
        if notification.medium == Medium.SMS:
            provider_id, subject, template, provider_status = _sms_send(notification)
        else:
            provider_id, subject, template = _email_send(notification)
            provider_status = NotificationStatus.SENT
    except Exception as error:
        return _failed(notification, error)
    now = timezone.now()
    status = provider_status if provider_status in NotificationStatus.values else NotificationStatus.SENT
    # Only the claim's holder records the outcome; a provider report that came first is kept.
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
        status=status, provider_message_id=provider_id[:255], subject=subject[:255], template=template, sent_at=now,
        status_changed_at=now, lease_until=None, last_error="",
    )
    return Outcome(status)


def _failed(notification: Notification, error: Exception) -> Outcome:
    permanent = isinstance(error, PermanentFailure) or _refused_for_good(error)
    text = f"{error.__class__.__name__}: {error}"[:2000]
    now = timezone.now()
    if permanent or notification.attempts >= settings.OMS_NOTIFICATION_ATTEMPTS:
        logger.warning("Notification %s failed for good after %s attempt(s): %s", notification.pk, notification.attempts, text)
        Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
            status=NotificationStatus.FAILED, last_error=text, lease_until=None, next_attempt_at=None, status_changed_at=now,
        )
        return Outcome(NotificationStatus.FAILED)
    wait = retry_policy().delay(notification.attempts)
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
        status=NotificationStatus.QUEUED, last_error=text, lease_until=None, next_attempt_at=now + timedelta(seconds=wait), status_changed_at=now,
    )
    return Outcome(NotificationStatus.QUEUED, retry_in=wait)


def _refused_for_good(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def message_build(notification: Notification) -> tuple[EmailMultiAlternatives, Rendered]:
    """The e-mail of one logged message, rendered in the customer's language, branded for its channel."""
    language = notification.language or "en"
    try:
        with translation.override(language):
            facts = message_context(notification)
        context = frame_context(facts, kind=notification.kind, customer_id=notification.customer_id, channel_id=notification.channel_id)
        override = override_for(channel_id=notification.channel_id, kind=notification.kind, language=language)
        rendered = message_render(kind=notification.kind, context=context, language=language, override=override)
    except Exception as error:
        raise PermanentFailure(f"the message does not render: {error}") from error
    shop = context["shop"]
    sender = shop.get("sender_email") or settings.DEFAULT_FROM_EMAIL
    if shop.get("sender_name") and shop.get("sender_email"):
        sender = f"{shop['sender_name']} <{sender}>"
    headers = {"Message-ID": notification.message_id}
    if context["preferences_link"]:
        headers["List-Unsubscribe"] = f"<{context['preferences_link']}>"
    message = EmailMultiAlternatives(
        subject=rendered.subject, body=rendered.text, from_email=sender, to=[notification.recipient],
        reply_to=[shop["reply_to"]] if shop.get("reply_to") else None, headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    for name, content, mimetype in _attachments(notification):
        message.attach(name, content, mimetype)
    return message, rendered


def _attachments(notification: Notification) -> list[tuple[str, bytes, str]]:
    """The return label and RMA slip of an approved return, as PDFs (the label when it has one)."""
    from ..models import NotificationKind

    if notification.kind != NotificationKind.RETURN_APPROVED or not notification.context.get("return_id"):
        return []
    from returns.documents import rma_slip_pdf
    from returns.models import ReturnRequest
    from shipping.services import shipment_label

    rma = ReturnRequest.objects.only("number", "shipment_id").get(pk=notification.context["return_id"])
    files = [(f"{rma.number}-slip.pdf", rma_slip_pdf(rma.pk), "application/pdf")]
    if rma.shipment_id:
        label = shipment_label(shipment_id=rma.shipment_id, actor="portal:notifications")
        files.append((f"{rma.number}-label.pdf", bytes(label.label_pdf), "application/pdf"))
    return files


# One open connection per worker process, reused from message to message (a new SMTP session
# per message costs a handshake each); dropped on any error, reopened by the next message.
_connection = None


def _email_send(notification: Notification) -> tuple[str, str, str]:
    global _connection
    message, rendered = message_build(notification)
    if _connection is None:
        _connection = get_connection()
        _connection.open()
    message.connection = _connection
    try:
        message.send()
    except Exception:  # the session may be unusable after any error: the next message opens a new one
        _connection_drop()
        raise
    status = getattr(message, "anymail_status", None)
    provider_id = (status.message_id if status is not None and status.message_id else "") or notification.message_id
    return provider_id, rendered.subject, rendered.template


def _connection_drop() -> None:
    global _connection
    if _connection is not None:
        try:
            _connection.close()
        except Exception:  # already broken: nothing to close cleanly
            pass
    _connection = None


def _sms_send(notification: Notification) -> tuple[str, str, str, str]:
    try:
        from portal.sms import sms_send
    except ImportError as missing:
        raise PermanentFailure("SMS not configured") from missing
    facts = message_context(notification)
    context = frame_context(facts, kind=notification.kind, customer_id=notification.customer_id, channel_id=notification.channel_id)
    body = sms_render(kind=notification.kind, context=context, language=notification.language or "en")
    provider_id, status = sms_send(to=notification.recipient, body=body, reference=notification.message_id)
    return provider_id, body[:255], "default", status


def notifications_sweep(*, limit: int = 500) -> int:
    """Enqueue the messages due and not in flight: retries whose wait is over, rows whose task was
    lost, and rows still ``sending`` after their lease (their worker died). Returns how many."""
    from .log import _enqueue

    now = timezone.now()
    lost = now - timedelta(seconds=60)
    due = (
        Q(status=NotificationStatus.QUEUED, next_attempt_at__lte=now)
        | Q(status=NotificationStatus.QUEUED, next_attempt_at__isnull=True, created_at__lt=lost)
        | Q(status=NotificationStatus.SENDING, lease_until__lt=now)
    )
    ids = list(Notification.objects.filter(due).order_by("id").values_list("id", flat=True)[:limit])
    for notification_id in ids:
        _enqueue(notification_id)
    return len(ids)

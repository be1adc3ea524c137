"""Sending one logged message: claim it, render it, hand it to the backend, record the outcome.

What is guaranteed, and what is not:

- A message is claimed before it is sent (``queued`` -> ``sending`` with a lease, one UPDATE
  that only one worker can win), so two workers, a replayed event or a duplicated task never
  send it twice while its worker is alive.
- A worker that dies after the provider accepted the message but before the log says ``sent``
  leaves it ``sending``; once the lease is over the sweep sends it again with the same
  ``Message-ID`` header (a worker sending a batch records outcomes every ``RECORD_EVERY``
  messages, so at most that many go again). So in that one window the message goes at least once, not exactly once:
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
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone, translation

from oms.errors import DomainError
from orders.models import Order
from orders.platforms.transport import RetryPolicy

from ..links import unsubscribe_url
from ..models import Medium, Notification, NotificationStatus
from .mime import envelope_address, message_bytes
from .render import MessageFacts, Rendered, frame_context, message_render, sms_render

logger = logging.getLogger(__name__)

LONGEST_WAIT_SECONDS = 1800.0


@dataclass
class Outcome:
    status: str
    retry_in: float | None = None  # seconds until the next attempt (one task wakes for the soonest; see log._retries_wake)


class PermanentFailure(Exception):
    """Retrying cannot help (the recipient is refused, the template is broken)."""


def retry_policy() -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.OMS_NOTIFICATION_ATTEMPTS, first_delay=settings.OMS_NOTIFICATION_RETRY_SECONDS, longest_delay=LONGEST_WAIT_SECONDS,
    )


_CLAIM_DUE_SQL = """
UPDATE portal_notification SET status = %(sending)s, lease_until = %(lease)s, attempts = attempts + 1, status_changed_at = %(now)s
WHERE id IN (
    SELECT id FROM portal_notification
    WHERE id <> %(id)s
      AND ((status = %(queued)s AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)) OR (status = %(sending)s AND lease_until < %(now)s))
    ORDER BY id
    LIMIT %(more)s
    FOR UPDATE SKIP LOCKED
)
RETURNING id
"""


def _due(now) -> Q:
    """Messages a worker may take now: queued and past any retry wait, or left ``sending`` by a
    worker whose lease ran out (it died)."""
    return (Q(status=NotificationStatus.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))) | Q(
        status=NotificationStatus.SENDING, lease_until__lt=now,
    )


def notifications_claim(*, notification_id: int | None = None, limit: int = 1) -> list[int]:
    """Take up to ``limit`` due messages for this worker until the lease ends: ``notification_id``
    first when it is due, then the oldest others (rows another worker is claiming are skipped,
    never waited for). Empty when nothing is due. Taking many at once is what lets a burst (a
    wave shipped at once) go out in batches, one task per batch rather than per message."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OMS_NOTIFICATION_LEASE_SECONDS)
    claim = {"status": NotificationStatus.SENDING, "lease_until": lease, "attempts": F("attempts") + 1, "status_changed_at": now}
    ids = []
    if notification_id is not None and Notification.objects.filter(_due(now), pk=notification_id).update(**claim):
        ids.append(notification_id)
    more = limit - len(ids)
    if more <= 0:
        return ids
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_DUE_SQL, {
                "id": notification_id or 0, "more": more, "now": now, "lease": lease,
                "queued": NotificationStatus.QUEUED, "sending": NotificationStatus.SENDING,
            })
            ids.extend(row[0] for row in cursor.fetchall())
    else:  # no SKIP LOCKED (SQLite, the demo): each candidate taken by its own conditional UPDATE
        for candidate in Notification.objects.filter(_due(now)).exclude(pk=notification_id or 0).order_by("id").values_list("id", flat=True)[:more]:
            if Notification.objects.filter(_due(now), pk=candidate).update(**claim):
                ids.append(candidate)
    return sorted(ids)


# The outcome of sent messages is recorded every this many messages (one UPDATE for them): a
# worker dying mid-batch resends at most these, with their Message-IDs.
RECORD_EVERY = 25


def notifications_deliver(*, notification_id: int | None = None) -> dict[int, Outcome]:
    """Send this logged message (when it is due) and the other due messages claimed with it, one
    batch (see the module's guarantees); the outcome of each, by id. Empty: nothing was due."""
    ids = notifications_claim(notification_id=notification_id, limit=settings.OMS_NOTIFICATION_BATCH)
    if not ids:
        return {}
    rows = list(Notification.objects.filter(pk__in=ids).order_by("id"))
    outcomes: dict[int, Outcome] = {}
    try:
        facts = MessageFacts(rows)
    except Exception as error:  # the database let us down: every row waits for its retry
        return {row.pk: _failed(row, error) for row in rows}
    done: list[Notification] = []
    for row in rows:
        try:
            if row.medium == Medium.SMS:
                provider_id, subject, template, status = _sms_send(row, facts)
            else:
                provider_id, subject, template = _email_send(row, facts)
                status = NotificationStatus.SENT
        except Exception as error:
            outcomes[row.pk] = _failed(row, error)
            continue
        now = timezone.now()
        row.status = status if status in NotificationStatus.values else NotificationStatus.SENT
        row.provider_message_id, row.subject, row.template = provider_id[:255], subject[:255], template
        row.sent_at = row.status_changed_at = now
        row.lease_until, row.last_error = None, ""
        done.append(row)
        outcomes[row.pk] = Outcome(row.status)
        if len(done) >= RECORD_EVERY:
            _record(done)
            done = []
    _record(done)
    return outcomes


_RECORD_SQL = (
    "UPDATE portal_notification SET status = %s, provider_message_id = %s, subject = %s, template = %s, sent_at = %s, "
    "status_changed_at = %s, lease_until = NULL, last_error = '' WHERE id = %s AND status = %s"
)


def _record(rows: list[Notification]) -> None:
    # Only rows still claimed: a provider report that came first is kept. One statement run for
    # every row (psycopg sends them in one pipeline), cheaper than an UPDATE ... CASE per column.
    if rows:
        moment = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            cursor.executemany(_RECORD_SQL, [
                (row.status, row.provider_message_id, row.subject, row.template, moment(row.sent_at), moment(row.status_changed_at), row.pk,
                 NotificationStatus.SENDING)
                for row in rows
            ])


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


def message_build(notification: Notification, facts: MessageFacts | None = None) -> tuple[EmailMultiAlternatives, Rendered]:
    """The e-mail of one logged message, rendered in the customer's language, branded for its channel."""
    language = notification.language or "en"
    try:
        facts = facts or MessageFacts([notification])
        with translation.override(language):
            context = facts.context(notification)
        context = frame_context(
            context, kind=notification.kind, customer_id=notification.customer_id, channel_id=notification.channel_id,
            branding=facts.branding(notification.channel_id),
        )
        rendered = message_render(kind=notification.kind, context=context, language=language, override=facts.override(notification))
    except Exception as error:
        raise PermanentFailure(f"the message does not render: {error}") from error
    shop = context["shop"]
    sender = shop.get("sender_email") or settings.DEFAULT_FROM_EMAIL
    if shop.get("sender_name") and shop.get("sender_email"):
        sender = f"{shop['sender_name']} <{sender}>"
    headers = {"Message-ID": notification.message_id, **unsubscribe_headers(notification)}
    message = EmailMultiAlternatives(
        subject=rendered.subject, body=rendered.text, from_email=sender, to=[notification.recipient],
        reply_to=[shop["reply_to"]] if shop.get("reply_to") else None, headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    for name, content, mimetype in _attachments(notification):
        message.attach(name, content, mimetype)
    return message, rendered


def unsubscribe_headers(notification: Notification) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: the signed link that turns this kind of e-mail off for this
    customer with one POST. Only one https address goes in the header (the RFC's rule; the
    preferences link stays in the message's footer). None for a message that always goes."""
    from ..models import ALWAYS_SENT

    if not notification.customer_id or notification.kind in ALWAYS_SENT:
        return {}
    link = unsubscribe_url(notification.customer_id, notification.kind, Medium.EMAIL)
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _attachments(notification: Notification) -> list[tuple[str, bytes, str]]:
    """The return label and RMA slip of an approved return, as PDFs (the label when it has one)."""
    from ..models import NotificationKind

    if notification.kind != NotificationKind.RETURN_APPROVED or not notification.context.get("return_id"):
        return []
    from returns.documents import rma_slip_pdf
    from returns.models import ReturnRequest
    from shipping.services import shipment_label

    # A return cancelled or expired since (its label voided) makes the message untrue: it fails
    # at once with the reason rather than being retried.
    try:
        rma = ReturnRequest.objects.only("number", "shipment_id").get(pk=notification.context["return_id"])
        files = [(f"{rma.number}-slip.pdf", rma_slip_pdf(rma.pk), "application/pdf")]
        if rma.shipment_id:
            label = shipment_label(shipment_id=rma.shipment_id, actor="portal:notifications")
            files.append((f"{rma.number}-label.pdf", bytes(label.label_pdf), "application/pdf"))
    except (DomainError, ReturnRequest.DoesNotExist) as error:
        raise PermanentFailure(f"the return's documents cannot be made: {error}") from error
    return files


# One open connection per worker process, reused from message to message (a new SMTP session
# per message costs a handshake each); dropped on any error, reopened by the next message.
_connection = None


def _email_send(notification: Notification, facts: MessageFacts) -> tuple[str, str, str]:
    global _connection
    message, rendered = message_build(notification, facts)
    if _connection is None:
        _connection = get_connection()
        _connection.open()
    # To an SMTP server, the bytes are written here (see .mime): the same MIME, a fraction of the work.
    raw = message_bytes(message) if isinstance(_connection, SMTPBackend) else None
    message.connection = _connection
    try:
        if raw is not None:
            _connection.connection.sendmail(envelope_address(message.from_email), [message.to[0]], raw)
        else:
            message.send()
    except Exception:  # the session may be unusable after any error: the next message opens a new one
        _connection_drop()
        raise
    status = getattr(message, "anymail_status", None)
    provider_id = (status.message_id if status is not None and status.message_id else "") or notification.message_id
    return provider_id, rendered.subject, rendered.template


def email_connection_reset() -> None:
    """Forget this process's open e-mail session (the next message opens one with the backend
    configured then): for a process that changes the backend, such as the demo's seeding."""
    _connection_drop()


def _connection_drop() -> None:
    global _connection
    if _connection is not None:
        try:
            _connection.close()
        except Exception:  # already broken: nothing to close cleanly
            pass
    _connection = None


def _sms_send(notification: Notification, facts: MessageFacts) -> tuple[str, str, str, str]:
    try:
        from portal.sms import sms_send
    except ImportError as missing:
        raise PermanentFailure("SMS not configured") from missing
    language = notification.language or "en"
    with translation.override(language):
        context = facts.context(notification)
    context = frame_context(
        context, kind=notification.kind, customer_id=notification.customer_id, channel_id=notification.channel_id,
        branding=facts.branding(notification.channel_id),
    )
    body = sms_render(kind=notification.kind, context=context, language=language)
    # A number written without its country is read as one of the country the order ships to.
    region = Order.objects.filter(pk=notification.order_id).values_list("ship_country", flat=True).first() or ""
    sent = sms_send(to=notification.recipient, body=body, reference=notification.message_id, region=region)
    provider_id, status = sent
    if status == "failed":  # refused for good (a bad number, the provider said no): never retried
        raise PermanentFailure(getattr(sent, "reason", "") or "The SMS provider refused the message.")
    return provider_id, body[:255], "default", status


def notifications_sweep(*, limit: int = 500) -> int:
    """Have the messages due and not in flight sent: retries whose wait is over, rows whose task
    was lost, and rows still ``sending`` after their lease (their worker died). One task takes
    them all, batch by batch. Returns how many there are."""
    from .log import _enqueue

    now = timezone.now()
    lost = now - timedelta(seconds=60)
    due = (
        Q(status=NotificationStatus.QUEUED, next_attempt_at__lte=now)
        | Q(status=NotificationStatus.QUEUED, next_attempt_at__isnull=True, created_at__lt=lost)
        | Q(status=NotificationStatus.SENDING, lease_until__lt=now)
    )
    ids = list(Notification.objects.filter(due).order_by("id").values_list("id", flat=True)[:limit])
    if ids:
        _enqueue(ids[0])
    return len(ids)

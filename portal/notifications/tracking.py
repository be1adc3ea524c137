"""Delivery reports of e-mail providers (anymail's tracking webhooks) applied to the log.

The webhook URLs are under ``/anymail/`` (config/urls.py), e.g. ``/anymail/postmark/tracking/``,
protected by the basic-auth secret ``ANYMAIL_WEBHOOK_SECRET``; the provider is told that URL.
"""

from anymail.signals import tracking

from .log import notification_status_update

# Anymail's event types that change the log; opens, clicks and the like do not.
_STATUSES = {"queued": "queued", "sent": "sent", "delivered": "delivered", "bounced": "bounced", "rejected": "rejected", "failed": "failed"}


def on_tracking(sender, event, esp_name, **kwargs) -> None:
    status = _STATUSES.get(event.event_type)
    if status is None or not event.message_id:
        return
    detail = " ".join(part for part in (event.reject_reason or "", event.description or "", event.mta_response or "") if part)
    notification_status_update(provider_message_id=event.message_id, status=status, detail=f"{esp_name}: {detail}".strip(": "))


def tracking_receiver_connect() -> None:
    tracking.connect(on_tracking, dispatch_uid="portal.notifications.tracking")

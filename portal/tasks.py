"""Celery tasks of the portal: thin wrappers, safe to run twice (the log's claim decides)."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def notification_send(notification_id: int) -> str | None:
    """Render and send one logged message; a failure is recorded on the log and retried later."""
    from .notifications.delivery import notification_deliver
    from .notifications.log import _enqueue

    outcome = notification_deliver(notification_id=notification_id)
    if outcome is None:
        return None
    if outcome.retry_in is not None:
        _enqueue(notification_id, countdown=outcome.retry_in)
    return outcome.status


@shared_task(ignore_result=True)
def notifications_sweep() -> int:
    from .notifications.delivery import notifications_sweep as sweep

    return sweep()


@shared_task(ignore_result=True)
def backorder_delays_notify() -> int:
    from .notifications.events import backorder_delays_notify as notify

    return notify()

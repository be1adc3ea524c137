"""Celery tasks of the portal: thin wrappers, safe to run twice (the log's claim decides)."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def notification_send(notification_id: int) -> int:
    """Render and send one logged message (and the other e-mails due with it); a failure is
    recorded on the log and retried later. Returns how many messages it handled."""
    from .notifications.delivery import notifications_deliver
    from .notifications.log import _enqueue

    outcomes = notifications_deliver(notification_id=notification_id)
    for handled_id, outcome in outcomes.items():
        if outcome.retry_in is not None:
            _enqueue(handled_id, countdown=outcome.retry_in)
    return len(outcomes)


@shared_task(ignore_result=True)
def notifications_sweep() -> int:
    from .notifications.delivery import notifications_sweep as sweep

    return sweep()


@shared_task(ignore_result=True)
def backorder_delays_notify() -> int:
    from .notifications.events import backorder_delays_notify as notify

    return notify()

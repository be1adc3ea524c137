"""Celery tasks of the portal: thin wrappers, safe to run twice (the log's claim decides)."""

from celery import shared_task


# A task sends at most this many batches before it hands the rest to a new task (so one burst
# does not hold a worker past its time limits).
BATCHES_PER_TASK = 20


@shared_task(bind=True, acks_late=True, ignore_result=True)
def notification_send(self, notification_id: int | None = None) -> int:
    """Render and send the messages due, ``notification_id`` first, in batches until none is due;
    a failure is recorded on the log and retried later. Returns how many messages it handled."""
    from django.conf import settings
    from django.core.cache import cache

    from .notifications.delivery import notifications_deliver
    from .notifications.log import PENDING_KEY, _enqueue, _retries_wake

    cache.delete(PENDING_KEY)  # messages recorded from now on ask for a task of their own
    handled = 0
    for batch in range(BATCHES_PER_TASK):
        outcomes = notifications_deliver(notification_id=notification_id if batch == 0 else None)
        handled += len(outcomes)
        if len(outcomes) < settings.OMS_NOTIFICATION_BATCH:
            break
        if not self.request.is_eager:
            _enqueue()  # more are due: a free worker may take the next batches alongside
    else:
        _enqueue()
    _retries_wake()
    return handled


@shared_task(ignore_result=True)
def notifications_sweep() -> int:
    from .notifications.delivery import notifications_sweep as sweep

    return sweep()


@shared_task(ignore_result=True)
def backorder_delays_notify() -> int:
    from .notifications.events import backorder_delays_notify as notify

    return notify()

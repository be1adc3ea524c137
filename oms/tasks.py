from celery import shared_task


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def event_dispatch(event_id: int) -> None:
    from .events import event_dispatch_now

    event_dispatch_now(event_id)


@shared_task
def events_sweep() -> int:
    from .events import events_sweep as sweep

    return sweep()


@shared_task
def idempotency_records_purge() -> int:
    """Forget Idempotency-Key answers older than the replay window; returns how many."""
    from .api.idempotency import idempotency_records_purge as purge

    return purge()

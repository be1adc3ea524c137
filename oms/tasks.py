from celery import shared_task


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def event_dispatch(event_id: int) -> None:
    from .events import event_dispatch_now

    event_dispatch_now(event_id)


@shared_task(ignore_result=True)
def events_drain(chain: str | None = None, last_found: float | None = None) -> int:
    """Dispatch the events committed and never tried yet (``oms.events``, the drain)."""
    from .events import events_drain_now

    return events_drain_now(chain=chain, last_found=last_found)


@shared_task
def events_sweep() -> int:
    from .events import events_sweep as sweep

    return sweep()


@shared_task
def idempotency_records_purge() -> int:
    """Forget Idempotency-Key answers older than the replay window; returns how many."""
    from .api.idempotency import idempotency_records_purge as purge

    return purge()


@shared_task
def webhook_deliver(delivery_id: int) -> str | None:
    """One attempt at a webhook delivery; a no-op when it is not due or another worker holds it.
    Retries are scheduled by the delivery itself (not by Celery), so this never retries."""
    from .webhooks import webhook_deliver_now

    return webhook_deliver_now(delivery_id)


@shared_task
def webhooks_sweep() -> int:
    """Enqueue due webhook deliveries: retries, lost messages, leases of dead workers; then ask
    for a sweep at the next retry due soon."""
    from .webhooks import retries_wake
    from .webhooks import webhooks_sweep as sweep

    swept = sweep()
    retries_wake()
    return swept


@shared_task
def document_job_render(job_id: int) -> str:
    """Render a document job (progress in chunks, PDF stored in the database); a no-op when it is
    done, failed or held by a live worker, so a duplicate message changes nothing."""
    from .documents import document_job_run

    return document_job_run(job_id=job_id)

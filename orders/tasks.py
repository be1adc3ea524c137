"""Scheduled order jobs (thin wrappers over services; safe to run twice)."""

from celery import shared_task


@shared_task
def backorders_sweep() -> int:
    from .services.allocation import backorders_sweep as sweep

    return sweep()


@shared_task
def channel_fulfillment_send(sync_id: int) -> str:
    """Pass one shipment, delivery or cancellation on to its channel (a sent one is not sent again)."""
    from .services.channel_fulfillment import channel_fulfillment_send as send

    sync = send(sync_id=sync_id, actor="channel-sync")
    return sync.status if sync is not None else "skipped"


@shared_task
def channel_fulfillments_sweep() -> int:
    from .services.channel_fulfillment import channel_fulfillments_sweep as sweep

    return sweep()

"""Scheduled order jobs (thin wrappers over services; safe to run twice)."""

from celery import shared_task


@shared_task
def backorders_sweep() -> int:
    from .services.allocation import backorders_sweep as sweep

    return sweep()

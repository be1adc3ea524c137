"""Scheduled return jobs (thin wrappers; beat runs them, see ``setup_periodic_tasks``)."""

from celery import shared_task


@shared_task
def returns_expire() -> int:
    """Expire approved returns whose parcel never shipped by their expiry; returns how many.
    Each is re-checked under its lock, so running twice is harmless."""
    from .services import returns_expire as expire

    return expire(actor="job:returns_expire")


@shared_task
def refunds_pending_resend() -> int:
    """Send again refunds left pending (their outcome never recorded); returns how many. The
    provider sees the same idempotency key, and only the first outcome is recorded."""
    from .services import refunds_pending_resend as resend

    return resend(actor="job:refunds_pending_resend")


@shared_task
def orders_complete_after_returns() -> int:
    """Complete delivered orders whose return window closed with no return open; returns how
    many. Each order is re-checked under its lock, so running twice is harmless."""
    from .services import orders_complete_after_returns as complete

    return complete(actor="job:orders_complete_after_returns")

"""Scheduled stock jobs (thin wrappers; beat runs them, see ``setup_periodic_tasks``)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task
def stock_reconcile() -> int:
    """Compare every stock counter with its ledger; log each difference, return how many.

    Read-only, so safe to run at any time and twice. A difference means a counter was changed
    outside the inventory services and needs a person to look at it.
    """
    from .selectors import ledger_mismatches

    mismatches = ledger_mismatches()
    for mismatch in mismatches:
        logger.error(
            "stock ledger mismatch: product %s at location %s: %s",
            mismatch["product_id"], mismatch["location_id"], mismatch["counter_vs_ledger"],
        )
    return len(mismatches)


@shared_task
def abc_classify_nightly() -> int:
    """Class products A/B/C by value shipped; returns how many changed class. Safe to run twice."""
    from .abc import abc_classify

    return abc_classify(actor="job:abc_classify").changed


@shared_task
def cycle_counts_plan_daily() -> int:
    """Plan today's cycle counts at every active location; returns how many exist. Safe to run
    twice: a location's day is planned once."""
    from django.utils import timezone

    from .counts import cycle_counts_plan_day

    return len(cycle_counts_plan_day(day=timezone.localdate(), actor="job:cycle_counts_plan"))
@shared_task(bind=True, max_retries=6, default_retry_delay=60)
def purchase_order_email(self, purchase_order_id: int) -> bool:
    """E-mail a sent purchase order's PDF to its supplier (once; a second run finds it sent)."""
    from .purchasing import purchase_order_email_send

    try:
        return purchase_order_email_send(purchase_order_id=purchase_order_id)
    except OSError as exc:  # the mail server did not answer: try again later
        raise self.retry(exc=exc) from exc

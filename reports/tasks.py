"""Scheduled report jobs (thin wrappers; beat runs them, see ``setup_periodic_tasks``)."""

from celery import shared_task


@shared_task
def rollups_refresh() -> int:
    """Re-roll the days whose facts changed since the last run; returns how many days. Each day
    is replaced in one transaction, so running twice (or alongside a rebuild) is harmless."""
    from .rollups import rollups_refresh as refresh

    return refresh()

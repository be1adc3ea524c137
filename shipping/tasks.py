"""Scheduled shipping jobs (thin wrappers; beat runs them, see ``setup_periodic_tasks``)."""

from celery import shared_task


@shared_task
def shipments_flag_late() -> int:
    """Flag shipments past their promised date or without a scan for too long; returns how many
    flags were raised. Each reason is flagged once per shipment, so running twice is harmless."""
    from .services import shipments_flag_late as flag

    return flag(actor="job:shipments_flag_late")


@shared_task
def shipments_track_poll() -> dict[str, int]:
    """Ask carriers that do not post their events for news of open shipments; duplicates of what
    was posted or polled before change nothing, so running twice is harmless."""
    from .services import shipments_track_poll as poll

    return poll(actor="job:shipments_track_poll")

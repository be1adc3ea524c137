"""Scheduled report jobs (thin wrappers; beat runs them, see ``setup_periodic_tasks``)."""

from celery import shared_task


@shared_task
def rollups_refresh() -> int:
    """Re-roll the days whose facts changed since the last run; returns how many days. Each day
    is replaced in one transaction, so running twice (or alongside a rebuild) is harmless."""
    from .rollups import rollups_refresh as refresh

    return refresh()


@shared_task
def export_job_build(job_id: int) -> str:
    """Build an export job's file (progress per batch of rows, chunks stored in the database); a
    no-op when it is done, failed or held by a live worker, so a duplicate message changes nothing."""
    from .exports import export_job_run

    return export_job_run(job_id=job_id)


@shared_task
def export_jobs_sweep() -> int:
    """Queue again the exports nobody is building (a lost message, a worker that died)."""
    from .exports import export_jobs_sweep as sweep

    return sweep()


@shared_task
def report_subscriptions_send() -> int:
    """E-mail the dashboards whose daily or weekly period is due (each period once per subscription)."""
    from .subscriptions import report_subscriptions_send as send

    return send()


@shared_task
def forecasts_nightly() -> int:
    """Forecast every active SKU from the history up to yesterday; the day's run is made once (a
    second message finds it and returns its id)."""
    from .forecasting.services import forecast_run

    return forecast_run(actor="job:forecasts_nightly").pk


@shared_task
def replenishment_nightly() -> int:
    """Compute the replenishment suggestions after the nightly forecast; the day's job run is made
    once (a second message finds it and returns its id)."""
    from .replenishment.suggestions import replenishment_nightly as nightly

    return nightly().pk

"""Customer jobs (thin wrappers around ``customers.data_requests``)."""

from celery import shared_task


@shared_task
def customer_data_export_build(request_id: int) -> str:
    """Build a requested data export's ZIP; a no-op when it is no longer waiting (safe to run twice)."""
    from .data_requests import customer_data_export_run

    return customer_data_export_run(request_id=request_id)


@shared_task
def personal_data_retention() -> int:
    """Erase the personal data of customers inactive past ``OMS_PERSONAL_DATA_RETENTION_YEARS``."""
    from .data_requests import personal_data_retention_run

    return len(personal_data_retention_run()["erased"])

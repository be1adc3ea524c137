"""``manage.py forecast_run [--skus A,B] [--limit N] [--as-of YYYY-MM-DD]``: forecast demand now
(what the nightly job does for every active SKU) and print the run's figures."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from oms.errors import DomainError
from reports.forecasting.services import forecast_run


class Command(BaseCommand):
    help = "Forecast the demand of every active SKU (or of --skus / the first --limit) from the stock ledger and store it."

    def add_arguments(self, parser):
        parser.add_argument("--skus", help="Comma-separated SKUs to forecast (default: every active SKU).")
        parser.add_argument("--limit", type=int, help="Forecast only the first N SKUs (by id).")
        parser.add_argument("--as-of", dest="as_of", help="Last day of history, YYYY-MM-DD (default: yesterday).")
        parser.add_argument("--jobs", type=int, help="Worker processes for the fitting (default: the machine's cores).")

    def handle(self, *args, skus, limit, as_of, jobs, **options):
        try:
            day = datetime.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise CommandError(f"--as-of {as_of!r} is not a date; write it as YYYY-MM-DD.") from None
        if jobs is not None and jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        try:
            run = forecast_run(skus=skus.split(",") if skus is not None else None, limit=limit, as_of=day, n_jobs=jobs,
                               actor="command:forecast_run")
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Forecast run {run.pk} ({run.as_of}, {run.get_status_display().lower()}): {run.skus} SKU(s), {run.series_count} series stored, "
            f"{run.skipped_count} skipped (no demand or too little history), {run.failed_count} SKU(s) in failed batches, "
            f"{run.duration_seconds or 0:.1f} s."
        )
        if run.errors:
            self.stderr.write(run.errors)

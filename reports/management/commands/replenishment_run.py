"""``manage.py replenishment_run [--skus A,B] [--write-safety-stock | --no-write-safety-stock]``:
compute the replenishment suggestions now (what the nightly job does) and print the run's figures."""

from django.core.management.base import BaseCommand, CommandError

from oms.errors import DomainError
from reports.replenishment.suggestions import replenishment_run


class Command(BaseCommand):
    help = "Compute the replenishment suggestions (what to buy or move) for every active SKU x warehouse, or --skus."

    def add_arguments(self, parser):
        parser.add_argument("--skus", help="Comma-separated SKUs (default: every active SKU).")
        parser.add_argument("--write-safety-stock", dest="write", action="store_true", default=None,
                            help="Write the computed safety stock to the stock levels (default: OMS_REPLENISHMENT_WRITE_SAFETY_STOCK).")
        parser.add_argument("--no-write-safety-stock", dest="write", action="store_false", help="Do not write the safety stock.")

    def handle(self, *args, skus, write, **options):
        wanted = None
        if skus is not None:
            wanted = [s.strip() for s in skus.split(",") if s.strip()]
            if not wanted:
                raise CommandError("--skus names no SKU; give comma-separated SKUs, e.g. --skus A-1,B-2.")
        try:
            run = replenishment_run(actor="command:replenishment_run", skus=wanted, write_safety_stock=write)
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Replenishment run {run.pk}: {run.line_count} line(s) ({run.buy_count} to buy, {run.transfer_count} to transfer), "
            f"safety stock written to {run.safety_stock_written} stock level(s), {run.duration_seconds or 0:.1f} s."
        )

"""``manage.py reports_rebuild --from YYYY-MM-DD --to YYYY-MM-DD``: rebuild the daily rollups of a
range of local days (one transaction per day; safe to repeat)."""

import time

from django.core.management.base import BaseCommand, CommandError

from oms.errors import DomainError
from reports.rollups import parse_day, rollups_rebuild


class Command(BaseCommand):
    help = "Rebuild the report rollups for a range of days (the merchant's local days, both included). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="date_to", required=True, help="Last day, YYYY-MM-DD (included).")

    def handle(self, *args, date_from, date_to, **options):
        try:
            first = parse_day(date_from, name="--from")
            last = parse_day(date_to, name="--to")
            started = time.monotonic()
            days = rollups_rebuild(date_from=first, date_to=last)
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Rebuilt {days} day(s) from {first} to {last} in {time.monotonic() - started:.1f} s.")

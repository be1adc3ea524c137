"""``manage.py cycle_counts_plan [--date YYYY-MM-DD] [--location CODE]``: plan a day's cycle counts."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from inventory.counts import cycle_count_plan, cycle_counts_plan_day
from oms.errors import DomainError


class Command(BaseCommand):
    help = "Plan the cycle counts of a day (default today) at every active location, or at one."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to plan, YYYY-MM-DD (default: today).")
        parser.add_argument("--location", help="Plan only this location (its code).")

    def handle(self, *args, date=None, location=None, **options):
        try:
            day = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date {date!r} is not a date; write it as YYYY-MM-DD.") from None
        actor = "command:cycle_counts_plan"
        try:
            counts = [cycle_count_plan(location=location, day=day, actor=actor)] if location else cycle_counts_plan_day(day=day, actor=actor)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        counts = [count for count in counts if count is not None]
        for count in counts:
            self.stdout.write(f"{count.number} at {count.location.code}: {count.lines.count()} line(s)")
        self.stdout.write(f"{len(counts)} count(s) planned for {day.isoformat()}.")

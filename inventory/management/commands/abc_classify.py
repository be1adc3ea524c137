"""``manage.py abc_classify``: class every product A, B or C by value shipped (what the nightly job does)."""

from django.core.management.base import BaseCommand, CommandError

from inventory.abc import abc_classify
from oms.errors import DomainError


class Command(BaseCommand):
    help = "Class products A/B/C by value shipped over OMS_ABC_WINDOW_DAYS (thresholds: OMS_ABC_THRESHOLDS)."

    def handle(self, *args, **options):
        try:
            run = abc_classify(actor="command:abc_classify")
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Classified over {run.window_days} days: A {run.products_a}, B {run.products_b}, C {run.products_c}; "
            f"{run.changed} changed class."
        )

"""``manage.py personal_data_retention [--dry-run]``: the nightly retention job, by hand."""

from django.conf import settings
from django.core.management.base import BaseCommand

from customers.data_requests import personal_data_retention_run


class Command(BaseCommand):
    help = (
        "Anonymise the personal data of customers inactive for more than OMS_PERSONAL_DATA_RETENTION_YEARS years "
        "with nothing open. --dry-run lists them and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List the customers who would be erased; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        result = personal_data_retention_run(dry_run=dry_run, actor="command:personal_data_retention")
        years = settings.OMS_PERSONAL_DATA_RETENTION_YEARS
        ids = ", ".join(str(pk) for pk in result["candidates"]) or "none"
        self.stdout.write(f"Customers inactive for more than {years} years with nothing open: {len(result['candidates'])} ({ids}).")
        if result["waiting"]:
            self.stdout.write(f"Left for a later run (open orders or returns): {', '.join(str(pk) for pk in result['waiting'])}.")
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        else:
            self.stdout.write(f"Erased: {len(result['erased'])}.")

"""``manage.py stock_reconcile``: prove every stock counter equals the sum of its ledger rows."""

from django.core.management.base import BaseCommand, CommandError

from inventory.models import Location, Product
from inventory.selectors import COUNTERS, ledger_mismatches


class Command(BaseCommand):
    help = "Compare each stock level's counters with its ledger; list the differences and exit non-zero if there are any."

    def handle(self, *args, **options):
        mismatches = ledger_mismatches()
        if not mismatches:
            self.stdout.write(self.style.SUCCESS("Stock ledger reconciles: every counter equals the sum of its movements."))
            return
        skus = dict(Product.objects.filter(pk__in={m["product_id"] for m in mismatches}).values_list("pk", "sku"))
        codes = dict(Location.objects.filter(pk__in={m["location_id"] for m in mismatches}).values_list("pk", "code"))
        for mismatch in mismatches:
            where = f"{skus.get(mismatch['product_id'], mismatch['product_id'])} @ {codes.get(mismatch['location_id'], mismatch['location_id'])}"
            diff = mismatch["counter_vs_ledger"]
            if isinstance(diff, dict):
                detail = ", ".join(f"{name} {diff[name][0]} but ledger says {diff[name][1]}" for name in COUNTERS if name in diff)
            else:
                detail = diff
            self.stderr.write(f"{where}: {detail}")
        raise CommandError(f"{len(mismatches)} stock level(s) differ from the ledger.")

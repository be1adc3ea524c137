"""``manage.py demo``: seed a demo merchant through the real services and print how to log in."""

import json
import os

from django.core.management.base import BaseCommand, CommandError

from demo.report import SEED
from demo.seed import demo_seed


def _site() -> str:
    """Where ``scripts/demo`` serves the demo: its port comes as ``PORT`` (default 8000)."""
    return f"http://localhost:{os.environ.get('PORT') or 8000}"


class Command(BaseCommand):
    help = (
        "Seed demo data (channels, locations, SKUs, stock, customers, orders in every state, transfers, returns, "
        "channel sync history), "
        "create an admin and one login per role, and print them. Safe to run again: it adds nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=3000, help="Orders over the last 90 days (default 3000).")
        parser.add_argument("--customers", type=int, default=1000, help="Customers (default 1000).")
        parser.add_argument("--skus", type=int, default=300, help="SKUs in the catalogue (default 300).")
        parser.add_argument("--seed", type=int, default=SEED,
                            help=f"Draw another merchant's history (default {SEED}); on an empty database only.")
        parser.add_argument("--quiet", action="store_true", help="No progress bars or step messages; still prints the logins.")

    def handle(self, *args, orders, customers, skus, seed, quiet, **options):
        if customers < 20 or skus < 10:
            raise CommandError("Use at least --customers 20 and --skus 10.")
        say = (lambda message: None) if quiet else (lambda message: self.stdout.write(message))
        try:
            report = demo_seed(orders=orders, customers=customers, skus=skus, seed=seed, progress=not quiet, say=say)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self._print(report, quiet)

    def _print(self, report, quiet):
        write, ok = self.stdout.write, self.style.SUCCESS
        created = ", ".join(f"{n} {what}" for what, n in report.created.items() if n) or "nothing (already seeded)"
        write(ok(f"Demo data ready in {report.seconds:.1f}s. Created: {created}."))
        if not quiet:
            write("Orders by status: " + ", ".join(f"{status} {n}" for status, n in report.statuses.items()))
            write("Open holds by reason: " + ", ".join(f"{reason} {n}" for reason, n in report.holds.items()))
            write("Returns by status: " + ", ".join(f"{status} {n}" for status, n in report.returns.items()))
            write(f"Transfers in transit: {report.in_transit}")
            write(f"Replenishment suggestions: {report.replenishment_lines} line(s)")
            for late_payer in report.late_payers:
                write(f"Late payer: {late_payer}")
            if report.drifted:
                write(f"{report.drifted} order(s) ended elsewhere than planned (stock or a rule moved them first).")
        write("")
        write(self.style.MIGRATE_HEADING(f"Operator console: {_site()}/admin/"))
        for username, role, password in report.logins:
            shown = password if password else "(unchanged; reset with: python manage.py changepassword " + username + ")"
            write(f"  {username:<11} {role:<19} password: {shown}")
        write("")
        if report.api_key:
            body = {
                "channel": "web",
                "external_id": "curl-0001",
                "currency": "USD",
                "customer": {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "phone": "+12125550142"},
                "shipping_address": {"name": "Ada Lovelace", "line1": "350 5th Ave", "city": "New York", "region": "NY",
                                     "postal_code": "10118", "country": "US"},
                "lines": [{"sku": report.sample_sku, "quantity": 1, "unit_price": report.sample_price}],
                "payment_status": "paid",
            }
            write(self.style.MIGRATE_HEADING("API key (shown once):"))
            write(f"  {report.api_key}")
            write("Try it:")
            write(
                f"  curl -X POST {_site()}/api/v1/orders/ \\\n"
                f"    -H 'Authorization: Api-Key {report.api_key}' \\\n"
                "    -H 'Content-Type: application/json' \\\n"
                "    -H 'Idempotency-Key: curl-0001' \\\n"
                f"    -d '{json.dumps(body)}'"
            )
        else:
            write("API key: the demo key exists already (keys are shown only once). "
                  "Make another with: python manage.py create_api_key NAME")
        write(f"API docs: {_site()}/api/docs/")

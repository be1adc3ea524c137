"""The demo merchant, seeded through the real services of every app, in the order a merchant
would have lived it: reference data, catalogue and opening stock, customers, logins, orders
through the warehouse and the carriers, returns, and the channels' sync history.

Stock arrives through ``stock_receive``, orders through ``order_intake`` and move on through the
lifecycle and fulfillment services, returns through the returns services, so the ledger, the
audit trails and the holds are exactly what a live system would have produced. Each step is
idempotent: a second run adds nothing.
"""

import random
import secrets
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils import timezone

from inventory.models import StockLevel, Transfer
from oms.models import ApiKey, Integration
from oms.roles import roles_sync
from orders.models import Order, OrderHold
from portal.notifications.events import notifications_muted
from reports.forecasting.services import forecast_run
from reports.replenishment.suggestions import replenishment_run
from reports.rollups import rollups_refresh
from reports.subscriptions import report_subscribe
from returns.models import ReturnRequest
from shipping.demo import demo_shipping_seed

from . import catalogue, channels, counts, fulfillment, portal, returns
from .purchasing import purchasing_seed
from .receivables import late_payers_text, receivables_plan
from .replanning import replanning_seed
from .customers import customer_groups_seed, customers_plan, customers_seed, price_lists_seed
from .orders import channels_seed, late_receipt_seed, orders_plan, orders_seed
from .report import SEED, DemoReport

API_KEY_NAME = "demo"

DEMO_USERS = [
    # username, role group, first name, last name
    ("warehouse", "Warehouse", "Wanda", "Warehouse"),
    ("service", "Customer service", "Sam", "Service"),
    ("accounting", "Accounting", "Alex", "Accounts"),
    ("manager", "Operations manager", "Morgan", "Manager"),
]


def _users(report: DemoReport) -> dict[str, object]:
    """The admin and one login per role; an existing login keeps its password."""
    User = get_user_model()
    users = {}
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        password = secrets.token_urlsafe(12)
        admin = User.objects.create_superuser(username="admin", email="admin@example.com", password=password)
        report.logins.append(("admin", "superuser", password))
    else:
        report.logins.append(("admin", "superuser", None))
    users["admin"] = admin
    for username, role, first, last in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(
                username=username, password=password, email=f"{username}@example.com", first_name=first, last_name=last, is_staff=True
            )
        user.groups.add(Group.objects.get(name=role))
        report.logins.append((username, role, password))
        users[username] = user
    return users


def _api_key(report: DemoReport, admin) -> None:
    """The storefront integration's API key, shown once (the command prints the curl with it)."""
    if ApiKey.objects.filter(name=API_KEY_NAME).exists():
        return
    _, raw = ApiKey.generate(name=API_KEY_NAME, created_by=admin, integration=Integration.objects.get(code="storefront"))
    report.api_key = raw


def _summary(report: DemoReport) -> None:
    """What the data holds now, for the command's summary (and a SKU to try the API with)."""
    report.statuses = dict(Order.objects.values_list("status").annotate(n=Count("id")).order_by("status"))
    report.holds = dict(
        OrderHold.objects.filter(released_at__isnull=True).values_list("reason").annotate(n=Count("id")).order_by("reason")
    )
    report.returns = dict(ReturnRequest.objects.values_list("status").annotate(n=Count("id")).order_by("status"))
    report.in_transit = Transfer.objects.filter(status=Transfer.Status.IN_TRANSIT).count()
    sample = (
        StockLevel.objects.filter(location__code="nj-edison", on_hand__gt=20).select_related("product").order_by("-on_hand", "product__sku").first()
    )
    if sample:
        report.sample_sku, report.sample_price = sample.product.sku, f"{sample.product.price:.2f}"


def demo_seed(*, orders: int = 3000, customers: int = 1000, skus: int = 300, seed: int = SEED, progress: bool = True,
              say: Callable[[str], None] = lambda message: None) -> DemoReport:
    """Seed the demo merchant through every app's services; idempotent. Returns what was created
    and what the data now holds. Its fictitious customers are told nothing of the history it
    plays (no notification is recorded while it seeds); then a sample of its events is told to
    them through the real notification code, to fill the console's notification log. ``seed``
    draws another merchant's history (catalogue order, customers, orders): for an empty database,
    as the orders' external ids are the same whatever the seed."""
    started = time.monotonic()
    with notifications_muted():
        report = _demo_seed(orders=orders, customers=customers, skus=skus, seed=seed, progress=progress, say=say)
    say("Notifications: the latest events of each kind told to their customers, with provider reports")
    portal.notifications_seed(report)
    report.seconds = time.monotonic() - started
    return report


def _demo_seed(*, orders: int, customers: int, skus: int, seed: int, progress: bool, say: Callable[[str], None]) -> DemoReport:
    started = time.monotonic()
    report = DemoReport()
    rng = random.Random(seed)
    # Dates are relative to now ("the last 90 days"); no draw depends on the date, so a re-run
    # on another day plans the same orders and finds them recorded.
    now = timezone.now()
    products = catalogue.catalogue_plan(rng, skus)
    scarce = {p.sku for p in products[:: max(1, len(products) // max(3, skus // 60))][: max(3, skus // 60)]}
    customer_seeds = customers_plan(rng, customers)
    order_plans = orders_plan(rng, orders, customer_seeds, products, scarce, now)
    # Who pays late: drawn from the order plan, which it adjusts (no random draw of its own).
    receivables = receivables_plan(order_plans, now)
    report.late_payers = late_payers_text(receivables)
    receipts = catalogue.stock_plan(rng, products, order_plans, scarce)

    say("Reference data: channels, locations, bins, customer groups, carriers")
    roles_sync()
    channels_seed(report)
    catalogue.locations_seed(report)
    customer_groups_seed(report)
    # Carriers before orders: the demo's orders ship with them (booked, scanned, manifested).
    report.created["carriers"] += demo_shipping_seed()
    say(f"Catalogue: {len(products)} SKUs")
    catalogue.catalogue_seed(products, report)
    # The opening stock arrives before the first order (a delivery a month from 95 days back), so
    # the ledger's running position is true at every point of the history (the forecasts read
    # stockouts from it) and the stock has ages (the aged-stock report).
    catalogue.opening_stock_seed(receipts, report, progress, now)
    say(f"Customers: {len(customer_seeds)}")
    customers_seed(customer_seeds, report)
    price_lists_seed(products, customer_seeds, report, timezone.localdate(now))
    users = _users(report)
    orders_seed(order_plans, users, report, progress, receivables)
    late_receipt_seed(sorted(scarce), report)
    catalogue.transfers_seed(rng, report, users["manager"])
    say("Routing: the web shop re-plans its waiting orders; a delivery nearer the newest moves them")
    replanning_seed(report)
    say("Purchasing: suppliers, their products, purchase orders drafted, sent and received")
    purchasing_seed(report, users, scarce)
    _api_key(report, users["admin"])
    say("Carriers: scans up to now, late shipments, manifests")
    fulfillment.demo_tracking(report)
    fulfillment.demo_floor(report)
    fulfillment.demo_carrier_invoices(report)
    say("Returns: RMAs in every state, received and inspected at the warehouses")
    returns.returns_seed(report, users)
    say("Stock counts: ABC classes by value shipped, cycle counts (done, recounted, waiting for approval)")
    counts.cycle_counts_seed(report, users)
    say("Channels: the shops' stock sync, catch-up runs and fulfillments passed back")
    channels.channels_sync_seed(report)
    portal.branding_seed(report)
    say("Reports: the daily KPI rollups of the seeded history")
    rollups_refresh()
    # The manager gets the operations dashboard every morning and the finance one on Mondays.
    report_subscribe(user=users["manager"], dashboard="operations", frequency="daily", hour=7)
    report_subscribe(user=users["manager"], dashboard="finance", frequency="weekly", hour=7)
    say("Reports: demand forecasts of every SKU from the seeded ledger (once a day)")
    forecast_run(actor="demo")
    say("Reports: replenishment suggestions from the forecasts (what to buy or move)")
    report.replenishment_lines = replenishment_run(actor="demo").line_count
    _summary(report)
    report.seconds = time.monotonic() - started
    return report

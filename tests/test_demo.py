"""The demo: one command seeds a merchant whose data shows every part of the system."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from customers.models import Customer
from customers.store_credit import store_credit_mismatches
from demo.catalogue import catalogue_plan
from demo.customers import customers_plan
from demo.orders import orders_plan
from demo.report import SEED
from inventory.models import StockLevel, StockMovement, Transfer
from inventory.selectors import ledger_mismatches
from oms.models import ApiKey
from orders.models import (
    Channel,
    ChannelConnection,
    ChannelFulfillmentSync,
    ChannelListing,
    ChannelReconciliation,
    ChannelStockSyncRun,
    HoldReason,
    Order,
    OrderEvent,
    OrderHold,
    OrderStatus,
)
from portal.models import ChannelBranding, Notification, NotificationStatus
from returns.models import Disposition, Refund, RefundMethod, RefundStatus, ReturnEvent, ReturnLine, ReturnRequest, ReturnStatus
from shipping.models import DeliveryKind, Manifest, Shipment, ShipmentDirection, ShipmentStatus, TrackingEvent

SMALL = ["--orders", "120", "--customers", "50", "--skus", "40", "--quiet"]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(django_capture_on_commit_callbacks, *args):
    # Run the after-commit callbacks as a live database would: receipts serve backorders.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", *args)


@pytest.mark.django_db
def test_given_an_empty_database_when_the_demo_is_seeded_then_every_state_and_hold_reason_is_there(django_capture_on_commit_callbacks):
    seed(django_capture_on_commit_callbacks, *SMALL)

    statuses = set(Order.objects.values_list("status", flat=True))
    # `pending` lasts only inside a service call (intake and hold release move on at once).
    assert statuses == set(OrderStatus.values) - {OrderStatus.PENDING}
    open_holds = set(OrderHold.objects.filter(released_at__isnull=True).values_list("reason", flat=True))
    assert open_holds == set(HoldReason.values)
    assert set(Channel.objects.values_list("code", flat=True)) >= {"web", "pos", "marketplace", "phone", "b2b"}
    # The orders asked for, and the replacement orders of the demo's exchanges.
    assert Order.objects.exclude(external_id__startswith="exchange-").exclude(external_id__startswith="DEMO-REPLAN").count() == 120
    # The web shop re-plans: its newest orders moved next door when the launch's second delivery came.
    replanned = Order.objects.filter(external_id__startswith="DEMO-REPLAN", status=OrderStatus.ALLOCATED)
    assert replanned.count() == 3
    assert all(o.events.filter(message__startswith="Re-planned: saved").exists() for o in replanned)
    assert set(replanned.values_list("lines__allocations__location__code", flat=True)) == {"nj-edison"}
    assert Order.objects.filter(external_id__startswith="exchange-").count() == ReturnRequest.objects.exclude(exchange_order=None).count() >= 2
    # The channels customers buy from are branded (messages and portal pages).
    assert set(ChannelBranding.objects.values_list("channel__code", flat=True)) == {"web", "outlet", "b2b"}
    assert Customer.objects.count() == 50


@pytest.mark.django_db
def test_given_the_demo_when_stock_is_inspected_then_transfers_are_in_transit_and_the_ledger_reconciles(django_capture_on_commit_callbacks):
    seed(django_capture_on_commit_callbacks, *SMALL)

    assert Transfer.objects.filter(status=Transfer.Status.IN_TRANSIT).exists()
    assert StockLevel.objects.aggregate(incoming=Sum("incoming"))["incoming"] > 0
    assert ledger_mismatches() == []
    # Stock arrived through receipts, orders reserved and shipped it: the ledger is real.
    kinds = set(StockMovement.objects.values_list("kind", flat=True))
    assert {"receipt", "reservation", "shipment", "release", "transfer_out", "transfer_in"} <= kinds


@pytest.mark.django_db
def test_given_the_demo_when_orders_are_inspected_then_they_spread_over_90_days_with_an_audit_trail(django_capture_on_commit_callbacks):
    seed(django_capture_on_commit_callbacks, *SMALL)

    now = timezone.now()
    oldest = Order.objects.order_by("placed_at").first().placed_at
    newest = Order.objects.order_by("-placed_at").first().placed_at
    assert now - timedelta(days=91) < oldest < now - timedelta(days=45)
    assert newest > now - timedelta(days=3)
    completed = Order.objects.filter(status=OrderStatus.COMPLETED).first()
    path = list(completed.events.filter(kind=OrderEvent.Kind.STATUS).values_list("to_status", flat=True))
    assert path == ["allocated", "in_fulfillment", "shipped", "delivered", "completed"]


@pytest.mark.django_db
def test_given_a_seeded_demo_when_it_runs_again_then_nothing_is_added(django_capture_on_commit_callbacks, capsys):
    small = ["--orders", "60", "--customers", "30", "--skus", "20", "--quiet"]
    seed(django_capture_on_commit_callbacks, *small)
    first_output = capsys.readouterr().out
    counts = _counts()

    seed(django_capture_on_commit_callbacks, *small)

    assert _counts() == counts
    again = capsys.readouterr().out
    assert "nothing (already seeded)" in again
    assert "http://localhost:8000/admin/" in first_output and "admin" in first_output
    assert "Api-Key oms_" in first_output and "/api/v1/orders/" in first_output
    assert ApiKey.objects.filter(name="demo").count() == 1


@pytest.mark.django_db
def test_given_the_demo_then_the_notification_log_shows_several_kinds_sent_delivered_bounced_and_failed(django_capture_on_commit_callbacks):
    seed(django_capture_on_commit_callbacks, *SMALL)

    log = list(Notification.objects.values_list("kind", "medium", "status", "subject", "customer__email_bounced_at"))
    assert len({kind for kind, *_ in log}) >= 6
    statuses = {status for _, _, status, *_ in log}
    assert {NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.BOUNCED, NotificationStatus.FAILED} <= statuses
    # Rendered by the real templates (each row that went has its subject), and sent nowhere real.
    went = (NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.BOUNCED)
    assert all(subject for _, _, status, subject, _ in log if status in went)
    assert all(bounced_at is not None for _, _, status, _, bounced_at in log if status == NotificationStatus.BOUNCED)


def _counts():
    return (
        Order.objects.count(), OrderEvent.objects.count(), StockMovement.objects.count(), Customer.objects.count(),
        Transfer.objects.count(), list(Order.objects.order_by("id").values_list("status", flat=True)),
        Shipment.objects.count(), TrackingEvent.objects.count(), Manifest.objects.count(), Shipment.objects.filter(late=True).count(),
        list(ReturnRequest.objects.order_by("id").values_list("status", flat=True)), ReturnEvent.objects.count(),
        ChannelListing.objects.count(), ChannelStockSyncRun.objects.count(), ChannelReconciliation.objects.count(),
        ChannelFulfillmentSync.objects.count(), list(Notification.objects.order_by("id").values_list("kind", "status")),
    )


def _demo_plan(*, orders: int, customers: int, skus: int, now):
    rng = random.Random(SEED)
    products = catalogue_plan(rng, skus)
    people = customers_plan(rng, customers)
    return orders_plan(rng, orders, people, products, {products[0].sku, products[1].sku, products[2].sku}, now)


def test_the_demo_plan_is_the_same_every_time():
    def plan():
        now = timezone.now()
        orders = _demo_plan(orders=120, customers=50, skus=40, now=now)
        return [(o.external_id, o.customer.email, o.scenario, o.lines, now - o.placed_at) for o in orders]

    assert plan() == plan()


@pytest.mark.django_db
def test_given_another_seed_when_the_demo_is_seeded_then_it_holds_that_seeds_merchant(django_capture_on_commit_callbacks):
    seed(django_capture_on_commit_callbacks, *SMALL, "--seed", "7")

    def emails(seed_value):
        rng = random.Random(seed_value)
        catalogue_plan(rng, 40)  # drawn first, as the demo does
        return {c.email for c in customers_plan(rng, 50)}

    assert set(Customer.objects.values_list("email", flat=True)) == emails(7) != emails(SEED)


def test_given_the_default_demo_plan_then_the_orders_left_open_are_a_few_days_backlog_not_weeks_of_unshipped_demand():
    # The forecasts read demand from shipments: a backlog of weeks would read as a collapse of demand.
    now = timezone.now()
    orders = _demo_plan(orders=3000, customers=1000, skus=300, now=now)
    unshipped = {OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT, OrderStatus.BACKORDERED, *(f"hold:{r}" for r in HoldReason.values)}

    weeks = [o for o in orders if timedelta(days=3) <= now - o.placed_at < timedelta(days=28)]
    left_open = [o for o in weeks if o.scenario in unshipped]

    assert len(left_open) <= 0.05 * len(weeks)
    # ...and a small demo still shows every open state.
    assert unshipped | {OrderStatus.PARTIALLY_SHIPPED} <= {o.scenario for o in orders}


@pytest.mark.django_db
def test_given_the_demo_when_the_warehouse_is_inspected_then_shipped_orders_have_shipped_fulfillment_orders_and_a_wave_waits(
    django_capture_on_commit_callbacks,
):
    from fulfillment.models import FulfillmentOrder, FulfillmentStatus, PackageType, PickList

    seed(django_capture_on_commit_callbacks, *SMALL)

    shipped = Order.objects.filter(status__in=(OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED))
    assert shipped.exists()
    for order in shipped:
        assert FulfillmentOrder.objects.filter(order=order, status__in=(FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED)).exists(), order
        assert not FulfillmentOrder.objects.filter(order=order, status=FulfillmentStatus.PENDING).exists(), order
    wave = PickList.objects.get()
    assert wave.kind == "batch" and wave.lines.exists()
    assert FulfillmentOrder.objects.filter(status=FulfillmentStatus.PICKING).exists()
    assert PackageType.objects.count() == 3
    assert ledger_mismatches() == []


@pytest.mark.django_db
def test_given_the_demo_then_shipped_orders_went_with_a_carrier_and_their_parcels_are_tracked_late_and_manifested(
    django_capture_on_commit_callbacks,
):
    from fulfillment.models import FulfillmentOrder, FulfillmentStatus

    seed(django_capture_on_commit_callbacks, *SMALL)

    # Every parcel that left was booked with a carrier: a shipment with an S10 number, none left packed for want of a service.
    gone = FulfillmentOrder.objects.filter(status__in=(FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED))
    assert gone.exists() and not gone.filter(shipment__isnull=True).exists()
    assert not FulfillmentOrder.objects.filter(status=FulfillmentStatus.PACKED).exists()
    # ...to the door: no pickup-point service for the demo's home addresses.
    assert not Shipment.objects.filter(service__delivery_kind=DeliveryKind.PICKUP_POINT).exists()
    # Delivered orders' parcels were scanned to delivered, oldest first; the others are on their way.
    for shipment in Shipment.objects.filter(reference__in=gone.filter(status=FulfillmentStatus.DELIVERED).values("number")):
        assert shipment.status == ShipmentStatus.DELIVERED
        codes = list(shipment.tracking_events.order_by("occurred_at").values_list("code", flat=True))
        assert codes[0] == "accepted" and codes[-1] == "delivered"
        assert shipment.collection_date <= shipment.delivered_at.date()
    open_statuses = set(Shipment.objects.exclude(status=ShipmentStatus.DELIVERED).values_list("status", flat=True))
    assert open_statuses & {ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.EXCEPTION}
    # The exceptions-and-late queue has work in it, and recent days were handed over on manifests.
    assert Shipment.objects.filter(late=True).exists() or Shipment.objects.filter(status=ShipmentStatus.EXCEPTION).exists()
    recent = timezone.localdate() - timedelta(days=7)
    assert Manifest.objects.filter(date__gte=recent, date__lt=timezone.localdate()).exists()
    # (Return labels are on no manifest: the customer hands the parcel over.)
    outbound = Shipment.objects.filter(direction=ShipmentDirection.OUTBOUND)
    assert not outbound.filter(collection_date__gte=recent, collection_date__lt=timezone.localdate(), manifest__isnull=True).exists()
    # Shipping history is in the past: collected after the order came in, never in the future.
    for shipment in outbound[:50]:
        order_placed = FulfillmentOrder.objects.get(number=shipment.reference).order.placed_at
        assert order_placed.date() <= shipment.collection_date


@pytest.mark.django_db
def test_given_the_demo_then_returns_are_in_every_state_with_reasons_dispositions_and_partial_receipts(django_capture_on_commit_callbacks):
    seed(django_capture_on_commit_callbacks, *SMALL)

    statuses = set(ReturnRequest.objects.values_list("status", flat=True))
    assert statuses == set(ReturnStatus.values)
    assert all(ReturnRequest.objects.filter(status=status).count() >= 2 for status in statuses)
    # Money back through the adapters (to the card and as store credit), replacements as new orders.
    refunds = Refund.objects.filter(status=RefundStatus.SUCCEEDED)
    assert {refund.method for refund in refunds} == {RefundMethod.ORIGINAL_PAYMENT, RefundMethod.STORE_CREDIT}
    assert all(refund.request.status == ReturnStatus.REFUNDED for refund in refunds.select_related("request"))
    assert store_credit_mismatches() == []
    # A trade account's refund is credited on its invoices: credit notes adding up to it; consumers' refunds get none.
    from orders.models import CreditNote

    credited = refunds.filter(order__invoices__isnull=False).distinct()
    assert credited.exists()
    for refund in credited:
        assert sum(CreditNote.objects.filter(refund_id=refund.pk).values_list("total", flat=True)) == refund.amount
    assert not CreditNote.objects.exclude(refund_id__in=credited.values("pk")).exists()
    for exchanged in ReturnRequest.objects.filter(status=ReturnStatus.EXCHANGED).select_related("exchange_order"):
        assert exchanged.exchange_order.channel_id == exchanged.order.channel_id
    # Refused at inspection: nothing to refund, so a person decides (inspected, or closed).
    assert not Refund.objects.filter(request__status__in=[ReturnStatus.INSPECTED, ReturnStatus.CLOSED]).exists()
    # Every disposition posted its units to the ledger with the RMA as reference, and the ledger still reconciles.
    inspected = ReturnLine.objects.exclude(disposition="")
    assert set(inspected.values_list("disposition", flat=True)) == set(Disposition.values)
    for line in inspected.select_related("request"):
        assert StockMovement.objects.filter(reference=line.request.number).exists(), line.request.number
    assert ledger_mismatches() == []
    # Realistic reasons: fit for clothes, "other" always says more.
    reasons = set(ReturnLine.objects.values_list("reason__code", flat=True))
    assert {"too_small", "too_large", "damaged", "changed_mind", "other"} <= reasons
    assert not ReturnLine.objects.filter(reason__code="other", reason_text="").exists()
    # Some wait for a person (outside the policy); a receipt in part keeps its RMA open, another ended with a unit missing.
    assert ReturnRequest.objects.filter(status=ReturnStatus.REQUESTED).exclude(needs_attention="").exists()
    assert ReturnRequest.objects.filter(status=ReturnStatus.IN_TRANSIT, lines__quantity_received__gt=0).exists()
    assert ReturnLine.objects.filter(request__status=ReturnStatus.RECEIVED, quantity_missing__gt=0).exists()
    # Returns came in over the last weeks, and the expired ones waited past their expiry.
    ages = [timezone.now() - created for created in ReturnRequest.objects.values_list("created_at", flat=True)]
    assert max(ages) > timedelta(days=30) and min(ages) < timedelta(days=3)
    assert not ReturnRequest.objects.filter(status__in=[ReturnStatus.APPROVED, ReturnStatus.LABEL_ISSUED], expires_at__lt=timezone.now()).exists()


@pytest.mark.django_db
def test_given_the_demo_then_the_shops_show_stock_sync_drift_catch_ups_and_a_refused_fulfillment_without_calling_them(
    django_capture_on_commit_callbacks,
):
    seed(django_capture_on_commit_callbacks, *SMALL)

    connections = ChannelConnection.objects.select_related("channel")
    assert {c.channel.adapter for c in connections} == {Channel.Adapter.SHOPIFY, Channel.Adapter.WOOCOMMERCE}
    # Offline: nothing in the demo may call a shop.
    assert not connections.filter(stock_push_enabled=True).exists()
    assert not connections.filter(push_fulfillments=True).exists()
    assert not connections.filter(catch_up_missed_orders=True).exists()
    for connection in connections:
        listings = ChannelListing.objects.filter(channel=connection.channel)
        assert set(listings.values_list("status", flat=True)) == {"in_sync", "failing", "unknown_sku"}
        assert listings.filter(dirty=True, status="in_sync").exists()  # waiting for the next push
        run = ChannelStockSyncRun.objects.filter(channel=connection.channel).first()
        assert run.status == ChannelStockSyncRun.Status.DONE and run.drifted > 0 and run.drift_sample
        assert all(sample["platform"] != sample["oms"] for sample in run.drift_sample)
        assert ChannelReconciliation.objects.filter(channel=connection.channel).exists()
    synced = ChannelFulfillmentSync.objects.all()
    assert synced.filter(status="sent", action="ship").exists() and synced.filter(status="sent", action="deliver").exists()
    refused = synced.get(status="refused")
    assert "Shopify refused" in refused.last_error
    assert refused.order.events.filter(message__contains="not passed on").exists()
    # Nothing is left for the sweeps to send.
    assert not synced.filter(status__in=["pending", "retrying"]).exists()


@pytest.mark.parametrize("arguments", [["--port", "eighty"], ["--port=70000"], ["--port"]])
def test_the_demo_script_refuses_a_port_that_is_not_one_and_says_how_to_give_it(arguments):
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "demo"

    done = subprocess.run(["bash", str(script), *arguments], capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})

    assert done.returncode == 2
    assert "--port 8080" in done.stderr


@pytest.mark.django_db
def test_given_the_demo_then_b2b_shipments_are_invoiced_and_completing_an_order_does_not_wait_for_its_invoices(django_capture_on_commit_callbacks):
    from orders.models import Invoice, InvoiceStatus, PaymentStatus

    seed(django_capture_on_commit_callbacks, *SMALL)

    shipped = Order.objects.filter(
        channel__code="b2b", status__in=[OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED], customer__group__payment_terms_days__gt=0
    )
    assert shipped.exists()
    for order in shipped:
        invoices = Invoice.objects.filter(order=order)
        assert invoices.exists(), order.number
        assert sum(invoice.total for invoice in invoices) == order.grand_total
        # The order is paid when its invoices are, not before.
        assert (order.payment_status == PaymentStatus.PAID) == (not invoices.exclude(status=InvoiceStatus.PAID).exists()), order.number
    assert not Invoice.objects.filter(order__channel__code__in=["web", "marketplace", "pos"]).exists()
    # Orders are completed on delivery whether or not their invoices are paid yet.
    completed = Invoice.objects.filter(order__status=OrderStatus.COMPLETED)
    assert completed.filter(status=InvoiceStatus.PAID).exists() and completed.filter(status=InvoiceStatus.OPEN).exists()


@pytest.mark.django_db
def test_given_the_demo_then_most_accounts_pay_around_the_due_date_and_two_named_late_payers_fill_the_ageing(
    django_capture_on_commit_callbacks, capsys, settings,
):
    import re

    from orders.models import Invoice, InvoicePayment, InvoiceStatus
    from orders.services.receivables import receivables_ageing
    from orders.statements import customer_statement

    seed(django_capture_on_commit_callbacks, *[a for a in SMALL if a != "--quiet"])

    late_payers = set(re.findall(r"^Late payer: .*? <([^>]+)>", capsys.readouterr().out, re.MULTILINE))
    assert len(late_payers) == 2
    today = timezone.localdate()
    ageing = receivables_ageing(as_of=today)
    (usd,) = ageing.totals
    # Overdue in the first month (the slow payer) and beyond it (the stopped payer). Which of the
    # older buckets the stopped payer's debts fall in, and whether any invoice is still current,
    # depends on the days the small demo's few trade orders fall on, so the time of day it runs.
    assert usd.buckets["days_1_30"] > 0
    assert usd.buckets["days_31_60"] + usd.buckets["days_61_90"] > 0
    # Punctual accounts pay on or around the due date: none owes anything more than three days
    # overdue; what is older is owed by the two late payers.
    open_invoices = Invoice.objects.filter(status=InvoiceStatus.OPEN)
    assert set(open_invoices.filter(due_on__lt=today - timedelta(days=3)).values_list("customer__email", flat=True)) <= late_payers
    assert set(open_invoices.filter(due_on__lt=today).values_list("customer__email", flat=True)) >= late_payers
    overdue_rows = {row.customer_id for row in ageing.rows if row.buckets["days_31_60"] or row.buckets["days_61_90"] or row.buckets["over_90"]}
    assert {Customer.objects.get(pk=pk).email for pk in overdue_rows} < late_payers
    # Paid on time: the accounts' payments mostly arrived within a few days of the due date.
    payments = InvoicePayment.objects.exclude(invoice__customer__email__in=late_payers).select_related("invoice")
    assert payments.exists()
    assert all(-5 <= (p.received_on - p.invoice.due_on).days <= 3 or p.received_on == p.invoice.issued_on for p in payments)
    # The stopped payer paid part of one invoice; intake held exactly one of its next orders for the overdue invoices.
    (partly_paid,) = Invoice.objects.filter(status=InvoiceStatus.OPEN, amount_paid__gt=0, customer__email__in=late_payers)
    assert 0 < partly_paid.amount_paid < partly_paid.total
    (overdue_hold,) = OrderHold.objects.filter(reason=HoldReason.CREDIT_LIMIT, released_at__isnull=True, detail__contains="overdue")
    assert overdue_hold.order.customer_id == partly_paid.customer_id
    assert f"grace {settings.OMS_CREDIT_OVERDUE_GRACE_DAYS} days" in overdue_hold.detail
    # Statements and the ageing tell the same story: closing balance, current and overdue per account.
    for row in ageing.rows:
        (statement,) = customer_statement(customer_id=row.customer_id, start=today - timedelta(days=120), end=today).currencies
        assert statement.closing == row.total, row.customer
        assert statement.current == row.buckets["current"], row.customer
        assert statement.overdue == row.total - row.buckets["current"], row.customer

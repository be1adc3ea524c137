"""The demo: one command seeds a merchant whose data shows every part of the system."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from customers.models import Customer
from inventory.models import StockLevel, StockMovement, Transfer
from inventory.selectors import ledger_mismatches
from oms.models import ApiKey
from orders.demo import SEED, catalogue_plan, customers_plan, orders_plan
from orders.models import Channel, HoldReason, Order, OrderEvent, OrderHold, OrderStatus

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
    assert Order.objects.count() == 120
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


def _counts():
    return (
        Order.objects.count(), OrderEvent.objects.count(), StockMovement.objects.count(), Customer.objects.count(),
        Transfer.objects.count(), list(Order.objects.order_by("id").values_list("status", flat=True)),
    )


def test_the_demo_plan_is_the_same_every_time():
    def plan():
        rng = random.Random(SEED)
        products = catalogue_plan(rng, 40)
        customers = customers_plan(rng, 50)
        now = timezone.now()
        orders = orders_plan(rng, 120, customers, products, {products[0].sku, products[1].sku, products[2].sku}, now)
        return [(o.external_id, o.customer.email, o.scenario, o.lines, now - o.placed_at) for o in orders]

    assert plan() == plan()


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

"""The retention job: customers inactive past OMS_PERSONAL_DATA_RETENTION_YEARS with nothing open
are anonymised (recorded as retention requests); the management command's --dry-run changes nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import Customer, DataRequest
from customers.tasks import personal_data_retention
from orders.models import Order
from orders.services import order_cancel

from .factories import place_order

pytestmark = pytest.mark.django_db


def years_ago(years: float):
    return timezone.now() - timedelta(days=round(365.25 * years))


def customer_with_order(stocked, email: str, *, placed_years_ago: float, cancelled: bool = True) -> Customer:
    stocked(f"SKU-{email[:3].upper()}", 1)
    order = place_order([(f"SKU-{email[:3].upper()}", 1)], email=email, placed_at=years_ago(placed_years_ago))
    if cancelled:
        order_cancel(order_id=order.pk, reason="test", actor="test")
    Customer.objects.filter(pk=order.customer_id).update(created_at=years_ago(placed_years_ago), updated_at=years_ago(placed_years_ago))
    return Customer.objects.get(pk=order.customer_id)


@pytest.fixture
def customers(stocked):
    return {
        "gone": customer_with_order(stocked, "gone@example.org", placed_years_ago=7),
        "back": customer_with_order(stocked, "back@example.org", placed_years_ago=7),
        "open": customer_with_order(stocked, "open@example.org", placed_years_ago=7, cancelled=False),
        "recent": customer_with_order(stocked, "recent@example.org", placed_years_ago=2),
    }


def test_the_job_erases_only_the_inactive_customers_with_nothing_open(customers, stocked):
    stocked("SKU-NEW", 1)
    place_order([("SKU-NEW", 1)], email="back@example.org")  # came back last week

    assert personal_data_retention.delay().get() == 1

    emails = {name: Customer.objects.get(pk=customer.pk).email for name, customer in customers.items()}
    assert emails == {"gone": f"erased-{customers['gone'].pk}@invalid", "back": "back@example.org",
                      "open": "open@example.org", "recent": "recent@example.org"}
    request = DataRequest.objects.get()
    assert (request.customer_id, request.source, request.status) == (customers["gone"].pk, "retention", "done")
    assert Order.objects.get(customer=customers["gone"]).grand_total > 0
    assert personal_data_retention.delay().get() == 0  # erased customers are no longer candidates


def test_the_retention_period_is_a_setting(customers, settings):
    settings.OMS_PERSONAL_DATA_RETENTION_YEARS = 8

    assert personal_data_retention.delay().get() == 0

    settings.OMS_PERSONAL_DATA_RETENTION_YEARS = 1
    assert personal_data_retention.delay().get() == 3  # gone, back (no new order here) and recent; open still waits


def test_the_command_s_dry_run_lists_and_changes_nothing(customers, capsys):
    call_command("personal_data_retention", "--dry-run")

    out = capsys.readouterr().out
    assert f"2 ({customers['gone'].pk}, {customers['back'].pk})" in out and str(customers["open"].pk) in out and "Dry run" in out
    assert not DataRequest.objects.exists() and Customer.objects.filter(erased_at__isnull=False).count() == 0

    call_command("personal_data_retention")
    assert "Erased: 2." in capsys.readouterr().out

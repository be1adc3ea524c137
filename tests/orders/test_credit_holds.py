"""Credit-limit holds are accounting's to release."""

from decimal import Decimal

import pytest

from oms.errors import Forbidden
from orders.models import HoldReason, OrderHold, OrderStatus
from orders.services import order_hold_release, order_hold_place, order_holds_release

from ..factories import CustomerFactory, CustomerGroupFactory, place_order


@pytest.fixture
def over_limit(stocked):
    stocked("SKU-A", 10)
    group = CustomerGroupFactory(credit_limit=Decimal("50.00"), credit_currency="USD", payment_terms_days=30)
    buyer = CustomerFactory(email="buyer@acme.example", group=group)
    order = place_order([("SKU-A", 3)], email=buyer.email, payment_status="pending")  # 60.00 > 50.00
    assert order.holds.get().reason == HoldReason.CREDIT_LIMIT
    return order


def test_customer_service_may_not_release_a_credit_hold(over_limit, staff):
    hold = over_limit.holds.get()

    with pytest.raises(Forbidden) as refused:
        order_hold_release(hold_id=hold.pk, actor=staff("Customer service"))

    assert refused.value.status_code == 403
    assert OrderHold.objects.get(pk=hold.pk).is_active


def test_accounting_releases_a_credit_hold_and_the_order_is_allocated(over_limit, staff):
    accountant = staff("Accounting")

    order = order_holds_release(order_id=over_limit.pk, reason=HoldReason.CREDIT_LIMIT, actor=accountant, note="Paid the overdue invoice")

    assert order.status == OrderStatus.ALLOCATED
    assert over_limit.holds.get().released_by == accountant


def test_releasing_all_holds_with_a_credit_hold_among_them_is_refused_whole(over_limit, staff):
    order_hold_place(order_id=over_limit.pk, reason=HoldReason.MANUAL, detail="Check the address by phone", actor="test")

    with pytest.raises(Forbidden):
        order_holds_release(order_id=over_limit.pk, actor=staff("Customer service"))

    assert set(over_limit.holds.filter(released_at__isnull=True).values_list("reason", flat=True)) == {HoldReason.CREDIT_LIMIT, HoldReason.MANUAL}


def test_an_integration_releases_a_credit_hold_under_its_scopes(over_limit):
    order = order_holds_release(order_id=over_limit.pk, reason=HoldReason.CREDIT_LIMIT, actor="api:erp")

    assert order.status == OrderStatus.ALLOCATED


def test_the_order_page_shows_the_release_button_only_to_whom_may_use_it(over_limit, staff, client):
    from django.urls import reverse

    page = reverse("admin:orders_order_change", args=[over_limit.pk])
    client.force_login(staff("Customer service"))
    assert 'name="release_hold"' not in client.get(page).content.decode()
    client.force_login(staff("Accounting"))
    assert 'name="release_hold"' in client.get(page).content.decode()

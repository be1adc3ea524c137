"""Credit with invoices: exposure is open orders not yet invoiced plus unpaid invoice balances, and
a customer with an invoice overdue past the grace period has new orders held for accounting."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Customer
from orders.models import HoldReason, Invoice, OrderStatus
from orders.services import order_cancel, order_complete, order_deliver, order_ship, order_start_fulfillment
from orders.services.intake import _credit_position
from orders.services.invoicing import invoice_payment_record

from ..factories import CustomerFactory, CustomerGroupFactory, place_order
from .test_invoices import today  # noqa: F401  (the clock fixture)


@pytest.fixture
def account(stocked):
    """A trade account on Net 30 with 100.00 USD of credit; SKU-A at 20.00."""
    stocked("SKU-A", 100)
    group = CustomerGroupFactory(code="trade", credit_limit=Decimal("100.00"), credit_currency="USD", payment_terms_days=30)
    return CustomerFactory(email="ap@acme.example", kind=Customer.Kind.BUSINESS, company_name="Acme", group=group)


def buy(account, units, payment_status="pending"):
    return place_order([("SKU-A", units)], email=account.email, payment_status=payment_status)


def shipped(order, **quantities):
    order_start_fulfillment(order_id=order.pk, actor="test")
    return order_ship(order_id=order.pk, actor="test", **quantities)


def exposure(account):
    account = Customer.objects.select_related("group").get(pk=account.pk)
    return _credit_position(account, account.group, with_exposure=True).exposure


def test_an_invoice_replaces_the_part_of_its_order_it_charges(account):
    order = buy(account, 3)  # 60.00
    assert exposure(account) == Decimal("60.00")

    order_start_fulfillment(order_id=order.pk, actor="test")
    order_ship(order_id=order.pk, quantities={order.lines.get().pk: 1}, actor="test")
    assert exposure(account) == Decimal("60.00")  # 40.00 not invoiced + 20.00 invoiced, unpaid
    order_ship(order_id=order.pk, actor="test")
    assert exposure(account) == Decimal("60.00")

    order_deliver(order_id=order.pk, actor="test")
    order_complete(order_id=order.pk, actor="test")
    assert exposure(account) == Decimal("60.00")  # completed, its invoices still unpaid


def test_unpaid_invoices_count_against_the_limit_and_paying_them_frees_it(account):
    first = shipped(buy(account, 3))  # invoiced 60.00, unpaid
    second = buy(account, 2)  # 40.00: reaches exactly 100.00

    third = buy(account, 1)  # 20.00 more: 120.00

    assert second.status == OrderStatus.ALLOCATED
    assert third.status == OrderStatus.ON_HOLD
    assert third.holds.get().detail == (
        "Open orders not yet invoiced (60.00) and unpaid invoices (60.00) would reach 120.00 USD, limit 100.00."
    )
    order_cancel(order_id=third.pk, actor="test")
    invoice = Invoice.objects.get(order=first)
    invoice_payment_record(number=invoice.number, amount="60.00", received_on=timezone.localdate(), actor="accounts")
    assert buy(account, 3).status == OrderStatus.ALLOCATED  # 40.00 + 60.00


def test_an_invoice_in_another_currency_does_not_count_against_a_usd_limit(account):
    invoice = Invoice.objects.get(order=shipped(buy(account, 3)))
    Invoice.objects.filter(pk=invoice.pk).update(currency="EUR")

    assert exposure(account) == Decimal("0.00")


@pytest.mark.parametrize("days_late, held", [(8, True), (7, False), (0, False)])
def test_an_invoice_overdue_past_the_grace_period_holds_new_orders(account, today, settings, days_late, held):  # noqa: F811
    settings.OMS_CREDIT_OVERDUE_GRACE_DAYS = 7
    today(timezone.localdate() - timedelta(days=30 + days_late))
    invoice = Invoice.objects.get(order=shipped(buy(account, 1)))  # 20.00, due days_late days ago

    order = buy(account, 1)

    assert (order.status == OrderStatus.ON_HOLD) is held
    if held:
        hold = order.holds.get()
        assert hold.reason == HoldReason.CREDIT_LIMIT
        assert hold.detail == (
            f"Invoice {invoice.number} is 8 days overdue (20.00 USD unpaid, due {invoice.due_on.isoformat()}); grace 7 days."
        )


def test_the_overdue_hold_names_the_oldest_and_counts_the_others_even_without_a_credit_limit(stocked, today, settings):  # noqa: F811
    settings.OMS_CREDIT_OVERDUE_GRACE_DAYS = 3
    stocked("SKU-A", 100)
    group = CustomerGroupFactory(code="open-terms", payment_terms_days=15, payment_terms_basis="net")  # no credit limit
    buyer = CustomerFactory(email="ap@globex.example", group=group)
    now = timezone.localdate()
    invoices = []
    for order, days_ago in zip([buy(buyer, 2), buy(buyer, 2)], (60, 40)):
        today(now - timedelta(days=days_ago))
        invoices.append(Invoice.objects.get(order=shipped(order)))

    order = buy(buyer, 1)

    assert order.status == OrderStatus.ON_HOLD
    detail = order.holds.get().detail
    assert detail.startswith(f"Invoice {invoices[0].number} is 45 days overdue (40.00 USD unpaid")
    assert "; 1 more invoice overdue; grace 3 days." in detail


def test_a_partly_paid_overdue_invoice_says_what_is_left_and_a_paid_one_holds_nothing(account, today, settings):  # noqa: F811
    settings.OMS_CREDIT_OVERDUE_GRACE_DAYS = 0
    today(timezone.localdate() - timedelta(days=40))
    invoice = Invoice.objects.get(order=shipped(buy(account, 2)))  # 40.00, 10 days overdue
    invoice_payment_record(number=invoice.number, amount="15.00", received_on=date.today(), actor="accounts")

    held = buy(account, 1)
    invoice_payment_record(number=invoice.number, amount="25.00", received_on=date.today(), actor="accounts")
    free = buy(account, 1)

    assert "(25.00 USD unpaid" in held.holds.get().detail
    assert free.status == OrderStatus.ALLOCATED


def test_an_order_paid_up_front_is_not_held_for_an_overdue_invoice(account, today, settings):  # noqa: F811
    settings.OMS_CREDIT_OVERDUE_GRACE_DAYS = 0
    today(timezone.localdate() - timedelta(days=40))
    shipped(buy(account, 1))

    assert buy(account, 1, payment_status="paid").status == OrderStatus.ALLOCATED

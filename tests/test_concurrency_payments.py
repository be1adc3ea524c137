"""Payments under concurrency, on PostgreSQL: remittances spread oldest due first and payments of
single invoices arriving at once for one account never pay an invoice beyond its total, each
invoice's paid sum is its ledger's, what was refused left nothing behind, and nothing deadlocks."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from customers.models import Customer
from oms.errors import InvalidInput
from orders.models import Invoice, InvoicePayment, InvoiceStatus
from orders.services import customer_remittance_record, invoice_payment_record, order_intake, order_ship, order_start_fulfillment

from .factories import ChannelFactory, CustomerFactory, CustomerGroupFactory, LocationFactory, ProductFactory, intake_data
from .test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account_invoices(db):
    """Six invoices of one trade account on Net 30, 40.00 USD each (240.00 owed)."""
    from inventory.services import stock_receive

    ChannelFactory(code="b2b")
    LocationFactory(code="ny")
    ProductFactory(sku="SKU-A", price=Decimal("20.00"))
    stock_receive(sku="SKU-A", location="ny", quantity=100, actor="test")
    group = CustomerGroupFactory(code="trade", payment_terms_days=30)
    account = CustomerFactory(email="ap@trade.example", kind=Customer.Kind.BUSINESS, company_name="Trade", group=group)
    for _ in range(6):
        data = intake_data([("SKU-A", 2, "20.00")], channel="b2b", email=account.email, payment_status="pending", shipping_price=Decimal(0))
        order = order_intake(data=data, actor="test").order
        order_start_fulfillment(order_id=order.pk, actor="test")
        order_ship(order_id=order.pk, actor="test")
    return account, list(Invoice.objects.order_by("id"))


def test_concurrent_remittances_and_payments_never_pay_beyond_what_is_owed(account_invoices):
    account, invoices = account_invoices
    assert sum(invoice.total for invoice in invoices) == Decimal("240.00")
    today = timezone.localdate()

    def remit(n):
        return lambda: customer_remittance_record(customer_id=account.pk, amount="35.00", received_on=today, reference=f"R{n}", actor="test")

    def pay(n, invoice):
        return lambda: invoice_payment_record(number=invoice.number, amount="15.00", received_on=today, reference=f"P{n}", actor="test")

    # 8 × 35.00 + 8 × 15.00 = 400.00 offered for 240.00 owed: some must be refused.
    jobs = [[remit(n), pay(n, invoices[n % 6])] for n in range(8)]
    results = run_in_threads(jobs, expected=(InvalidInput,))

    recorded = [result for result in results if not isinstance(result, Exception)]
    refused = [result for result in results if isinstance(result, Exception)]
    assert refused and recorded
    offered_and_kept = sum(
        (sum(item.payment.amount for item in result) if isinstance(result, list) else result.payment.amount for result in recorded), Decimal(0)
    )
    for invoice in Invoice.objects.all():
        ledger = InvoicePayment.objects.filter(invoice=invoice).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        assert invoice.amount_paid == ledger <= invoice.total
        assert (invoice.status == InvoiceStatus.PAID) == (invoice.amount_paid == invoice.total)
    assert InvoicePayment.objects.aggregate(total=Sum("amount"))["total"] == offered_and_kept
    # A refused remittance left none of its payments behind.
    refused_references = {f"R{n}" for n in range(8)} - set(InvoicePayment.objects.values_list("reference", flat=True))
    assert len(refused_references) + sum(1 for result in recorded if isinstance(result, list)) == 8

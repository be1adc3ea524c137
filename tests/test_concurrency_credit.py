"""Credit limits under concurrency, on PostgreSQL: orders of one B2B account racing each other
(single orders and bulk batches) never together pass the account's limit."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from customers.models import Customer, PriceList, PriceListItem
from orders.models import HoldReason, Order, OrderStatus
from orders.services import order_intake, orders_intake_batch

from .factories import ChannelFactory, CustomerFactory, CustomerGroupFactory, LocationFactory, ProductFactory, intake_data
from .inventory.invariants import stock_invariant_violations
from .test_concurrency import deal, run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LIMIT = Decimal("1000.00")


@pytest.fixture
def account(db):
    """A trade account with 1,000.00 USD of credit, buying a SKU at 50.00 by contract, plenty in stock."""
    from inventory.services import stock_receive

    ChannelFactory(code="b2b")
    LocationFactory(code="ny")
    ProductFactory(sku="SKU-A", price=Decimal("60.00"))
    stock_receive(sku="SKU-A", location="ny", quantity=10_000, actor="test")
    group = CustomerGroupFactory(code="trade", credit_limit=LIMIT, credit_currency="USD", payment_terms_days=30)
    prices = PriceList.objects.create(code="trade-usd", name="Trade", currency="USD", customer_group=group)
    PriceListItem.objects.create(price_list=prices, sku="SKU-A", price=Decimal("50.00"))
    return CustomerFactory(email="ap@acme.example", kind=Customer.Kind.BUSINESS, company_name="Acme", group=group)


def order(account, n):
    return intake_data([("SKU-A", 3, None)], channel="b2b", email=account.email, payment_status="pending", external_id=f"PO-{n}")  # 150.00


def test_concurrent_orders_of_one_account_never_pass_its_credit_limit_together(account):
    singles = [lambda n=n: order_intake(data=order(account, n), actor="api:erp") for n in range(24)]
    batches = [lambda n=n: orders_intake_batch(orders=[order(account, 100 + n * 4 + i) for i in range(4)], actor="api:erp") for n in range(4)]

    run_in_threads(deal(singles + batches, threads=8))

    orders = Order.objects.filter(customer=account)
    assert orders.count() == 40
    on_credit = orders.exclude(status=OrderStatus.ON_HOLD)
    # Six orders of 150.00 fit in 1,000.00; every later one would pass it and is held instead.
    assert on_credit.count() == 6
    assert on_credit.aggregate(total=Sum("grand_total"))["total"] == Decimal("900.00")
    held = orders.filter(status=OrderStatus.ON_HOLD)
    assert all(o.holds.get().reason == HoldReason.CREDIT_LIMIT for o in held)
    assert stock_invariant_violations() == []

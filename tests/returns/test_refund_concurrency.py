"""Concurrent refunds on one order, and concurrent spends of one store credit, on PostgreSQL: the
order never gives back more than it took, the balance never goes below zero, the ledgers reconcile."""

from decimal import Decimal as D

import pytest

from customers.models import StoreCreditAccount
from customers.store_credit import InsufficientStoreCredit, store_credit_grant, store_credit_mismatches, store_credit_spend
from oms.errors import DomainError
from orders.models import Order, PaymentStatus
from returns.models import Refund, RefundStatus, ReturnStatus
from returns.services import return_refund

from ..test_concurrency import run_in_threads
from .conftest import line
from .test_refunds import returned

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def four_returns(shipped_order):
    order = shipped_order([("SKU-A", 4, "20.00")])
    # Received, not inspected: here commits are real, and inspection would refund at once (the default policy).
    return order, [returned(order, line(1, 1), status=ReturnStatus.RECEIVED) for _ in range(4)]


def test_given_overrides_adding_up_to_more_than_was_paid_when_sent_at_once_then_only_what_was_paid_goes_back(shipped_order):
    order, rmas = four_returns(shipped_order)
    jobs = [[lambda rma=rma: return_refund(return_id=rma.pk, amount="30.00", reason="goodwill", actor="cs")] for rma in rmas]

    outcomes = run_in_threads(jobs, expected=(DomainError,))

    paid = [outcome for outcome in outcomes if isinstance(outcome, Refund)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, DomainError)]
    assert len(paid) == 2 and len(refused) == 2
    assert all(error.fields == {"amount": ["At most 20.00."]} for error in refused)
    held = sum(Refund.objects.filter(order=order, status__in=(RefundStatus.PENDING, RefundStatus.SUCCEEDED)).values_list("amount", flat=True))
    assert held == D("60.00") <= Order.objects.get(pk=order.pk).grand_total


def test_given_every_unit_refunded_at_once_then_the_refunds_add_up_to_the_grand_total_exactly(shipped_order):
    order, rmas = four_returns(shipped_order)

    outcomes = run_in_threads([[lambda rma=rma: return_refund(return_id=rma.pk, actor="cs")] for rma in rmas])

    assert {outcome.status for outcome in outcomes} == {RefundStatus.SUCCEEDED}
    order = Order.objects.get(pk=order.pk)
    assert sum(outcome.amount for outcome in outcomes) == order.grand_total
    assert order.payment_status == PaymentStatus.REFUNDED


def test_given_a_balance_of_fifty_when_eight_spends_of_ten_race_then_five_win_and_the_ledger_reconciles(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    store_credit_grant(customer_id=order.customer_id, currency="USD", amount="50.00", actor="cs")
    spend = lambda: store_credit_spend(customer_id=order.customer_id, currency="USD", amount="10.00", reference="race", actor="shop")  # noqa: E731

    outcomes = run_in_threads([[spend] for _ in range(8)], expected=(InsufficientStoreCredit,))

    assert sum(1 for outcome in outcomes if isinstance(outcome, InsufficientStoreCredit)) == 3
    account = StoreCreditAccount.objects.get(customer_id=order.customer_id)
    assert account.balance == D("0") and account.entries.count() == 6
    assert store_credit_mismatches() == []


def test_given_one_idempotency_key_when_granted_twice_at_once_then_credited_once(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    grant = lambda: store_credit_grant(customer_id=order.customer_id, currency="USD", amount="7.00", idempotency_key="refund:abc", actor="x")  # noqa: E731

    outcomes = run_in_threads([[grant], [grant], [grant]])

    assert sorted(outcome.created for outcome in outcomes) == [False, False, True]
    assert StoreCreditAccount.objects.get(customer_id=order.customer_id).balance == D("7.00")
    assert store_credit_mismatches() == []

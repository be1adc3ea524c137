"""Store credit: a balance per customer and currency with its own ledger; never below zero."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from customers.models import StoreCreditAccount, StoreCreditEntry
from customers.store_credit import InsufficientStoreCredit, store_credit_grant, store_credit_mismatches, store_credit_spend
from oms.errors import InvalidInput, NotFound

from ..admin.conftest import console  # noqa: F401 (fixture)
from ..factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_given_grants_and_spends_then_each_entry_keeps_the_balance_it_left_and_the_ledger_reconciles():
    customer = CustomerFactory()

    store_credit_grant(customer_id=customer.pk, currency="USD", amount="30.00", reference="RMA-000001", actor="cs")
    store_credit_spend(customer_id=customer.pk, currency="USD", amount="12.345", reference="SO-0000001", actor="shop")
    store_credit_grant(customer_id=customer.pk, currency="JPY", amount="1500", actor="cs")

    usd = StoreCreditAccount.objects.get(customer=customer, currency="USD")
    assert usd.balance == D("17.65")  # 12.345 rounds half-up to 12.35
    assert list(usd.entries.order_by("id").values_list("kind", "amount", "balance_after")) == [
        ("credit", D("30.00"), D("30.00")), ("spend", D("-12.35"), D("17.65")),
    ]
    assert StoreCreditAccount.objects.get(customer=customer, currency="JPY").balance == D("1500")
    assert store_credit_mismatches() == []


def test_given_too_little_credit_when_spent_then_refused_with_the_balance_and_nothing_changes():
    customer = CustomerFactory()
    store_credit_grant(customer_id=customer.pk, currency="EUR", amount="5.00", actor="cs")

    with pytest.raises(InsufficientStoreCredit) as refused:
        store_credit_spend(customer_id=customer.pk, currency="EUR", amount="5.01", actor="shop")
    with pytest.raises(InsufficientStoreCredit):
        store_credit_spend(customer_id=customer.pk, currency="GBP", amount="1", actor="shop")

    assert refused.value.fields == {"store_credit": ["At most 5.00 EUR."]}
    assert StoreCreditAccount.objects.get(customer=customer).balance == D("5.00") and StoreCreditEntry.objects.count() == 1


@pytest.mark.parametrize("amount, currency", [("0", "USD"), ("-3", "USD"), ("0.001", "USD"), ("0.4", "JPY"), ("x", "USD"), ("1", "XXX"), ("1e20", "USD")])
def test_given_a_malformed_amount_or_currency_when_granted_then_refused_saying_what_to_fix(amount, currency):
    customer = CustomerFactory()

    with pytest.raises(InvalidInput) as refused:
        store_credit_grant(customer_id=customer.pk, currency=currency, amount=amount, actor="cs")

    assert set(refused.value.fields) & {"amount", "currency"}
    assert not StoreCreditEntry.objects.exists()


def test_given_an_unknown_customer_when_granted_then_not_found():
    with pytest.raises(NotFound):
        store_credit_grant(customer_id=987654, currency="USD", amount="1", actor="cs")


def test_given_the_same_idempotency_key_when_granted_again_then_the_first_entry_answers_and_nothing_is_added():
    customer = CustomerFactory()
    first = store_credit_grant(customer_id=customer.pk, currency="USD", amount="9.00", idempotency_key="refund:k1", actor="cs")

    again = store_credit_grant(customer_id=customer.pk, currency="USD", amount="9.00", idempotency_key="refund:k1", actor="cs")

    assert (first.created, again.created, again.entry.pk) == (True, False, first.entry.pk)
    assert StoreCreditAccount.objects.get(customer=customer).balance == D("9.00")


def test_the_database_refuses_a_negative_balance_whatever_the_code_does():
    customer = CustomerFactory()
    store_credit_grant(customer_id=customer.pk, currency="USD", amount="1", actor="cs")

    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditAccount.objects.filter(customer=customer).update(balance=D("-0.01"))


def test_accounting_sees_a_store_credit_account_with_its_ledger_and_cannot_change_it(console):  # noqa: F811
    from django.urls import reverse

    customer = CustomerFactory(email="ledger@example.com")
    store_credit_grant(customer_id=customer.pk, currency="USD", amount="8.00", reference="RMA-000042", actor="cs")
    account = StoreCreditAccount.objects.get(customer=customer)
    accounting = console("Accounting")

    listing = accounting.get(reverse("admin:customers_storecreditaccount_changelist"))
    page = accounting.get(reverse("admin:customers_storecreditaccount_change", args=[account.pk]))

    assert listing.status_code == 200 and "8.00 USD" in listing.content.decode()
    assert page.status_code == 200 and "RMA-000042" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert accounting.get(reverse("admin:customers_storecreditaccount_add")).status_code == 403

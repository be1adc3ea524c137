"""Reads of customers with what the API shows of them, in a fixed number of queries per page."""

from django.db.models import Prefetch, QuerySet

from oms.errors import NotFound

from .models import Customer, CustomerAddress


def customers_with_details() -> QuerySet[Customer]:
    """Customers with their group and addresses: two queries whatever the page size."""
    return Customer.objects.select_related("group").prefetch_related(
        Prefetch("addresses", queryset=CustomerAddress.objects.order_by("id"), to_attr="address_list")
    )


def customer_get(customer_id: int) -> Customer:
    customer = customers_with_details().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"No customer with id {customer_id}.", code="unknown_customer")
    return customer


def customer_store_credit(customer_id: int, *, entries: int = 50):
    """The customer's store credit accounts, each with its newest ``entries`` ledger lines
    (``entry_list``), in two queries; :class:`NotFound` for an unknown customer."""
    from oms.errors import NotFound

    from .models import Customer, StoreCreditAccount, StoreCreditEntry

    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(f"No customer with id {customer_id}.", code="unknown_customer")
    accounts = list(StoreCreditAccount.objects.filter(customer_id=customer_id).order_by("currency"))
    recent = StoreCreditEntry.objects.filter(account__in=accounts).order_by("-id")[: entries * max(len(accounts), 1)]
    by_account = {}
    for entry in recent:
        rows = by_account.setdefault(entry.account_id, [])
        if len(rows) < entries:
            rows.append(entry)
    for account in accounts:
        account.entry_list = by_account.get(account.pk, [])
    return accounts

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

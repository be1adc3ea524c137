"""Reads of orders, shaped for the API and the console with a fixed number of queries per page."""

from django.db.models import Prefetch, QuerySet

from oms.errors import NotFound

from .models import Allocation, Order, OrderEvent, OrderHold, OrderLine


def orders_with_details() -> QuerySet[Order]:
    """Orders with their channel, lines (each with ``allocation_list``), as ``line_list``, and
    open holds as ``active_holds``: four queries for a page of any size."""
    allocations = Prefetch("allocations", queryset=Allocation.objects.select_related("location").order_by("id"), to_attr="allocation_list")
    return Order.objects.select_related("channel").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("line_number").prefetch_related(allocations), to_attr="line_list"),
        Prefetch("holds", queryset=OrderHold.objects.filter(released_at__isnull=True).order_by("id"), to_attr="active_holds"),
    )


def order_id_for_number(number: str) -> int:
    """The id of the order with this number; :class:`NotFound` when there is none."""
    # A NUL byte cannot be in any stored number, and PostgreSQL refuses it in a query.
    order_id = Order.objects.filter(number=number).values_list("pk", flat=True).first() if "\x00" not in number else None
    if order_id is None:
        raise NotFound(f"No order with number {number!r}.")
    return order_id


def order_with_details(order_id: int) -> Order:
    return orders_with_details().get(pk=order_id)


def order_events(order_id: int) -> QuerySet[OrderEvent]:
    """An order's audit trail, oldest first (ids grow with time, so the id orders it)."""
    return OrderEvent.objects.filter(order_id=order_id).order_by("id")

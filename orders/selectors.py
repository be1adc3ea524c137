"""Reads of orders, shaped for the API and the console with a fixed number of queries per page."""

from collections import defaultdict
from datetime import date

from django.db.models import Prefetch, QuerySet

from inventory.selectors_purchasing import arrival_date_covering, incoming_arrivals
from oms.errors import NotFound

from .models import Allocation, CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoiceStatus, Order, OrderEvent, OrderHold, OrderLine, OrderStatus

# Orders whose missing units may still come from a purchase order: their lines say when.
WAITING_FOR_STOCK = (OrderStatus.PENDING, OrderStatus.ON_HOLD, OrderStatus.BACKORDERED, OrderStatus.ALLOCATED)


class _OrdersWithDetails(QuerySet):
    """Orders that bring their lines, reservations and open holds along when they are read.

    What ``prefetch_related`` would do, done by hand: Django's prefetching builds a related
    manager for every order and line it fills, which for a page of 500 orders cost more than the
    three queries themselves.
    """

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._result_cache and isinstance(self._result_cache[0], Order):
            order_details_attach(self._result_cache)


def orders_with_details() -> QuerySet[Order]:
    """Orders with their channel, lines (each with ``allocation_list``), as ``line_list``, and
    open holds as ``active_holds``: four queries for a page of any size."""
    return _OrdersWithDetails(model=Order).select_related("channel")


def order_details_attach(orders: list[Order]) -> None:
    """Fill ``line_list`` (each line with ``allocation_list``) and ``active_holds`` on these
    orders in three queries."""
    by_id = {order.pk: order for order in orders}
    lines_of, holds_of, allocations_of = defaultdict(list), defaultdict(list), defaultdict(list)
    lines = list(OrderLine.objects.filter(order_id__in=by_id).select_related("price_list").order_by("order_id", "line_number"))
    for allocation in Allocation.objects.filter(line_id__in=[line.pk for line in lines]).select_related("location").order_by("id"):
        allocations_of[allocation.line_id].append(allocation)
    for hold in OrderHold.objects.filter(order_id__in=by_id, released_at__isnull=True).order_by("id"):
        holds_of[hold.order_id].append(hold)
    for line in lines:
        line.order = by_id[line.order_id]  # the line's money is in its order's currency
        line.allocation_list = allocations_of[line.pk]
        lines_of[line.order_id].append(line)
    for order_id, order in by_id.items():
        order.line_list = lines_of[order_id]
        order.active_holds = holds_of[order_id]
    order_lines_expected_attach(lines)


def order_lines_expected_attach(lines: list[OrderLine], *, only_if_short: bool = False) -> None:
    """Set ``expected_date`` on each line (whose ``order`` is loaded): for a line short of stock
    in an order still waiting for it, the day open purchase orders to shipping locations cover the
    missing units (None when they do not, or nothing is missing).

    One query whenever a line's order is still waiting for stock (so a page costs the same however
    many of its lines are short); ``only_if_short`` (intake's answer) skips it when none is.
    """
    waiting, needed = set(), defaultdict(int)
    for line in lines:
        line.expected_date = None
        if line.product_id is None or line.order.status not in WAITING_FOR_STOCK:
            continue
        waiting.add(line.product_id)
        missing = line.quantity - line.quantity_reserved - line.quantity_shipped
        if missing > 0:
            needed[line.product_id] += missing
    if not waiting or (only_if_short and not needed):
        return
    arrivals = incoming_arrivals(waiting, shipping_only=True)
    for line in lines:
        if line.product_id in needed and line.quantity - line.quantity_reserved - line.quantity_shipped > 0:
            line.expected_date = arrival_date_covering(arrivals[line.product_id], needed[line.product_id])


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


# --- invoices ----------------------------------------------------------------------------------


def invoices_listing() -> QuerySet[Invoice]:
    """Invoices with their order and customer (lists show both: constant queries)."""
    return Invoice.objects.select_related("order", "customer")


def invoices_overdue(queryset: QuerySet[Invoice], today: date) -> QuerySet[Invoice]:
    """Open invoices past their due date on ``today``."""
    return queryset.filter(status=InvoiceStatus.OPEN, due_on__lt=today)


def credit_notes_listing() -> QuerySet[CreditNote]:
    """Credit notes with their invoice, order and customer (constant queries in lists)."""
    return CreditNote.objects.select_related("invoice", "order", "customer")


def credit_note_by_number(number: str) -> CreditNote:
    """One credit note with its lines, or NotFound naming the number."""
    note = credit_notes_listing().prefetch_related(Prefetch("lines", CreditNoteLine.objects.order_by("id"))).filter(number=number).first()
    if note is None:
        raise NotFound(f"No credit note {number}.")
    return note


def invoice_by_number(number: str) -> Invoice:
    """One invoice with its lines, or NotFound naming the number."""
    invoice = invoices_listing().prefetch_related(Prefetch("lines", InvoiceLine.objects.order_by("order_line__line_number", "id"))).filter(
        number=number
    ).first()
    if invoice is None:
        raise NotFound(f"No invoice {number}.")
    return invoice

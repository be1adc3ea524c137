"""Invoices of a business customer on terms, made the real way (an order shipped line by line)."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from orders.models import Invoice
from orders.services import order_ship

from .test_invoices import line, terms_order

_skus = itertools.count(1)


def invoices_for(stocked, customer, amounts, *, days_overdue=None, currency="USD") -> list[Invoice]:
    """One invoice per amount (one order, each line shipped on its own), in the order given.
    ``days_overdue[i]``: invoice i falls due that many days before today (negative: not due yet),
    issued 30 days before it falls due."""
    lines = [line(f"AR-{next(_skus)}", 1, amount) for amount in amounts]
    order = terms_order(stocked, customer, lines, shipping_price=Decimal("0"), currency=currency)
    ids = dict(order.lines.values_list("sku", "id"))
    invoices = []
    for item in lines:
        order_ship(order_id=order.pk, quantities={ids[item.sku]: 1}, actor="test")
        invoices.append(Invoice.objects.filter(order=order).order_by("-id").first())
    today = timezone.localdate()
    for invoice, days in zip(invoices, days_overdue or [], strict=False):
        due = today - timedelta(days=days)
        Invoice.objects.filter(pk=invoice.pk).update(due_on=due, issued_on=due - timedelta(days=30))
    return [Invoice.objects.get(pk=invoice.pk) for invoice in invoices]

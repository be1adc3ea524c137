"""Refunds of one invoice at once, on PostgreSQL: each issues its credit note, the numbers are
consecutive without gaps, and together they never credit more than was invoiced."""

from datetime import date
from decimal import Decimal as D

import pytest

from orders.models import CreditNote, CreditNoteNumberCounter, Invoice, InvoiceStatus
from orders.services import order_ship
from returns.services import ReceivedItem, ReturnLineData, return_receive, return_refund, return_request

from ..test_concurrency import run_in_threads
from .test_invoices import line, terms_order, today, trade  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_refunds_of_one_invoice_at_once_issue_four_consecutive_credit_notes_adding_up_to_it(stocked, trade, today):  # noqa: F811
    today(date(2026, 5, 4))
    order = terms_order(stocked, trade, [line("SKU-A", 4, "20.00", tax="3.00")])
    order_ship(order_id=order.pk, actor="test")
    invoice = Invoice.objects.get(order=order)
    # Received, not inspected: the default policy refunds after inspection, so nothing refunds before the race.
    rmas = []
    for _ in range(4):
        rma = return_request(order_id=order.pk, lines=[ReturnLineData(line_number=1, quantity=1, reason="too_small", reason_text="")],
                             resolution="refund", actor="portal")
        return_receive(return_id=rma.pk, location="chicago", items=[ReceivedItem("SKU-A", 1)], actor="dock")
        rmas.append(rma)

    outcomes = run_in_threads([[lambda rma=rma: return_refund(return_id=rma.pk, actor="cs")] for rma in rmas])

    notes = list(CreditNote.objects.order_by("number"))
    assert [note.number for note in notes] == [f"CN-2026-00000{n}" for n in range(1, 5)]
    assert sorted(note.refund_id for note in notes) == sorted(outcome.pk for outcome in outcomes)
    assert sum(note.total for note in notes) == sum(outcome.amount for outcome in outcomes) == invoice.total == D("83.00")
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.amount_credited == invoice.total and invoice.status == InvoiceStatus.PAID
    assert CreditNoteNumberCounter.objects.get(year=2026).last_number == 4

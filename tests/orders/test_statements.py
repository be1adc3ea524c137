"""A customer's statement of account: opening balance, invoices, credit notes and payments in date
order with a running balance, closing balance, current and overdue; as JSON, PDF and console page."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from oms.errors import InvalidInput, NotFound
from orders.models import Invoice
from orders.services import order_ship
from orders.services.invoicing import invoice_payment_record
from orders.statements import customer_statement, statement_pdf

from ..api.support import error_of
from .test_credit_notes import refunded
from .test_invoice_documents import SELLER, key_client, pdf_text
from .test_invoices import line, terms_order, today, trade  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(stocked, trade, today, settings):  # noqa: F811
    """Acme's year so far: invoice A (100.00, 10 Jan, due 9 Feb), paid 40.00 on 20 Jan; invoice B
    (50.00, 5 Feb, due 7 Mar); half of A credited on 10 Feb; 20.00 paid on B on 1 Mar."""
    settings.OMS_INVOICE_SELLER = SELLER
    first = terms_order(stocked, trade, [line("SKU-A", 2, "50.00")])
    second = terms_order(stocked, trade, [line("SKU-B", 1, "50.00")])
    today(date(2026, 1, 10))
    order_ship(order_id=first.pk, actor="test")
    a = Invoice.objects.get(order=first)
    invoice_payment_record(number=a.number, amount=D("40.00"), received_on=date(2026, 1, 20), reference="BACS 1", actor="accounting")
    today(date(2026, 2, 5))
    order_ship(order_id=second.pk, actor="test")
    b = Invoice.objects.get(order=second)
    today(date(2026, 2, 10))
    refund = refunded(first, (1, 1))
    invoice_payment_record(number=b.number, amount=D("20.00"), received_on=date(2026, 3, 1), actor="accounting")
    return {"customer": trade, "a": a, "b": b, "refund": refund}


def figures(statement):
    (part,) = statement.currencies
    return part


def test_a_month_opens_with_what_was_owed_before_and_runs_through_its_documents(account):
    part = figures(customer_statement(customer_id=account["customer"].pk, start=date(2026, 2, 1), end=date(2026, 2, 28)))

    assert part.currency == "USD" and part.opening == D("60.00")
    assert [(e.on, e.kind, e.reference, e.charge, e.credit, e.balance) for e in part.entries] == [
        (date(2026, 2, 5), "invoice", account["b"].number, D("50.00"), D("0.00"), D("110.00")),
        (date(2026, 2, 10), "credit_note", "CN-2026-000001", D("0.00"), D("50.00"), D("60.00")),
    ]
    # On 28 Feb invoice A (due 9 Feb) is overdue for what is left of it, B is not due yet
    assert (part.closing, part.overdue, part.current) == (D("60.00"), D("10.00"), D("50.00"))


def test_the_range_edges_include_their_days(account):
    customer = account["customer"].pk

    starting_on_b = figures(customer_statement(customer_id=customer, start=date(2026, 2, 5), end=date(2026, 2, 9)))
    after_b = figures(customer_statement(customer_id=customer, start=date(2026, 2, 6), end=date(2026, 2, 10)))

    assert starting_on_b.opening == D("60.00") and [e.kind for e in starting_on_b.entries] == ["invoice"]
    # A is due on 9 Feb: on that day it is not overdue yet
    assert (starting_on_b.closing, starting_on_b.current, starting_on_b.overdue) == (D("110.00"), D("110.00"), D("0.00"))
    assert after_b.opening == D("110.00") and [e.kind for e in after_b.entries] == ["credit_note"] and after_b.closing == D("60.00")


def test_the_closing_balance_is_what_the_invoices_still_owe(account):
    part = figures(customer_statement(customer_id=account["customer"].pk, start=date(2026, 3, 1), end=date(2026, 3, 31)))

    assert part.opening == D("60.00") and [(e.kind, e.credit, e.balance) for e in part.entries] == [("payment", D("20.00"), D("40.00"))]
    owed = sum(invoice.balance for invoice in Invoice.objects.filter(customer=account["customer"]))
    assert part.closing == owed == part.overdue == D("40.00") and part.current == 0


def test_a_credit_on_a_paid_invoice_is_shown_paid_back_by_its_refund(stocked, trade, today):  # noqa: F811
    order = terms_order(stocked, trade, [line("SKU-C", 2, "30.00")])
    today(date(2026, 4, 1))
    order_ship(order_id=order.pk, actor="test")
    invoice = Invoice.objects.get(order=order)
    invoice_payment_record(number=invoice.number, amount=D("60.00"), received_on=date(2026, 4, 2), actor="accounting")
    today(date(2026, 4, 3))
    refunded(order, (1, 1))

    part = figures(customer_statement(customer_id=trade.pk, start=date(2026, 4, 1), end=date(2026, 4, 30)))

    assert [(e.kind, e.charge, e.credit, e.balance) for e in part.entries] == [
        ("invoice", D("60.00"), D("0.00"), D("60.00")), ("payment", D("0.00"), D("60.00"), D("0.00")),
        ("credit_note", D("0.00"), D("30.00"), D("-30.00")), ("paid_back", D("30.00"), D("0.00"), D("0.00")),
    ]
    assert part.closing == 0


@pytest.mark.parametrize("start, end, field", [(date(2026, 3, 2), date(2026, 3, 1), "from"), ("soon", date(2026, 3, 1), "from"),
                                               (date(1990, 1, 1), date(2026, 1, 1), "from")])
def test_a_bad_period_is_refused_naming_the_date(account, start, end, field):
    with pytest.raises(InvalidInput) as refused:
        customer_statement(customer_id=account["customer"].pk, start=start, end=end)
    assert field in refused.value.fields


def test_an_unknown_customer_has_no_statement(db):
    with pytest.raises(NotFound):
        customer_statement(customer_id=2**70, start=date(2026, 1, 1), end=date(2026, 1, 31))


def test_the_statement_pdf_prints_the_ledger(account, tmp_path):
    statement = customer_statement(customer_id=account["customer"].pk, start=date(2026, 2, 1), end=date(2026, 2, 28))

    text = pdf_text(statement_pdf(statement), tmp_path)

    for printed in ("Statement of account", "Northwind Supplies", "Acme Ltd", "Opening balance", account["b"].number, "CN-2026-000001",
                    "110.00", "Overdue", "10.00", "2026-02-01 to 2026-02-28"):
        assert printed in text, printed


def test_the_api_gives_the_statement_as_json_and_pdf(account):
    api = key_client("invoices:read")
    url = f"/api/v1/customers/{account['customer'].pk}/statement"

    body = api.get(f"{url}?from=2026-02-01&to=2026-02-28").json()
    pdf = api.get(f"{url}/pdf?from=2026-02-01&to=2026-02-28")

    (part,) = body["currencies"]
    assert (part["opening"], part["closing"], part["current"], part["overdue"]) == ("60.00", "60.00", "50.00", "10.00")
    assert [(e["kind"], e["balance"]) for e in part["entries"]] == [("invoice", "110.00"), ("credit_note", "60.00")]
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("query, field", [("from=2026-03-02&to=2026-03-01", "from"), ("from=yesterday", "from"), ("to=2026-02-30", "to"),
                                          ("from=1900-01-01&to=2026-01-01", "from")])
def test_bad_dates_are_a_400_naming_them(account, query, field):
    api = key_client("invoices:read")

    for path in ("statement", "statement/pdf"):
        response = api.get(f"/api/v1/customers/{account['customer'].pk}/{path}?{query}")
        assert response.status_code == 400, response.content
        assert field in error_of(response)["fields"]


@pytest.mark.parametrize("customer_id", [999999, 2**63, 2**70])
def test_an_unknown_customer_is_a_404(db, customer_id):
    response = key_client("invoices:read").get(f"/api/v1/customers/{customer_id}/statement")

    assert response.status_code == 404


def test_the_customer_page_links_the_statement_page_which_shows_it_and_refuses_bad_dates(account, staff, client):
    client.force_login(staff("Accounting"))
    customer = account["customer"]
    url = reverse("admin:orders_customer_statement", args=[customer.pk])

    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    shown = client.get(url, {"start": "2026-02-01", "end": "2026-02-28"})
    pdf = client.get(url, {"start": "2026-02-01", "end": "2026-02-28", "format": "pdf"})
    backwards = client.get(url, {"start": "2026-03-02", "end": "2026-03-01"})
    garbage = client.get(url, {"start": "soon", "end": "2026-03-01"})

    assert "Statement of account" in page and url in page
    assert shown.status_code == 200 and "CN-2026-000001" in shown.content.decode() and "110.00" in shown.content.decode()
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert backwards.status_code == 400 and "Must be on or before 2026-03-01" in backwards.content.decode()
    assert garbage.status_code == 400 and "errornote" in garbage.content.decode()


def test_the_warehouse_sees_no_statement(account, staff, client):
    client.force_login(staff("Warehouse"))
    customer = account["customer"]

    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()

    assert "Statement of account" not in page
    assert client.get(reverse("admin:orders_customer_statement", args=[customer.pk])).status_code == 403


def test_a_statement_takes_four_queries_whatever_the_period(account, django_assert_num_queries):
    with django_assert_num_queries(4):
        customer_statement(customer_id=account["customer"].pk, start=date(2026, 1, 1), end=date(2026, 12, 31))

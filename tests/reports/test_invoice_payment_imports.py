"""Payments imported from the bank's file (CSV or XLSX): checked row by row (a dry run records
nothing), rows of one invoice adding up, and the whole file refused when any row is bad."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from oms.models import DomainEvent
from orders.models import Invoice, InvoicePayment, InvoiceStatus, OrderEvent
from orders.services import invoice_payment_record
from reports.imports.models import ImportRecord
from reports.imports.services import import_check, import_run

from ..orders.receivables_support import invoices_for
from ..orders.test_invoices import trade  # noqa: F401  (the trade fixture)
from .imports_support import csv_file, errors_of, xlsx_file

HEADER = "invoice,amount,received_on,reference"


@pytest.fixture
def owed(stocked, trade):  # noqa: F811
    """Two open invoices of Acme Ltd: 100.00 and 80.00 USD."""
    return invoices_for(stocked, trade, ["100.00", "80.00"])


def run(content, *, dry_run=False, file_name="bank.csv", mode="valid_rows"):
    return import_run(kind="invoice_payments", mode=mode, content=content, file_name=file_name, dry_run=dry_run, actor="accountant")


def recorded() -> dict:
    return {
        "payments": InvoicePayment.objects.count(), "paid": sorted(Invoice.objects.values_list("amount_paid", flat=True)),
        "events": DomainEvent.objects.filter(name="invoice.paid").count(),
        "audit": OrderEvent.objects.filter(kind=OrderEvent.Kind.PAYMENT).count(),
    }


def test_a_bank_file_is_previewed_then_recorded_and_rows_of_one_invoice_add_up(owed):
    first, second = owed
    content = csv_file(
        HEADER,
        f"{first.number},60.00,2026-06-01,BACS 1",
        f"{first.number},40,2026-06-02,BACS 2",
        f"{second.number},30.00,2026-06-02,BACS 2",
    )
    before = recorded()

    preview = run(content, dry_run=True)

    # The dry run records nothing and shows each invoice's balance falling row by row
    assert recorded() == before and not ImportRecord.objects.exists()
    assert [row.changes["balance"] for row in preview.rows] == [["100.00", "40.00"], ["40.00", "0.00"], ["80.00", "50.00"]]

    applied = run(content)

    # Each row went through the service: the ledger, the invoice, its event and the order's trail
    assert applied.status == ImportRecord.Status.APPLIED and [row.outcome for row in applied.rows] == ["created"] * 3
    assert Invoice.objects.get(pk=first.pk).status == InvoiceStatus.PAID and Invoice.objects.get(pk=second.pk).amount_paid == Decimal("30.00")
    assert recorded() == {"payments": 3, "paid": [Decimal("30.00"), Decimal("100.00")], "events": 1, "audit": 3}
    assert list(InvoicePayment.objects.filter(invoice=first).values_list("amount", "received_on", "reference", "recorded_by")) == [
        (Decimal("60.00"), datetime.date(2026, 6, 1), "BACS 1", "accountant"), (Decimal("40.00"), datetime.date(2026, 6, 2), "BACS 2", "accountant"),
    ]


def test_an_xlsx_with_date_cells_and_numbers_is_recorded(owed):
    first, _ = owed
    content = xlsx_file([["Invoice", "Amount", "Received on", "Reference", "Customer"],
                         [first.number, 25.5, datetime.date(2026, 6, 3), "SEPA 77", "ap@acme.example"]])

    report = run(content, file_name="bank.xlsx")

    assert report.status == ImportRecord.Status.APPLIED, report.errors()
    assert list(InvoicePayment.objects.values_list("amount", "received_on", "reference")) == [(Decimal("25.50"), datetime.date(2026, 6, 3), "SEPA 77")]


@pytest.mark.parametrize(
    "bad_row, column, says",
    [
        ("INV-1999-000001,10.00,2026-06-01,BACS 9", "invoice", "No invoice INV-1999-000001"),
        ("{second},75.01,2026-06-01,BACS 9", "amount", "has 75.00 USD left to pay; at most that"),
        ("{first},50.01,2026-06-01,BACS 9", "amount", "has 50.00 USD left to pay after row(s) 2 of this file"),
        ("{second},10.00,01/06/2026,BACS 9", "received_on", "write it as YYYY-MM-DD"),
        ("{second},10.005,2026-06-01,BACS 9", "amount", "has more decimals than USD has (2); round it"),
        ("{second},10.00,2026-06-01,", "reference", "Required"),
        ("{first},50.00,2026-06-01,BACS 1", "reference", "also on row 2"),
        ("{second},5.00,2026-06-01,OLD 1", "reference", "already recorded on"),
        ("{second},-5,2026-06-01,BACS 9", "amount", "negative"),
    ],
    ids=["unknown invoice", "over the balance", "rows adding up over the balance", "bad date", "a fraction USD lacks",
         "no reference", "the same payment twice in the file", "already recorded", "negative"],
)
def test_one_bad_row_and_nothing_of_the_file_is_recorded(owed, bad_row, column, says):
    first, second = owed
    invoice_payment_record(number=second.number, amount="5.00", received_on=datetime.date(2026, 5, 1), reference="OLD 1", actor="accountant")
    before = recorded()
    content = csv_file(HEADER, f"{first.number},50.00,2026-06-01,BACS 1", bad_row.format(first=first.number, second=second.number))

    # Even when asked to apply the valid rows: a bank file is all or nothing
    report = run(content, mode="valid_rows")

    assert report.status == ImportRecord.Status.REFUSED and report.mode == "all_or_nothing"
    assert recorded() == before
    assert errors_of(report) == [(3, column)]
    message = report.as_dict()["rows"][1]["errors"][0]["message"]
    assert says in message, message
    assert ImportRecord.objects.get().errors[0]["row"] == 3


def test_a_customer_or_currency_that_does_not_match_the_invoice_is_an_error(owed):
    first, second = owed

    report = run(csv_file(HEADER + ",customer,currency", f"{first.number},1.00,2026-06-01,A,someone@else.example,USD",
                          f"{second.number},1.00,2026-06-01,B,ap@acme.example,EUR"), dry_run=True)

    assert errors_of(report) == [(2, "customer"), (3, "currency")]


def test_checking_a_file_costs_the_same_queries_for_many_rows(owed, django_assert_max_num_queries):
    first, second = owed
    rows = [f"{(first if n % 2 else second).number},0.50,2026-06-01,R{n}" for n in range(60)]

    with django_assert_max_num_queries(3):
        report = import_check(kind="invoice_payments", mode="all_or_nothing", content=csv_file(HEADER, *rows), file_name="bank.csv")

    assert not report.invalid


# --- the console ------------------------------------------------------------------------------


@pytest.fixture
def console(client):
    def login(role: str):
        user = get_user_model().objects.create_user(username=role.lower().replace(" ", "_"), password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return client

    return login


def test_the_accountant_imports_payments_from_the_invoice_list_preview_then_confirm(owed, console):
    first, _ = owed
    accountant = console("Accounting")
    new_url = reverse("admin:reports_importrecord_new", args=["invoice_payments"])
    assert new_url in accountant.get(reverse("admin:orders_invoice_changelist")).content.decode()

    preview = accountant.post(new_url, {"file": SimpleUploadedFile("bank.csv", csv_file(HEADER, f"{first.number},100.00,2026-06-01,BACS 5")),
                                        "mode": "valid_rows"})

    assert preview.status_code == 200 and "Apply 1 new and 0 changed row(s)" in preview.content.decode()
    assert not InvoicePayment.objects.exists()
    applied = accountant.post(reverse("admin:reports_importrecord_apply", args=[ImportRecord.objects.get().pk]))
    assert applied.status_code == 200 and "1 created" in applied.content.decode()
    assert Invoice.objects.get(pk=first.pk).status == InvoiceStatus.PAID


def test_a_bad_file_shows_no_apply_button(owed, console):
    first, _ = owed
    accountant = console("Accounting")
    content = csv_file(HEADER, f"{first.number},60.00,2026-06-01,BACS 5", "INV-1999-000001,1.00,2026-06-01,BACS 6")

    page = accountant.post(reverse("admin:reports_importrecord_new", args=["invoice_payments"]),
                           {"file": SimpleUploadedFile("bank.csv", content), "mode": "valid_rows"}).content.decode()

    assert "nothing can be applied" in page and "Apply the import" not in page and "No invoice INV-1999-000001" in page


def test_customer_service_may_not_import_payments(db, console):
    assert console("Customer service").get(reverse("admin:reports_importrecord_new", args=["invoice_payments"])).status_code == 403


# --- the API ----------------------------------------------------------------------------------


def api_key(*scopes):
    from rest_framework.test import APIClient

    from oms.models import ApiKey

    _, raw = ApiKey.generate(name=f"bank-{'-'.join(scopes)}", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_an_api_key_imports_payments_only_with_invoices_write_too(owed):
    first, _ = owed
    content = csv_file(HEADER, f"{first.number},10.00,2026-06-01,BACS 5")

    def post(client):
        return client.post("/api/v1/reports/imports/", {"file": SimpleUploadedFile("bank.csv", content), "kind": "invoice_payments",
                                                        "dry_run": "false"}, format="multipart")

    refused = post(api_key("reports:write"))
    assert refused.status_code == 403 and "invoices:write" in refused.json()["error"]["message"]
    assert not InvoicePayment.objects.exists()
    applied = post(api_key("reports:write", "invoices:write"))
    assert applied.status_code == 200 and applied.json()["status"] == "applied" and applied.json()["mode"] == "all_or_nothing"
    assert InvoicePayment.objects.get().amount == Decimal("10.00")

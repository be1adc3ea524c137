"""Invoices as their readers see them: the PDF, the API (scope, roles, filters, 404s) and the console."""

import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from oms.models import ApiKey
from orders.documents_invoices import invoice_pdf
from orders.models import Invoice

from ..api.support import error_of
from .test_invoices import line, terms_order, trade  # noqa: F401  (the trade fixture)

SELLER = {
    "name": "Northwind Supplies", "line1": "1 Harbour Road", "city": "Leeds", "postal_code": "LS1 4AB", "country": "GB",
    "vat_number": "GB999888777", "payment_instructions": "Bank transfer to IBAN GB00 NWBK 6016 1331 9268 19",
}


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def invoiced(stocked, trade, settings):  # noqa: F811
    """Two invoices of Acme Ltd: one current, one 20 days overdue; and another customer's current one."""
    from customers.models import Customer
    from orders.services import order_ship

    from ..factories import CustomerFactory, CustomerGroupFactory

    settings.OMS_INVOICE_SELLER = SELLER
    first = terms_order(stocked, trade, [line("SKU-A", 2, "12.50", discount="1.00", tax="4.80")], shipping_price=Decimal("7.00"))
    second = terms_order(stocked, trade, [line("SKU-B", 1, "99.00")])
    other_group = CustomerGroupFactory(code="other", payment_terms_days=15)
    other = CustomerFactory(email="ap@globex.example", kind=Customer.Kind.BUSINESS, company_name="Globex", group=other_group)
    third = terms_order(stocked, other, [line("SKU-C", 1, "5.00")])
    for order in (first, second, third):
        order_ship(order_id=order.pk, actor="test")
    overdue = Invoice.objects.get(order=second)
    Invoice.objects.filter(pk=overdue.pk).update(due_on=timezone.localdate() - timedelta(days=20), issued_on=timezone.localdate() - timedelta(days=50))
    return {"current": Invoice.objects.get(order=first), "overdue": Invoice.objects.get(pk=overdue.pk), "other": Invoice.objects.get(order=third)}


def test_the_invoice_pdf_names_seller_buyer_lines_totals_and_terms(invoiced, tmp_path):
    invoice = invoiced["current"]

    text = pdf_text(invoice_pdf(invoice.pk), tmp_path)

    assert f"Invoice {invoice.number}" in text
    for printed in ("Northwind Supplies", "VAT GB999888777", "Acme Ltd", "VAT GB123456789", "SKU-A", "25.00", "35.80", "Net 30"):
        assert printed in text, printed
    assert f"Payment due by {invoice.due_on:%Y-%m-%d}" in text
    assert "IBAN GB00 NWBK" in text
    assert "Page 1 of 1" in text


def test_a_long_invoice_has_numbered_pages_naming_it(stocked, trade, tmp_path):  # noqa: F811
    from orders.services import order_ship

    order = terms_order(stocked, trade, [line(f"SKU-{n:03d}", 1, "1.00") for n in range(70)])
    order_ship(order_id=order.pk, actor="test")
    invoice = Invoice.objects.get(order=order)

    pages = pdf_text(invoice_pdf(invoice.pk), tmp_path).split("\f")

    pages = [page for page in pages if page.strip()]
    assert len(pages) >= 2
    assert f"Page 2 of {len(pages)}" in pages[1] and f"Invoice {invoice.number}" in pages[1]
    assert "SKU-069" in pages[-1] and "70.00" in pages[-1]


def key_client(*scopes) -> APIClient:
    _, raw_key = ApiKey.generate(name=f"k-{ApiKey.objects.count()}", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def test_the_api_lists_and_filters_invoices(invoiced):
    api = key_client("invoices:read")
    acme = invoiced["current"].customer_id

    everything = api.get("/api/v1/invoices/").json()["results"]
    of_acme = api.get(f"/api/v1/invoices/?customer={acme}").json()["results"]
    overdue = api.get("/api/v1/invoices/?overdue=true").json()["results"]
    not_overdue = api.get("/api/v1/invoices/?overdue=false&status=open").json()["results"]
    paid = api.get("/api/v1/invoices/?status=paid").json()["results"]

    assert len(everything) == 3
    assert {row["number"] for row in of_acme} == {invoiced["current"].number, invoiced["overdue"].number}
    assert [(row["number"], row["days_overdue"], row["balance"]) for row in overdue] == [(invoiced["overdue"].number, 20, "99.00")]
    assert {row["number"] for row in not_overdue} == {invoiced["current"].number, invoiced["other"].number}
    assert paid == []


@pytest.mark.parametrize(
    "query",
    ["customer=abc", "status=unpaid", "overdue=perhaps", "status=OPEN", "customer=99999999999999999999999", "customer=-1.6e%2B168", "customer=0"],
)
def test_bad_filter_values_are_a_400_naming_the_filter(invoiced, query):
    response = key_client("invoices:read").get(f"/api/v1/invoices/?{query}")

    assert response.status_code == 400, response.content
    assert query.split("=")[0] in error_of(response)["fields"]


def test_a_customer_id_of_no_customer_is_an_empty_list(invoiced):
    response = key_client("invoices:read").get("/api/v1/invoices/?customer=999999")

    assert response.status_code == 200 and response.json()["results"] == []


def test_one_invoice_with_its_lines_and_its_pdf(invoiced):
    api = key_client("invoices:read")
    invoice = invoiced["current"]

    detail = api.get(f"/api/v1/invoices/{invoice.number}/")
    pdf = api.get(f"/api/v1/invoices/{invoice.number}/pdf")

    assert detail.status_code == 200
    body = detail.json()
    assert (body["total"], body["shipping"], body["terms"], body["order"]) == ("35.80", "7.00", "Net 30", invoice.order.number)
    assert [(row["sku"], row["quantity"], row["discount"], row["tax"], row["line_total"]) for row in body["lines"]] == [
        ("SKU-A", 2, "1.00", "4.80", "28.80")
    ]
    assert body["billing_address"]["vat_number"] == "GB123456789"
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("path", ["/api/v1/invoices/INV-2026-999999/", "/api/v1/invoices/INV-2026-999999/pdf", "/api/v1/invoices/%00/"])
def test_an_unknown_invoice_is_a_404(db, path):
    response = key_client("invoices:read").get(path)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_key_without_the_invoices_scope_is_refused(invoiced):
    response = key_client("orders:read", "customers:read").get(f"/api/v1/invoices/{invoiced['current'].number}/")

    assert response.status_code == 403 and "invoices:read" in error_of(response)["message"]


@pytest.mark.parametrize("role, allowed", [("Accounting", True), ("Customer service", True), ("Warehouse", False)])
def test_accounting_and_customer_service_read_invoices_the_warehouse_does_not(invoiced, staff, client, role, allowed):
    user = staff(role)
    client.force_login(user)
    invoice = invoiced["overdue"]

    listing = client.get(reverse("admin:orders_invoice_changelist") + "?overdue=yes")
    page = client.get(reverse("admin:orders_invoice_change", args=[invoice.pk]))
    pdf = client.get(reverse("admin:orders_invoice_pdf", args=[invoice.pk]))
    api = APIClient()
    api.force_login(user)
    via_api = api.get("/api/v1/invoices/")

    if allowed:
        assert listing.status_code == 200
        text = listing.content.decode()
        assert invoice.number in text and invoiced["current"].number not in text and "20 days" in text
        assert page.status_code == 200 and "Download PDF" in page.content.decode() and "SKU-B" in page.content.decode()
        assert 'name="_save"' not in page.content.decode()
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert via_api.status_code == 200
    else:
        assert listing.status_code == 403 and page.status_code in (302, 403) and pdf.status_code == 403
        assert via_api.status_code == 403


def test_the_admin_pdf_of_an_unknown_invoice_is_a_404(staff, client):
    client.force_login(staff("Accounting"))

    assert client.get(reverse("admin:orders_invoice_pdf", args=["nope"])).status_code == 404
    assert client.get(reverse("admin:orders_invoice_pdf", args=[424242])).status_code == 404


def test_the_due_date_is_what_the_terms_say(invoiced):
    invoice = invoiced["current"]
    assert invoice.due_on == invoice.issued_on + timedelta(days=30)
    assert invoiced["other"].due_on == invoiced["other"].issued_on + timedelta(days=15)
    assert invoiced["overdue"].days_overdue(timezone.localdate()) == 20
    assert invoiced["overdue"].days_overdue(date(1990, 1, 1)) == 0


def test_the_order_page_lists_its_invoices_for_whom_reads_them(invoiced, staff, client):
    invoice = invoiced["overdue"]
    page = reverse("admin:orders_order_change", args=[invoice.order_id])

    client.force_login(staff("Accounting"))
    shown = client.get(page).content.decode()
    client.force_login(staff("Warehouse"))
    hidden = client.get(page).content.decode()

    assert 'class="order-invoices"' in shown and "20 days overdue" in shown
    assert reverse("admin:orders_invoice_pdf", args=[invoice.pk]) in shown
    assert 'class="order-invoices"' not in hidden and reverse("admin:orders_invoice_pdf", args=[invoice.pk]) not in hidden

"""Credit notes as their readers see them: the PDF, the API (scope, filters, 404s) and the console."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from rest_framework.test import APIClient

from orders.documents_invoices import credit_note_html, credit_note_pdf, invoice_pdf
from orders.services.invoicing import invoice_payment_record
from orders.models import CreditNote
from returns.models import ReturnReason

from ..api.support import error_of
from .test_credit_notes import invoice_of, refunded, shipped  # noqa: F401  (the shipped fixture)
from .test_invoice_documents import SELLER, key_client, pdf_text
from .test_invoices import today, trade  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def credited(shipped, settings, today):  # noqa: F811
    """A credit note of 2 × SKU-A with a restocking fee, on Acme's invoice, issued 2026-03-20."""
    settings.OMS_INVOICE_SELLER = SELLER
    ReturnReason.objects.filter(code="changed_mind").update(restocking_fee_percent=D("10"), restocking_fee_fixed=D("0"), shipping_paid_by="merchant")
    today(date(2026, 3, 20))
    refund = refunded(shipped, (1, 2), reason="changed_mind")
    return CreditNote.objects.get(refund_id=refund.pk)


def test_the_credit_note_pdf_names_the_invoice_lines_fee_and_total(credited, tmp_path):
    text = pdf_text(credit_note_pdf(credited.pk), tmp_path)

    assert f"Credit note {credited.number}" in text
    for printed in ("Northwind Supplies", "Acme Ltd", "VAT GB123456789", credited.invoice.number, "SKU-A", "25.00", "0.50", "53.50", "Restocking fee, SKU-A",
                    "-4.95", "48.55", "Left to pay", "Page 1 of 1"):
        assert printed in text, printed
    assert credited.total == D("48.55")


def test_the_invoice_pdf_shows_what_was_credited_and_the_balance(credited, tmp_path):
    text = pdf_text(invoice_pdf(credited.invoice_id), tmp_path)

    assert "Credited" in text and "48.55" in text and "Balance due USD" in text and "86.85" in text


def test_the_api_lists_filters_and_shows_credit_notes(credited):
    api = key_client("invoices:read")

    listed = api.get("/api/v1/credit-notes/").json()["results"]
    of_invoice = api.get(f"/api/v1/credit-notes/?invoice={credited.invoice.number}&customer={credited.customer_id}").json()["results"]
    of_other = api.get("/api/v1/credit-notes/?customer=999999").json()["results"]
    detail = api.get(f"/api/v1/credit-notes/{credited.number}/").json()
    pdf = api.get(f"/api/v1/credit-notes/{credited.number}/pdf")
    invoice = api.get(f"/api/v1/invoices/{credited.invoice.number}/").json()

    assert [row["number"] for row in listed] == [row["number"] for row in of_invoice] == [credited.number]
    assert of_other == []
    assert (detail["total"], detail["invoice"], detail["refund_id"]) == ("48.55", credited.invoice.number, credited.refund_id)
    assert [(row["kind"], row["quantity"], row["amount"]) for row in detail["lines"]] == [("units", 2, "53.50"), ("restocking_fee", 0, "-4.95")]
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (invoice["amount_credited"], invoice["balance"]) == ("48.55", "86.85")


@pytest.mark.parametrize("query", ["customer=abc", "customer=0", "customer=99999999999999999999999", "refund=-1", "issued_from=soon",
                                   "issued_to=2026-02-30"])
def test_bad_filters_are_a_400_naming_them(credited, query):
    response = key_client("invoices:read").get(f"/api/v1/credit-notes/?{query}")

    assert response.status_code == 400, response.content
    assert query.split("=")[0] in error_of(response)["fields"]


@pytest.mark.parametrize("path", ["/api/v1/credit-notes/CN-2026-999999/", "/api/v1/credit-notes/CN-2026-999999/pdf"])
def test_an_unknown_credit_note_is_a_404(db, path):
    assert key_client("invoices:read").get(path).status_code == 404


def test_a_key_without_the_invoices_scope_is_refused(credited):
    response = key_client("orders:read").get("/api/v1/credit-notes/")

    assert response.status_code == 403 and "invoices:read" in error_of(response)["message"]


@pytest.mark.parametrize("role, allowed", [("Accounting", True), ("Customer service", True), ("Warehouse", False)])
def test_accounting_and_customer_service_read_credit_notes(credited, staff, client, role, allowed):
    user = staff(role)
    client.force_login(user)

    listing = client.get(reverse("admin:orders_creditnote_changelist"))
    page = client.get(reverse("admin:orders_creditnote_change", args=[credited.pk]))
    pdf = client.get(reverse("admin:orders_creditnote_pdf", args=[credited.pk]))
    api = APIClient()
    api.force_login(user)

    if allowed:
        assert listing.status_code == 200 and credited.number in listing.content.decode()
        assert page.status_code == 200 and "Download PDF" in page.content.decode() and 'name="_save"' not in page.content.decode()
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert api.get("/api/v1/credit-notes/").status_code == 200
        invoice_page = client.get(reverse("admin:orders_invoice_change", args=[credited.invoice_id])).content.decode()
        assert credited.number in invoice_page and "48.55" in invoice_page
        order_page = client.get(reverse("admin:orders_order_change", args=[credited.order_id])).content.decode()
        assert "48.55 USD" in order_page  # the Invoices panel's Credited column
    else:
        assert listing.status_code == 403 and pdf.status_code == 403
        assert api.get("/api/v1/credit-notes/").status_code == 403


def _sentences(pdf: bytes, tmp_path) -> str:
    return " ".join(pdf_text(pdf, tmp_path).split())


@pytest.mark.parametrize("paid, says, never", [
    (None, "This credit note reduces what invoice {invoice} asks you to pay by 48.55 USD.", "paid back to you"),
    ("135.40", "Invoice {invoice} was paid in full when this credit note was issued: the 48.55 USD credited is paid back to you by the "
               "refund (to your original payment or as store credit); it does not change what you owe.", "reduces what"),
    ("100.00", "This credit note reduces what invoice {invoice} still asked you to pay by 35.40 USD; the other 13.15 USD you had paid "
               "already and is paid back to you by the refund", "paid in full"),
])
def test_the_credit_note_says_reduced_or_paid_back_as_the_invoice_stood_when_it_was_issued(shipped, settings, today, tmp_path, paid, says,
                                                                                            never):  # noqa: F811
    settings.OMS_INVOICE_SELLER = SELLER
    ReturnReason.objects.filter(code="changed_mind").update(restocking_fee_percent=D("10"), restocking_fee_fixed=D("0"), shipping_paid_by="merchant")
    invoice = invoice_of(shipped)
    if paid is not None:
        invoice_payment_record(number=invoice.number, amount=D(paid), received_on=date(2026, 3, 15), actor="accounting")
    today(date(2026, 3, 20))
    note = CreditNote.objects.get(refund_id=refunded(shipped, (1, 2), reason="changed_mind").pk)

    for text in (_sentences(credit_note_pdf(note.pk), tmp_path), " ".join(strip_tags(credit_note_html(note.pk)).split())):
        assert says.format(invoice=invoice.number) in text
        assert never not in text

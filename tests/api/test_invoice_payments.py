"""Payments through the API: one invoice (partial, settling, refused, replayed) and a customer's
remittance across invoices (listed, or oldest due first; a remainder refused); scopes."""

from decimal import Decimal

import pytest

from oms.models import DomainEvent
from orders.models import Invoice, InvoicePayment, InvoiceStatus, OrderEvent

from .support import error_of
from ..orders.receivables_support import invoices_for
from ..orders.test_invoices import trade  # noqa: F401  (the trade fixture)

PAYMENT = {"amount": "40.00", "received_on": "2026-06-01", "reference": "BACS 1001"}


@pytest.fixture
def payments_api(client_for):
    return client_for("invoices:read", "invoices:write")


def test_a_partial_payment_leaves_a_balance_and_is_in_the_orders_trail(stocked, trade, payments_api):  # noqa: F811
    (invoice,) = invoices_for(stocked, trade, ["100.00"])

    response = payments_api.post(f"/api/v1/invoices/{invoice.number}/payments/", PAYMENT, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    assert body["payment"]["amount"] == "40.00" and body["payment"]["reference"] == "BACS 1001" and body["payment"]["invoice"] == invoice.number
    assert body["invoice"]["balance"] == "60.00" and body["invoice"]["status"] == "open"
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("40.00")
    trail = OrderEvent.objects.get(order_id=invoice.order_id, kind=OrderEvent.Kind.PAYMENT)
    assert "BACS 1001" in trail.message and "60.00 USD left" in trail.message
    listed = payments_api.get(f"/api/v1/invoices/{invoice.number}/payments/").json()
    assert [(p["amount"], p["received_on"]) for p in listed] == [("40.00", "2026-06-01")]


def test_the_payment_that_settles_the_balance_marks_the_invoice_paid(stocked, trade, payments_api):  # noqa: F811
    (invoice,) = invoices_for(stocked, trade, ["100.00"])
    payments_api.post(f"/api/v1/invoices/{invoice.number}/payments/", PAYMENT, format="json")

    response = payments_api.post(f"/api/v1/invoices/{invoice.number}/payments/", {**PAYMENT, "amount": "60", "reference": "BACS 1002"}, format="json")

    assert response.status_code == 201
    assert response.json()["invoice"] == {"number": invoice.number, "currency": "USD", "total": "100.00", "amount_paid": "100.00",
                                          "balance": "0.00", "status": "paid"}
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    assert DomainEvent.objects.filter(name="invoice.paid", payload__number=invoice.number).count() == 1


@pytest.mark.parametrize(
    "change, field",
    [({"amount": "100.01"}, "amount"), ({"amount": "0"}, "amount"), ({"amount": "10.001"}, "amount"), ({"amount": "ten"}, "amount"),
     ({"received_on": "2026-13-01"}, "received_on"), ({"reference": "x" * 101}, "reference")],
    ids=["over the balance", "zero", "a fraction USD lacks", "not a number", "bad date", "reference too long"],
)
def test_a_bad_payment_is_a_400_naming_the_field_and_records_nothing(stocked, trade, payments_api, change, field):  # noqa: F811
    (invoice,) = invoices_for(stocked, trade, ["100.00"])

    response = payments_api.post(f"/api/v1/invoices/{invoice.number}/payments/", {**PAYMENT, **change}, format="json")

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert not InvoicePayment.objects.exists() and Invoice.objects.get(pk=invoice.pk).amount_paid == 0


def test_an_unknown_invoice_is_a_404(payments_api):
    response = payments_api.post("/api/v1/invoices/INV-1999-000001/payments/", PAYMENT, format="json")

    assert response.status_code == 404 and "INV-1999-000001" in error_of(response)["message"]
    assert payments_api.get("/api/v1/invoices/INV-1999-000001/payments/").status_code == 404


def test_the_same_reference_and_amount_again_is_answered_not_recorded_twice(stocked, trade, payments_api):  # noqa: F811
    (invoice,) = invoices_for(stocked, trade, ["100.00"])
    first = payments_api.post(f"/api/v1/invoices/{invoice.number}/payments/", PAYMENT, format="json")

    again = payments_api.post(f"/api/v1/invoices/{invoice.number}/payments/", PAYMENT, format="json")

    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["payment"]["id"] == first.json()["payment"]["id"]
    assert InvoicePayment.objects.count() == 1 and Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("40.00")
    # Another amount under the same reference is another payment.
    assert payments_api.post(f"/api/v1/invoices/{invoice.number}/payments/", {**PAYMENT, "amount": "5"}, format="json").status_code == 201


def test_an_idempotency_key_replays_the_first_answer(stocked, trade, payments_api):  # noqa: F811
    (invoice,) = invoices_for(stocked, trade, ["100.00"])
    body = {**PAYMENT, "reference": ""}
    first = payments_api.post(f"/api/v1/invoices/{invoice.number}/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    again = payments_api.post(f"/api/v1/invoices/{invoice.number}/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert InvoicePayment.objects.count() == 1


def test_recording_needs_invoices_write_and_listing_invoices_read(stocked, trade, client_for):  # noqa: F811
    (invoice,) = invoices_for(stocked, trade, ["100.00"])
    url = f"/api/v1/invoices/{invoice.number}/payments/"

    reader, writer = client_for("invoices:read"), client_for("invoices:write")

    refused = reader.post(url, PAYMENT, format="json")
    assert refused.status_code == 403 and "invoices:write" in error_of(refused)["message"]
    assert client_for("invoices:read").post("/api/v1/payments/", {**PAYMENT, "customer": trade.pk}, format="json").status_code == 403
    assert not InvoicePayment.objects.exists()
    assert writer.get(url).status_code == 403
    assert writer.post(url, PAYMENT, format="json").status_code == 201
    assert reader.get(url).status_code == 200


# --- remittances ----------------------------------------------------------------------------------


def test_a_remittance_pays_the_oldest_due_first_and_the_last_partly(stocked, trade, payments_api):  # noqa: F811
    # Numbered in another order than they fall due: the due date decides.
    later, oldest, middle = invoices_for(stocked, trade, ["80.00", "100.00", "50.00"], days_overdue=[-5, 40, 10])

    response = payments_api.post("/api/v1/payments/", {**PAYMENT, "customer": trade.pk, "amount": "170.00"}, format="json")

    assert response.status_code == 201, response.content
    paid = [(p["payment"]["invoice"], p["payment"]["amount"], p["invoice"]["balance"]) for p in response.json()["payments"]]
    assert paid == [(oldest.number, "100.00", "0.00"), (middle.number, "50.00", "0.00"), (later.number, "20.00", "60.00")]
    statuses = dict(Invoice.objects.values_list("number", "status"))
    assert statuses == {oldest.number: "paid", middle.number: "paid", later.number: "open"}
    assert set(InvoicePayment.objects.values_list("reference", flat=True)) == {"BACS 1001"}


def test_a_remittance_beyond_what_is_owed_is_refused_whole(stocked, trade, payments_api):  # noqa: F811
    invoices_for(stocked, trade, ["80.00", "100.00"])

    response = payments_api.post("/api/v1/payments/", {**PAYMENT, "customer": trade.pk, "amount": "180.01"}, format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert "0.01 USD less than this remittance" in error["message"] and error["fields"]["amount"] == ["At most 180.00 (the customer's open balance in USD)."]
    assert not InvoicePayment.objects.exists() and set(Invoice.objects.values_list("amount_paid", flat=True)) == {Decimal(0)}


def test_a_remittance_with_its_invoices_listed_pays_each_its_amount(stocked, trade, payments_api):  # noqa: F811
    first, second = invoices_for(stocked, trade, ["80.00", "100.00"])
    listed = [{"number": second.number, "amount": "100.00"}, {"number": first.number, "amount": "30.00"}]

    response = payments_api.post("/api/v1/payments/", {**PAYMENT, "customer": trade.pk, "amount": "130", "invoices": listed}, format="json")

    assert response.status_code == 201, response.content
    assert dict(Invoice.objects.values_list("number", "amount_paid")) == {first.number: Decimal("30.00"), second.number: Decimal("100.00")}


@pytest.mark.parametrize(
    "amount, listed, field",
    [("130", [("second", "100.00"), ("first", "20.00")], "amount"),
     ("120", [("second", "100.00"), ("first", "20.00"), ("first", "0.01")], "invoices"),
     ("110", [("second", "110.00")], "invoices[0].amount"),
     ("10", [("INV-1999-000001", "10.00")], "invoices[0].number")],
    ids=["not adding up", "listed twice", "over its balance", "not the customer's"],
)
def test_a_listed_remittance_that_does_not_fit_is_refused_whole(stocked, trade, payments_api, amount, listed, field):  # noqa: F811
    first, second = invoices_for(stocked, trade, ["80.00", "100.00"])
    numbers = {"first": first.number, "second": second.number}
    body = {**PAYMENT, "customer": trade.pk, "amount": amount, "invoices": [{"number": numbers.get(n, n), "amount": a} for n, a in listed]}

    response = payments_api.post("/api/v1/payments/", body, format="json")

    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"]
    assert not InvoicePayment.objects.exists()


def test_a_remittance_sent_again_is_answered_not_recorded_twice(stocked, trade, payments_api):  # noqa: F811
    invoices_for(stocked, trade, ["80.00", "100.00"])
    body = {**PAYMENT, "customer": trade.pk, "amount": "90.00"}
    first = payments_api.post("/api/v1/payments/", body, format="json")

    again = payments_api.post("/api/v1/payments/", body, format="json")

    assert again.status_code == 200 and again.json()["created"] is False
    assert [p["payment"]["id"] for p in again.json()["payments"]] == [p["payment"]["id"] for p in first.json()["payments"]]
    assert InvoicePayment.objects.count() == 2 and sum(InvoicePayment.objects.values_list("amount", flat=True)) == Decimal("90.00")


@pytest.mark.parametrize(
    "change, field",
    [({"customer": 999999}, "customer"), ({"customer": 0}, "customer"), ({"customer": 2**63}, "customer"),
     ({"customer": None, "customer_external_id": "NOPE"}, "customer_external_id")],
    ids=["unknown", "zero", "beyond bigint", "unknown external id"],
)
def test_a_remittance_of_an_unknown_customer_is_a_400(trade, payments_api, change, field):  # noqa: F811
    body = {**PAYMENT, "customer": trade.pk, **change}
    body = {name: value for name, value in body.items() if value is not None}

    response = payments_api.post("/api/v1/payments/", body, format="json")

    assert response.status_code == 400 and field in error_of(response)["fields"]


def test_a_customer_named_by_external_id(stocked, trade, payments_api):  # noqa: F811
    trade.external_id = "ACC-77"
    trade.save(update_fields=["external_id"])
    (invoice,) = invoices_for(stocked, trade, ["80.00"])

    response = payments_api.post("/api/v1/payments/", {**PAYMENT, "customer_external_id": "ACC-77"}, format="json")

    assert response.status_code == 201 and Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("40.00")

"""Refunds through the API: refund (computed or overridden), retry of a failed one, refunds in the
return's representation, the customer's store credit, and store credit spent at intake."""

from decimal import Decimal as D

import pytest

from customers.models import StoreCreditAccount
from customers.services import customer_upsert
from customers.store_credit import store_credit_grant
from orders.models import Order
from returns.models import Refund, RefundStatus
from returns.payments import RefundOutcome
from returns.services import refunds as refund_service

from ..api.conftest import api, client_for  # noqa: F401 (fixtures)
from ..api.support import error_of
from .conftest import line
from .test_refunds import returned

pytestmark = pytest.mark.django_db


@pytest.fixture
def rma(shipped_order):
    return returned(shipped_order([("SKU-A", 2, "20.00")]), line(1, 1))


def test_given_an_inspected_return_when_refunded_through_the_api_then_the_return_shows_its_refund(api, rma):  # noqa: F811
    answered = api.post(f"/api/v1/returns/{rma.number}/refund/", {}, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")

    assert answered.status_code == 200, answered.content
    body = answered.json()
    assert body["status"] == "refunded"
    [refund] = body["refunds"]
    assert (refund["status"], refund["amount"], refund["currency"], refund["provider"]) == ("succeeded", "20.000", "USD", "builtin")
    assert refund["breakdown"]["lines"][0]["units"] == 1
    again = api.post(f"/api/v1/returns/{rma.number}/refund/", {}, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    assert again.json() == body and Refund.objects.count() == 1  # the same key answers the same, pays once


def test_given_an_override_above_what_was_paid_when_posted_then_400_names_the_most_and_nothing_is_recorded(api, rma):  # noqa: F811
    answered = api.post(f"/api/v1/returns/{rma.number}/refund/", {"amount": "99.00", "reason": "angry customer"}, format="json")

    assert answered.status_code == 400
    assert error_of(answered)["fields"] == {"amount": ["At most 40.00."]}
    assert not Refund.objects.exists()


def test_given_an_override_without_a_reason_when_posted_then_400(api, rma):  # noqa: F811
    answered = api.post(f"/api/v1/returns/{rma.number}/refund/", {"amount": "5"}, format="json")

    assert answered.status_code == 400 and "reason" in error_of(answered)["fields"]


def test_given_a_failed_refund_when_retried_through_the_api_then_it_succeeds(api, rma, monkeypatch):  # noqa: F811
    answers = [RefundOutcome(ok=False, reason="gateway timeout"), RefundOutcome(ok=True, provider_refund_id="re_9")]

    class Flaky:
        name = "builtin"

        def refund(self, **kwargs):
            return answers.pop(0)

    monkeypatch.setattr(refund_service, "adapter_for", lambda order, method, **options: Flaky())
    failed = api.post(f"/api/v1/returns/{rma.number}/refund/", {}, format="json").json()
    [refund] = failed["refunds"]
    assert (failed["status"], refund["status"], refund["provider_reason"]) == ("inspected", "failed", "gateway timeout")

    retried = api.post(f"/api/v1/returns/{rma.number}/refunds/{refund['id']}/retry/", format="json")

    assert retried.status_code == 200, retried.content
    assert retried.json()["status"] == "refunded" and retried.json()["refunds"][0]["status"] == "succeeded"
    refused = api.post(f"/api/v1/returns/{rma.number}/refunds/{refund['id']}/retry/", format="json")
    assert refused.status_code == 409 and error_of(refused)["code"] == "invalid_transition"
    unknown = api.post(f"/api/v1/returns/{rma.number}/refunds/{refund['id'] + 99}/retry/", format="json")
    assert unknown.status_code == 404


def test_given_a_key_without_returns_write_when_refunding_then_403(client_for, rma):  # noqa: F811
    answered = client_for("returns:read").post(f"/api/v1/returns/{rma.number}/refund/", {}, format="json")

    assert answered.status_code == 403 and not Refund.objects.exists()


def test_given_store_credit_when_read_through_the_api_then_balance_and_ledger_are_shown(client_for, shipped_order):  # noqa: F811
    order = shipped_order([("SKU-A", 1)])
    store_credit_grant(customer_id=order.customer_id, currency="EUR", amount="12.50", reference="RMA-000001", actor="cs")

    answered = client_for("customers:read").get(f"/api/v1/customers/{order.customer_id}/store-credit/")

    assert answered.status_code == 200, answered.content
    [account] = answered.json()["accounts"]
    assert (account["currency"], account["balance"]) == ("EUR", "12.500")
    assert [(entry["kind"], entry["amount"], entry["reference"]) for entry in account["entries"]] == [("credit", "12.500", "RMA-000001")]
    assert client_for("orders:read").get(f"/api/v1/customers/{order.customer_id}/store-credit/").status_code == 403
    assert client_for("customers:read").get("/api/v1/customers/999999/store-credit/").status_code == 404


def order_body(external_id, store_credit, email="credit@example.com"):
    return {
        "channel": "web", "external_id": external_id, "currency": "USD", "payment_status": "pending",
        "customer": {"email": email, "first_name": "Ada", "last_name": "L"},
        "shipping_address": {"name": "Ada", "line1": "1 Main St", "city": "Boston", "region": "MA", "postal_code": "02108", "country": "US"},
        "lines": [{"sku": "SKU-A", "quantity": 1, "unit_price": "20.00"}], "store_credit": store_credit,
    }


def test_given_store_credit_when_an_order_spends_it_at_intake_then_the_balance_drops_and_the_order_is_paid(api, stocked):  # noqa: F811
    stocked("SKU-A", 5)
    customer = customer_upsert(email="credit@example.com", actor="test")
    store_credit_grant(customer_id=customer.pk, currency="USD", amount="25.00", actor="cs")

    paid = api.post("/api/v1/orders/", order_body("sc-1", "20.00"), format="json")

    assert paid.status_code == 201, paid.content
    assert paid.json()["payment_status"] == "paid"
    account = StoreCreditAccount.objects.get(customer=customer, currency="USD")
    assert account.balance == D("5.00")
    assert list(account.entries.order_by("id").values_list("kind", "amount", "reference")) == [
        ("credit", D("25.00"), ""), ("spend", D("-20.00"), paid.json()["number"]),
    ]
    events = api.get(f"/api/v1/orders/{paid.json()['number']}/events/").json()["results"]
    assert any(event["data"].get("store_credit") == "20.00" for event in events)


def test_given_too_little_store_credit_when_an_order_spends_more_then_409_and_nothing_is_recorded(api, stocked):  # noqa: F811
    stocked("SKU-A", 5)
    customer = customer_upsert(email="credit@example.com", actor="test")
    store_credit_grant(customer_id=customer.pk, currency="USD", amount="5.00", actor="cs")

    refused = api.post("/api/v1/orders/", order_body("sc-2", "6.00"), format="json")
    unknown_currency = api.post("/api/v1/orders/", {**order_body("sc-3", "1.00"), "currency": "EUR"}, format="json")
    above_total = api.post("/api/v1/orders/", order_body("sc-4", "20.01"), format="json")

    assert refused.status_code == 409 and error_of(refused)["fields"] == {"store_credit": ["At most 5.00 USD."]}
    assert unknown_currency.status_code == 409 and error_of(unknown_currency)["code"] == "insufficient_store_credit"
    assert above_total.status_code == 400 and "store_credit" in error_of(above_total)["fields"]
    assert StoreCreditAccount.objects.get(customer=customer).balance == D("5.00")
    assert not Order.objects.filter(external_id__startswith="sc-").exists()

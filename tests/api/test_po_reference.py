"""The buyer's purchase-order reference through the API: kept on the order, and required (400,
nothing recorded) for a customer whose account or group asks for one."""

import pytest

from customers.models import Customer
from orders.models import Channel, Order

from ..factories import CustomerFactory, CustomerGroupFactory
from .support import error_of, order_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def b2b(db):
    return Channel.objects.get_or_create(code="b2b", defaults={"name": "B2B", "kind": Channel.Kind.B2B})[0]


def business(**fields):
    return CustomerFactory(email="buyer@acme.example", kind=Customer.Kind.BUSINESS, company_name="Acme", **fields)


@pytest.mark.parametrize("where", ["customer", "group"])
def test_an_order_without_the_reference_the_account_requires_is_refused_with_a_400(api, stocked, b2b, where):
    stocked("SKU-A", 5)
    if where == "customer":
        business(po_reference_required=True)
    else:
        business(group=CustomerGroupFactory(po_reference_required=True))
    body = order_payload([("SKU-A", 2)], channel="b2b", customer={"email": "buyer@acme.example"})

    refused = api.post("/api/v1/orders/", body, format="json")

    assert refused.status_code == 400
    assert error_of(refused)["fields"]["po_reference"] == ["Acme orders with a purchase-order reference: send po_reference (the buyer's PO number)."]
    assert not Order.objects.exists()
    accepted = api.post("/api/v1/orders/", {**body, "po_reference": " PO-99 "}, format="json")
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["po_reference"] == "PO-99" and Order.objects.get().po_reference == "PO-99"


def test_a_customer_who_is_not_asked_for_one_orders_without_it(api, stocked, b2b):
    stocked("SKU-A", 5)
    business()

    accepted = api.post("/api/v1/orders/", order_payload([("SKU-A", 1)], channel="b2b", customer={"email": "buyer@acme.example"}), format="json")

    assert accepted.status_code == 201 and accepted.json()["po_reference"] == ""


def test_a_reference_longer_than_the_order_keeps_is_refused(api, stocked, b2b):
    stocked("SKU-A", 5)

    refused = api.post("/api/v1/orders/", order_payload([("SKU-A", 1)], po_reference="P" * 65), format="json")

    assert refused.status_code == 400 and error_of(refused)["fields"]["po_reference"] == ["At most 64 characters."]


def test_a_web_shop_order_without_the_required_reference_is_held_for_a_person_not_lost(api, stocked):
    stocked("SKU-A", 5)
    business(po_reference_required=True)

    created = api.post("/api/v1/orders/", order_payload([("SKU-A", 1)], channel="web", customer={"email": "buyer@acme.example"}), format="json")

    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "on_hold"
    assert [(hold["reason"], hold["detail"]) for hold in created.json()["holds"]] == [
        ("manual", "Acme orders with a purchase-order reference; none came with the order."),
    ]

"""Customers over the API: list with filters, create, read with ETag, change with If-Match, addresses."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer, CustomerAddress
from oms.models import DomainEvent

from ..factories import CustomerFactory, CustomerGroupFactory
from .support import error_of

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Ada Lovelace", "line1": "12 Main Street", "city": "Boston", "postal_code": "02108", "country": "us"}


def _emails(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["email"] for row in response.json()["results"]]


# --- list ----------------------------------------------------------------------------------------


def test_given_customers_when_filtered_by_email_kind_and_group_then_only_matches_are_listed(api):
    b2b = CustomerGroupFactory(code="b2b")
    CustomerFactory(email="ada@example.com")
    CustomerFactory(email="acme@example.com", kind=Customer.Kind.BUSINESS, company_name="Acme", group=b2b)
    CustomerFactory(email="bob@example.com", kind=Customer.Kind.BUSINESS)

    assert _emails(api.get("/api/v1/customers/", {"email": "ADA@example.com"})) == ["ada@example.com"]
    assert _emails(api.get("/api/v1/customers/", {"kind": "business", "ordering": "email"})) == ["acme@example.com", "bob@example.com"]
    assert _emails(api.get("/api/v1/customers/", {"group": "b2b"})) == ["acme@example.com"]


def test_given_customers_created_and_changed_at_different_times_when_filtered_by_range_then_only_those_inside(api):
    now = timezone.now()
    CustomerFactory(email="old@example.com", created_at=now - timedelta(days=10), updated_at=now - timedelta(days=10))
    CustomerFactory(email="edited@example.com", created_at=now - timedelta(days=10), updated_at=now - timedelta(hours=1))
    CustomerFactory(email="new@example.com", created_at=now - timedelta(hours=2), updated_at=now - timedelta(hours=2))
    since = (now - timedelta(days=1)).isoformat()

    assert _emails(api.get("/api/v1/customers/", {"created_after": since, "ordering": "email"})) == ["new@example.com"]
    assert _emails(api.get("/api/v1/customers/", {"updated_after": since, "ordering": "updated_at"})) == ["new@example.com", "edited@example.com"]
    assert _emails(api.get("/api/v1/customers/", {"created_before": since})) == ["edited@example.com", "old@example.com"]


def test_when_a_customer_list_is_filtered_by_an_unknown_kind_then_400_names_the_filter(api):
    response = api.get("/api/v1/customers/", {"kind": "robot"})

    assert response.status_code == 400
    assert "kind" in error_of(response)["fields"]


@pytest.mark.parametrize("page_size", [10, 100])
def test_given_customers_with_groups_and_addresses_when_a_page_is_listed_then_the_query_count_does_not_grow(api, page_size):
    group = CustomerGroupFactory()
    for n in range(page_size):
        customer = CustomerFactory(email=f"c{n}@example.com", group=group)
        CustomerAddress.objects.create(customer=customer, name="A", line1="1 Road", city="Boston", country="US")
    api.get("/api/v1/customers/", {"page_size": 1})  # the key's first use is stamped once

    with CaptureQueriesContext(connection) as one:
        assert len(api.get("/api/v1/customers/", {"page_size": 1}).json()["results"]) == 1
    with CaptureQueriesContext(connection) as page:
        body = api.get("/api/v1/customers/", {"page_size": page_size}).json()

    assert len(body["results"]) == page_size
    assert all(len(row["addresses"]) == 1 and row["group"] == group.code for row in body["results"])
    assert len(page) == len(one)


# --- create ---------------------------------------------------------------------------------------


def test_when_a_customer_is_posted_then_it_is_created_with_an_etag_and_an_event(api):
    CustomerGroupFactory(code="vip")

    response = api.post(
        "/api/v1/customers/",
        {"email": "Grace@Example.com", "first_name": "Grace", "last_name": "Hopper", "phone": "+14155550123", "group": "vip", "sms_opt_in": True},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["email"], body["phone"], body["group"], body["sms_opt_in"], body["version"]) == ("grace@example.com", "+14155550123", "vip", True, 1)
    assert response["ETag"] == '"1"'
    assert DomainEvent.objects.filter(name="customer.created", stream=f"customer:{body['id']}", sequence=1).exists()


def test_given_a_customer_when_another_is_posted_with_the_same_email_then_409_names_the_existing_one(api):
    existing = CustomerFactory(email="ada@example.com")

    response = api.post("/api/v1/customers/", {"email": "ADA@example.com"}, format="json")

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate_email"
    assert str(existing.pk) in error["message"]
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    "body, field",
    [({"email": "x@example.com", "phone": "555 0123"}, "phone"), ({"email": "x@example.com", "group": "nope"}, "group"), ({"email": "no"}, "email")],
    ids=["phone not E.164", "unknown group", "bad e-mail"],
)
def test_when_a_customer_is_posted_with_a_bad_field_then_400_names_it_and_nothing_is_created(api, body, field):
    response = api.post("/api/v1/customers/", body, format="json")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert not Customer.objects.exists()


def test_given_a_key_that_may_only_read_customers_when_it_posts_one_then_403(client_for):
    response = client_for("customers:read").post("/api/v1/customers/", {"email": "x@example.com"}, format="json")

    assert response.status_code == 403
    assert "customers:write" in error_of(response)["message"]


# --- read and change ----------------------------------------------------------------------------


def test_given_a_customer_when_read_then_the_etag_is_its_version_and_if_none_match_gets_304(api):
    customer = CustomerFactory(version=3)

    response = api.get(f"/api/v1/customers/{customer.pk}/")
    again = api.get(f"/api/v1/customers/{customer.pk}/", HTTP_IF_NONE_MATCH='"3"')

    assert (response.status_code, response["ETag"], response.json()["email"]) == (200, '"3"', customer.email)
    assert again.status_code == 304


def test_when_an_unknown_customer_is_read_then_404(api):
    response = api.get("/api/v1/customers/999999/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_customer"


def test_given_a_customer_when_patched_without_if_match_then_428_and_nothing_changes(api):
    customer = CustomerFactory(first_name="Ada")

    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"first_name": "Augusta"}, format="json")

    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"
    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Ada", 1)


def test_given_two_clients_read_a_customer_when_both_patch_then_the_second_gets_412(api):
    customer = CustomerFactory()
    etag = api.get(f"/api/v1/customers/{customer.pk}/")["ETag"]

    first = api.patch(f"/api/v1/customers/{customer.pk}/", {"first_name": "Augusta"}, format="json", HTTP_IF_MATCH=etag)
    second = api.patch(f"/api/v1/customers/{customer.pk}/", {"last_name": "King"}, format="json", HTTP_IF_MATCH=etag)

    assert (first.status_code, first["ETag"]) == (200, '"2"')
    assert second.status_code == 412
    assert '"2"' in error_of(second)["fields"]["If-Match"][0]
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.version) == ("Augusta", "Lovelace", 2)


def test_when_a_customer_is_patched_then_the_fields_sent_change_the_version_rises_and_the_change_is_recorded(api):
    customer = CustomerFactory(updated_at=timezone.now() - timedelta(days=1))
    CustomerGroupFactory(code="b2b")
    before = customer.updated_at

    response = api.patch(
        f"/api/v1/customers/{customer.pk}/",
        {"kind": "business", "company_name": "Analytical Engines Ltd", "vat_number": "GB123", "phone": "+442071838750",
         "group": "b2b", "email_opt_in": False, "sms_opt_in": True},
        format="json", HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["company_name"], body["phone"], body["group"], body["email_opt_in"], body["version"]) == (
        "Analytical Engines Ltd", "+442071838750", "b2b", False, 2
    )
    customer.refresh_from_db()
    assert customer.updated_at > before
    event = DomainEvent.objects.get(name="customer.updated")
    assert event.payload["changes"]["group"] == [None, "b2b"]


def test_given_a_customer_when_patched_with_what_it_already_has_then_the_version_stays(api):
    customer = CustomerFactory(first_name="Ada")

    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"first_name": "Ada"}, format="json", HTTP_IF_MATCH='"1"')

    assert (response.status_code, response["ETag"]) == (200, '"1"')
    assert not DomainEvent.objects.filter(name="customer.updated").exists()


def test_given_a_customer_in_a_group_when_patched_with_a_null_group_then_it_leaves_the_group(api):
    customer = CustomerFactory(group=CustomerGroupFactory())

    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"group": None}, format="json", HTTP_IF_MATCH="*")

    assert (response.status_code, response.json()["group"]) == (200, None)


@pytest.mark.parametrize("body", [{"phone": "0123"}, {"email": "new@example.com"}, {}], ids=["bad phone", "e-mail", "nothing"])
def test_when_a_customer_is_patched_with_something_it_cannot_take_then_400_and_the_version_stays(api, body):
    customer = CustomerFactory()

    response = api.patch(f"/api/v1/customers/{customer.pk}/", body, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.version == 1


# --- addresses ------------------------------------------------------------------------------------


def test_when_addresses_are_added_then_they_show_on_the_customer_and_one_default_at_a_time(api):
    customer = CustomerFactory()

    first = api.post(f"/api/v1/customers/{customer.pk}/addresses/", {**ADDRESS, "label": "home", "is_default_shipping": True}, format="json")
    second = api.post(
        f"/api/v1/customers/{customer.pk}/addresses/", {**ADDRESS, "label": "office", "phone": "+14155550123", "is_default_shipping": True},
        format="json", HTTP_IDEMPOTENCY_KEY="addr-2",
    )
    read = api.get(f"/api/v1/customers/{customer.pk}/")

    assert (first.status_code, second.status_code) == (201, 201), second.json()
    assert first.json()["country"] == "US"
    addresses = read.json()["addresses"]
    assert [(a["label"], a["is_default_shipping"]) for a in addresses] == [("home", False), ("office", True)]
    assert read["ETag"] == '"3"'


@pytest.mark.parametrize("override, field", [({"country": "XX"}, "country"), ({"line1": ""}, "line1")])
def test_when_an_address_with_a_bad_field_is_added_then_400_and_nothing_is_stored(api, override, field):
    customer = CustomerFactory()

    response = api.post(f"/api/v1/customers/{customer.pk}/addresses/", {**ADDRESS, **override}, format="json")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert not CustomerAddress.objects.exists()


def test_when_an_address_is_added_to_an_unknown_customer_then_404(api):
    response = api.post("/api/v1/customers/999999/addresses/", ADDRESS, format="json")

    assert response.status_code == 404


def test_a_business_account_requiring_po_references_and_its_bill_to_address_are_kept_and_shown(api):
    created = api.post("/api/v1/customers/", {"email": "buyer@acme.example", "kind": "business", "company_name": "Acme",
                                              "po_reference_required": True}, format="json")
    assert created.status_code == 201, created.json()
    customer_id = created.json()["id"]

    billing = api.post(f"/api/v1/customers/{customer_id}/addresses/", {**ADDRESS, "kind": "billing"}, format="json")
    wrong = api.post(f"/api/v1/customers/{customer_id}/addresses/", {**ADDRESS, "kind": "pickup"}, format="json")
    lifted = api.patch(f"/api/v1/customers/{customer_id}/", {"po_reference_required": False}, format="json", HTTP_IF_MATCH=f'"{2}"')

    assert created.json()["po_reference_required"] is True
    assert billing.status_code == 201 and billing.json()["kind"] == "billing"
    assert wrong.status_code == 400 and "kind" in error_of(wrong)["fields"]
    assert lifted.status_code == 200, lifted.json()
    assert lifted.json()["po_reference_required"] is False
    assert Customer.objects.get(pk=customer_id).po_reference_required is False
    assert CustomerAddress.objects.get(customer_id=customer_id).kind == CustomerAddress.Kind.BILLING

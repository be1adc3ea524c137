"""A business account keeps its ship-to addresses in the portal: listed, added with the checks
intake makes of a shipping address, changed, one default at a time, removed; never another's."""

import pytest

from customers.models import Customer, CustomerAddress

from ..factories import CustomerFactory
from .returns_support import sign_in_as

pytestmark = pytest.mark.django_db

ADDRESS = {"kind": "shipping", "label": "Store 12", "name": "Store manager", "company": "Acme", "line1": "9 Elm Street", "line2": "",
           "postal_code": "04101", "city": "Portland", "region": "ME", "country": "US", "phone": ""}


@pytest.fixture
def acme(client):
    acme = CustomerFactory(email="buyer@acme.example", kind=Customer.Kind.BUSINESS, company_name="Acme")
    sign_in_as(client, acme)
    return acme


def test_an_address_is_added_and_listed(client, acme):
    saved = client.post("/portal/addresses/new/", {**ADDRESS, "is_default_shipping": "on"})

    assert saved.status_code == 302 and saved["Location"] == "/portal/addresses/"
    address = CustomerAddress.objects.get(customer=acme)
    assert (address.label, address.kind, address.city, address.is_default_shipping) == ("Store 12", "shipping", "Portland", True)
    page = client.get("/portal/addresses/").content.decode()
    assert "Store 12" in page and "9 Elm Street" in page and "default ship-to" in page


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"region": ""}, "region", "region/state missing (required in US)"),
    ({"postal_code": "ABC"}, "postal_code", "does not fit US"),
    ({"country": "XX"}, "country", "not one of the available choices"),
    ({"phone": "call me"}, "phone", "phone number"),
    ({"line1": ""}, "line1", "required"),
    ({"kind": "elsewhere"}, "kind", "not one of the available choices"),
])
def test_an_address_intake_would_doubt_is_refused_on_its_field(client, acme, change, field, message):
    refused = client.post("/portal/addresses/new/", {**ADDRESS, **change})

    assert refused.status_code == 200
    assert message.lower() in " ".join(refused.context["form"].errors[field]).lower()
    assert not CustomerAddress.objects.exists()


def test_making_an_address_the_default_takes_the_flag_from_the_other(client, acme):
    first = CustomerAddress.objects.create(customer=acme, name="A", line1="1 Main Street", city="Boston", region="MA", postal_code="02108",
                                           country="US", is_default_shipping=True)
    second = CustomerAddress.objects.create(customer=acme, name="B", line1="2 Main Street", city="Boston", region="MA", postal_code="02108", country="US")

    saved = client.post(f"/portal/addresses/{second.pk}/", {**ADDRESS, "is_default_shipping": "on"})

    assert saved.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default_shipping, second.is_default_shipping) == (False, True)
    assert second.line1 == "9 Elm Street"


def test_an_address_is_removed_after_a_confirmation(client, acme):
    address = CustomerAddress.objects.create(customer=acme, name="A", line1="1 Main Street", city="Boston", region="MA", postal_code="02108", country="US")

    assert client.get(f"/portal/addresses/{address.pk}/remove/").status_code == 200
    assert CustomerAddress.objects.filter(pk=address.pk).exists()
    removed = client.post(f"/portal/addresses/{address.pk}/remove/")

    assert removed.status_code == 302 and not CustomerAddress.objects.filter(pk=address.pk).exists()


def test_another_customers_address_is_a_404_to_see_change_or_remove(client, acme):
    other = CustomerFactory(email="other@example.com", kind=Customer.Kind.BUSINESS)
    theirs = CustomerAddress.objects.create(customer=other, name="X", line1="1 Other Road", city="Boston", region="MA", postal_code="02108", country="US")

    assert client.get(f"/portal/addresses/{theirs.pk}/").status_code == 404
    assert client.post(f"/portal/addresses/{theirs.pk}/", ADDRESS).status_code == 404
    assert client.post(f"/portal/addresses/{theirs.pk}/remove/").status_code == 404
    assert client.get(f"/portal/addresses/{2**63 + 5}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.line1 == "1 Other Road"

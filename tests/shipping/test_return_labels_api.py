"""POST /api/v1/shipments/{id}/return-label/: the return shipment, each refusal in the error shape, who may."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from oms.models import ApiKey
from shipping.carriers import ADAPTERS
from shipping.models import Shipment, ShipmentDirection
from shipping.services import shipment_return_label_create, shipment_void

from .test_return_labels import NoReturnsCarrier
from .test_shipments import book, carriers  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db
_names = itertools.count(1)


@pytest.fixture
def client_for(db):
    """``client_for("shipping:write")``: an API client with a new key holding those scopes (none: every scope)."""

    def make(*scopes: str) -> APIClient:
        _, raw_key = ApiKey.generate(name=f"returns-client-{next(_names)}", scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        return client

    return make


@pytest.fixture
def api(client_for):
    return client_for()


def staff_client(role: str) -> APIClient:
    user = get_user_model().objects.create_user(f"staff-{next(_names)}", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.force_login(user)
    return client


def url(shipment_id: int) -> str:
    return f"/api/v1/shipments/{shipment_id}/return-label/"


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


def test_an_empty_body_books_the_return_of_the_whole_shipment(api):
    original = book(parcels=[{"weight_kg": "2"}, {"weight_kg": "3.5"}])

    response = api.post(url(original.pk), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    returned = Shipment.objects.get(pk=body["id"])
    assert returned.direction == ShipmentDirection.RETURN and returned.return_of_id == original.pk
    assert body["direction"] == "return" and body["return_of"] == {"id": original.pk, "tracking_number": original.tracking_number}
    assert (body["carrier"], body["service"], body["tracking_number"]) == ("oms-post", "ground", returned.tracking_number)
    assert body["price"] == f"{returned.price:.2f}" and body["currency"] == "USD"
    assert body["label_url"] == f"/api/v1/shipments/{returned.pk}/label.pdf"
    assert [parcel["weight_kg"] for parcel in body["parcels"]] == ["2.000", "3.500"]
    label = api.get(body["label_url"])
    assert label.status_code == 200 and b"".join(label.streaming_content if label.streaming else [label.content]).startswith(b"%PDF")


def test_the_parcels_and_the_service_can_be_given(api):
    original = book()

    response = api.post(url(original.pk), {"parcels": [{"weight_kg": "0.8", "length_cm": "25"}], "service_code": "express"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["service"] == "express"
    assert [(p["weight_kg"], p["length_cm"]) for p in response.json()["parcels"]] == [("0.800", "25.0")]


def test_a_retry_with_the_same_idempotency_key_books_nothing_twice(api):
    original = book()

    first = api.post(url(original.pk), {}, format="json", HTTP_IDEMPOTENCY_KEY="ret-1")
    second = api.post(url(original.pk), {}, format="json", HTTP_IDEMPOTENCY_KEY="ret-1")

    assert (first.status_code, second.status_code) == (201, 201) and second.json()["id"] == first.json()["id"]
    assert original.returns.count() == 1


def test_an_unknown_shipment_is_404(api):
    response = api.post(url(999999), {}, format="json")

    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: shipment_void(shipment_id=book().pk, actor="test"), "is voided"),
        (lambda: shipment_return_label_create(shipment_id=book().pk, actor="test"), "is itself a return"),
    ],
)
def test_a_voided_shipment_or_a_return_is_409(api, make, words):
    shipment = make()

    response = api.post(url(shipment.pk), {}, format="json")

    assert response.status_code == 409 and error_of(response)["code"] == "invalid_transition" and words in error_of(response)["message"]


def test_a_carrier_without_return_labels_is_409_and_nothing_is_booked(api, monkeypatch):
    original = book()
    monkeypatch.setitem(ADAPTERS, "table_rate", NoReturnsCarrier)

    response = api.post(url(original.pk), {}, format="json")

    assert response.status_code == 409 and error_of(response)["code"] == "return_labels_unavailable"
    assert not original.returns.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"parcels": [{"weight_kg": "0"}]}, "parcels[0].weight_kg"),
        ({"parcels": [{"length_cm": "10"}]}, "parcels[0].weight_kg"),
        ({"parcels": []}, "parcels"),
        ({"parcels": "two boxes"}, "parcels"),
        ({"service_code": "not a code!"}, "service_code"),
        ([1, 2], "non_field_errors"),
    ],
)
def test_a_malformed_body_is_400_naming_the_field(api, body, field):
    original = book()

    response = api.post(url(original.pk), body, format="json")

    assert response.status_code == 400 and field in error_of(response)["fields"], response.content
    assert not original.returns.exists()


def test_a_return_the_service_cannot_carry_back_is_400_and_an_unknown_service_404(api):
    abroad = book(destination={"name": "Marie", "city": "Paris", "postal_code": "75001", "country": "FR"})
    home = book()

    cannot = api.post(url(abroad.pk), {}, format="json")
    unknown = api.post(url(home.pk), {"service_code": "teleport"}, format="json")

    assert cannot.status_code == 400 and "cannot carry this return" in error_of(cannot)["message"] and "service_code" in error_of(cannot)["fields"]
    assert unknown.status_code == 404 and "teleport" in error_of(unknown)["message"]


def test_a_key_without_shipping_write_is_403(client_for):
    original = book()

    response = client_for("shipping:read").post(url(original.pk), {}, format="json")

    assert response.status_code == 403 and "shipping:write" in error_of(response)["message"]
    assert not original.returns.exists()


def test_signed_in_staff_need_the_return_label_permission():
    original = book()

    refused = staff_client("Warehouse").post(url(original.pk), {}, format="json")
    allowed = staff_client("Customer service").post(url(original.pk), {}, format="json")

    assert refused.status_code == 403 and "create_return_label" in error_of(refused)["message"]
    assert allowed.status_code == 201

"""URLs under /api/ that match nothing answer in the API's error shape."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_answers_404_in_the_error_shape(api):
    response = api.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_post_without_its_final_slash_is_told_so_not_a_server_error(api):
    response = api.post("/api/v1/orders", {}, format="json")

    assert response.status_code == 404
    assert "end with a slash" in response.json()["error"]["message"]


@pytest.mark.parametrize("sku, location, code", [("NOPE", "chicago", "unknown_sku"), ("SKU-A", "mars", "unknown_location")])
def test_a_receipt_naming_an_unknown_sku_or_location_is_a_400_naming_it(api, stocked, sku, location, code):
    stocked("SKU-A", 0)

    response = api.post("/api/v1/stock/movements/", {"sku": sku, "location": location, "quantity": 3, "type": "receipt"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_when_a_client_writes_to_a_url_that_is_no_endpoint_then_404_in_the_error_shape_not_a_csrf_page(method, db):
    client = Client(enforce_csrf_checks=True)  # as a real client: no CSRF token, whatever cookies it sends

    response = getattr(client, method)("/api/v1/customers/not-a-number/addresses/", "{}", content_type="application/json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"

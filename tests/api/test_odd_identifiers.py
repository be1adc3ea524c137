"""Identifiers no row can have (a NUL byte, which PostgreSQL refuses in a query): a path naming one
finds nothing, a query parameter holding one is refused naming the parameter (oms.middleware)."""

import pytest

from .support import error_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/products/a%00b/"),
        ("get", "/api/v1/stock/a%00b/"),
        ("get", "/api/v1/locations/a%00b/"),
        ("get", "/api/v1/orders/a%00b/"),
        ("post", "/api/v1/orders/a%00b/cancel/"),
        ("get", "/api/v1/fulfillment-orders/a%00b/"),
        ("post", "/api/v1/carriers/a%00b/tracking/"),
    ],
)
def test_when_a_path_names_an_impossible_identifier_then_404_in_the_error_shape(api, method, url):
    response = getattr(api, method)(url)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert "control character" in error_of(response)["message"]


@pytest.mark.parametrize(
    "url, params",
    [
        ("/api/v1/orders/", {"channel": "a\x00b"}),
        ("/api/v1/orders/", {"sku": "a\x00b"}),
        ("/api/v1/stock/SKU-A/", {"channel": "a\x00b"}),
        ("/api/v1/atp/", {"skus": "A,\x00"}),
    ],
)
def test_when_a_list_is_filtered_by_an_impossible_value_then_400_names_the_filter(api, url, params):
    response = api.get(url, params)

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == set(params)


def test_when_a_movement_names_an_impossible_sku_then_400(api, warehouse):
    response = api.post("/api/v1/stock/movements/", {"sku": "a\x00", "location": "chicago", "quantity": 1, "type": "receipt"}, format="json")

    assert response.status_code == 400
    assert "sku" in error_of(response)["fields"]

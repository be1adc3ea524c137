"""Identifiers no row can have (a NUL byte, which PostgreSQL refuses in a query) are simply not found."""

import pytest

from .support import error_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "method, url, code",
    [
        ("get", "/api/v1/products/a%00b/", "unknown_sku"),
        ("get", "/api/v1/stock/a%00b/", "unknown_sku"),
        ("get", "/api/v1/orders/a%00b/", "not_found"),
        ("post", "/api/v1/orders/a%00b/cancel/", "not_found"),
    ],
)
def test_when_a_path_names_an_impossible_identifier_then_404_in_the_error_shape(api, method, url, code):
    response = getattr(api, method)(url)

    assert response.status_code == 404
    assert error_of(response)["code"] == code


@pytest.mark.parametrize("params", [{"channel": "a\x00b"}, {"sku": "a\x00b"}])
def test_when_orders_are_filtered_by_an_impossible_value_then_400_names_the_filter(api, params):
    response = api.get("/api/v1/orders/", params)

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == set(params)


def test_when_a_movement_names_an_impossible_sku_then_400(api, warehouse):
    response = api.post("/api/v1/stock/movements/", {"sku": "a\x00", "location": "chicago", "quantity": 1, "type": "receipt"}, format="json")

    assert response.status_code == 400
    assert "sku" in error_of(response)["fields"]

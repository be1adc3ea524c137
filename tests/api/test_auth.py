import pytest
from rest_framework.test import APIClient

from oms.models import ApiKey
from orders.models import Order

from .support import error_of, order_payload

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/orders/"),
    ("post", "/api/v1/orders/"),
    ("get", "/api/v1/orders/SO-0000001/"),
    ("post", "/api/v1/orders/SO-0000001/cancel/"),
    ("post", "/api/v1/products/"),
    ("get", "/api/v1/products/SKU-A/"),
    ("get", "/api/v1/locations/"),
    ("post", "/api/v1/stock/movements/"),
    ("get", "/api/v1/stock/SKU-A/"),
]


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_when_no_key_is_sent_then_401_asks_for_one(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize(
    "header",
    ["Api-Key oms_deadbeef_notthekey", "Api-Key garbage", "Api-Key ", "Bearer something"],
    ids=["unknown key", "malformed key", "empty key", "other scheme"],
)
def test_when_a_wrong_key_is_sent_then_401(api, header):
    response = APIClient().get("/api/v1/orders/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert error_of(response)["code"] in {"authentication_failed", "not_authenticated"}


def test_given_a_key_when_its_secret_part_is_altered_then_401(api):
    raw_key = api._credentials["HTTP_AUTHORIZATION"].removeprefix("Api-Key ")

    response = APIClient().get("/api/v1/orders/", HTTP_AUTHORIZATION=f"Api-Key {raw_key[:-2]}xx")

    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_given_a_revoked_key_when_used_then_401_and_nothing_is_recorded(api, web_channel):
    ApiKey.objects.filter(pk=api.key.pk).update(is_active=False)

    response = api.post("/api/v1/orders/", order_payload(), format="json")

    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "scopes, method, url, needed",
    [
        (["orders:read"], "post", "/api/v1/orders/", "orders:write"),
        (["orders:write"], "get", "/api/v1/orders/", "orders:read"),
        (["orders:read"], "post", "/api/v1/orders/SO-0000001/cancel/", "orders:write"),
        (["products:read"], "post", "/api/v1/products/", "products:write"),
        (["orders:read"], "get", "/api/v1/locations/", "products:read"),
        (["stock:read"], "post", "/api/v1/stock/movements/", "stock:write"),
        (["stock:write"], "get", "/api/v1/stock/SKU-A/", "stock:read"),
    ],
)
def test_given_a_key_without_the_scope_when_used_then_403_names_the_scope(client_for, web_channel, scopes, method, url, needed):
    response = getattr(client_for(*scopes), method)(url, order_payload(), format="json")

    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert needed in error_of(response)["message"]
    assert not Order.objects.exists()


def test_given_a_key_with_the_scope_when_used_then_it_is_let_in(client_for, db):
    response = client_for("products:read").get("/api/v1/locations/")

    assert response.status_code == 200

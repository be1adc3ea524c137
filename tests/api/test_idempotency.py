import pytest

from inventory.models import StockLevel, StockMovement
from oms.models import IdempotencyRecord
from orders.models import Order

from .support import error_of, order_payload

pytestmark = pytest.mark.django_db


def test_given_an_order_posted_with_a_key_when_retried_with_the_same_key_and_body_then_the_first_answer_is_replayed(api, stocked):
    stocked("SKU-A", 5)
    payload = order_payload([("SKU-A", 2)])
    first = api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    retry = api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert first.status_code == 201
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 2


def test_given_a_refused_request_when_retried_with_the_same_key_then_the_refusal_is_replayed(api, web_channel):
    payload = order_payload(currency="XYZ")
    first = api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    retry = api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert first.status_code == retry.status_code == 400
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"


def test_given_a_used_key_when_sent_with_a_different_body_then_422_and_nothing_is_recorded(api, stocked):
    stocked("SKU-A", 5)
    api.post("/api/v1/orders/", order_payload([("SKU-A", 1)]), format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    response = api.post("/api/v1/orders/", order_payload([("SKU-A", 3)]), format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_given_a_request_with_the_key_still_in_flight_when_a_duplicate_arrives_then_409_and_nothing_is_recorded(api, stocked):
    stocked("SKU-A", 5)
    payload = order_payload([("SKU-A", 1)])
    first = api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    # Put the claim back in flight, as it is while the first request is still running.
    IdempotencyRecord.objects.filter(key="key-1").update(state=IdempotencyRecord.State.IN_FLIGHT, response_body=None, response_status=None)

    response = api.post("/api/v1/orders/", payload, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert first.status_code == 201
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_in_flight"
    assert response["Retry-After"] == "1"
    assert Order.objects.count() == 1


def test_given_two_keys_holders_when_both_use_the_same_key_value_then_each_gets_its_own_answer(client_for, stocked):
    stocked("SKU-A", 5)
    shop, marketplace = client_for(), client_for()

    first = shop.post("/api/v1/orders/", order_payload([("SKU-A", 1)]), format="json", HTTP_IDEMPOTENCY_KEY="1")
    second = marketplace.post("/api/v1/orders/", order_payload([("SKU-A", 1)]), format="json", HTTP_IDEMPOTENCY_KEY="1")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


@pytest.mark.parametrize(
    "url, payload",
    [
        ("/api/v1/products/", {"sku": "MUG-1", "name": "Mug", "price": "3"}),
        ("/api/v1/stock/movements/", {"sku": "SKU-A", "location": "chicago", "quantity": 4, "type": "receipt"}),
    ],
)
def test_given_a_post_with_a_key_when_retried_then_it_acts_once(api, stocked, url, payload):
    stocked("SKU-A", 0)

    first = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    retry = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert StockMovement.objects.count() == (1 if "stock" in url else 0)


def test_given_a_cancel_with_a_key_when_retried_then_the_same_answer_comes_back(api, stocked):
    stocked("SKU-A", 5)
    number = api.post("/api/v1/orders/", order_payload([("SKU-A", 1)]), format="json").json()["number"]

    first = api.post(f"/api/v1/orders/{number}/cancel/", {"reason": "fraud"}, format="json", HTTP_IDEMPOTENCY_KEY="c")
    retry = api.post(f"/api/v1/orders/{number}/cancel/", {"reason": "fraud"}, format="json", HTTP_IDEMPOTENCY_KEY="c")

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"


def test_when_the_key_is_too_long_then_400(api, web_channel):
    response = api.post("/api/v1/orders/", order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]

"""Many orders in one request: each judged and recorded on its own, one answer per order."""

import pytest

from inventory.models import StockLevel
from orders.models import Order

from .support import error_of, order_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/bulk/"


def test_given_good_bad_and_repeated_orders_when_posted_in_bulk_then_each_gets_its_own_answer_in_request_order(api, stocked):
    stocked("SKU-A", 10)
    recorded = api.post("/api/v1/orders/", order_payload(external_id="WEB-OLD"), format="json").json()
    bodies = [
        order_payload([("SKU-A", 2)], external_id="WEB-N1"),
        order_payload(external_id="WEB-BAD", currency="EURO"),
        order_payload(external_id="WEB-OLD"),
        order_payload(external_id="WEB-NOCH", channel="no-such-channel"),
        {"channel": "web"},
        order_payload([("SKU-A", 1)], external_id="WEB-N2"),
    ]

    response = api.post(URL, {"orders": bodies}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(r["index"], r["status"]) for r in body["results"]] == [(0, 201), (1, 400), (2, 200), (3, 400), (4, 400), (5, 201)]
    assert (body["created"], body["existing"], body["failed"]) == (2, 1, 3)
    new = body["results"][0]["order"]
    assert (new["external_id"], new["status"], new["lines"][0]["quantity_reserved"]) == ("WEB-N1", "allocated", 2)
    assert body["results"][0]["error"] is None
    assert body["results"][2]["order"] == without_routing(recorded)
    assert body["results"][1]["order"] is None
    assert body["results"][1]["error"]["code"] == "invalid" and "currency" in body["results"][1]["error"]["fields"]
    assert "channel" in body["results"][3]["error"]["fields"]
    assert "external_id" in body["results"][4]["error"]["fields"]
    assert set(Order.objects.values_list("external_id", flat=True)) == {"WEB-OLD", "WEB-N1", "WEB-N2"}
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 4


def test_when_bulk_orders_are_posted_then_each_answer_equals_what_reading_it_back_shows(api, stocked):
    stocked("SKU-A", 10)

    results = api.post(URL, {"orders": [order_payload([("SKU-A", 1)]), order_payload(payment_status="pending")]}, format="json").json()["results"]

    for result in results:
        assert without_routing(api.get(f"/api/v1/orders/{result['order']['number']}/").json()) == result["order"]


def without_routing(order: dict) -> dict:
    """An order as lists and bulk answers show it: the routing decisions, and the re-planning read
    from them, only come with one order."""
    return {name: value for name, value in order.items() if name not in ("routing", "replanned")}


def test_given_a_failing_order_in_the_middle_when_posted_in_bulk_then_the_orders_around_it_stay_recorded(api, stocked):
    stocked("SKU-A", 10)
    bad = order_payload(external_id="B")
    bad["lines"][0]["quantity"] = -1
    bodies = [order_payload(external_id="A"), bad, order_payload(external_id="C")]

    body = api.post(URL, {"orders": bodies}, format="json").json()

    assert [r["status"] for r in body["results"]] == [201, 400, 201]
    assert "lines[0].quantity" in body["results"][1]["error"]["fields"]
    assert set(Order.objects.values_list("external_id", flat=True)) == {"A", "C"}


def test_when_the_same_order_appears_twice_in_one_batch_then_it_is_recorded_once(api, stocked):
    stocked("SKU-A", 10)
    same = order_payload(external_id="TWICE")

    body = api.post(URL, {"orders": [same, same]}, format="json").json()

    assert [r["status"] for r in body["results"]] == [201, 200]
    assert body["results"][0]["order"]["number"] == body["results"][1]["order"]["number"]
    assert Order.objects.filter(external_id="TWICE").count() == 1


@pytest.mark.parametrize("envelope", [{"orders": []}, {"orders": "all of them"}, {}, [order_payload()]])
def test_when_the_envelope_is_malformed_then_400_and_nothing_is_recorded(api, stocked, envelope):
    stocked("SKU-A", 10)

    response = api.post(URL, envelope, format="json")

    assert response.status_code == 400
    error_of(response)
    assert not Order.objects.exists()


def test_when_more_than_500_orders_are_sent_then_400_and_nothing_is_recorded(api, stocked):
    stocked("SKU-A", 10)
    bodies = [order_payload() for _ in range(501)]

    response = api.post(URL, {"orders": bodies}, format="json")

    assert response.status_code == 400
    assert "orders" in error_of(response)["fields"]
    assert not Order.objects.exists()


def test_when_a_bulk_request_is_retried_with_its_idempotency_key_then_the_first_answer_is_replayed(api, stocked):
    stocked("SKU-A", 10)
    envelope = {"orders": [order_payload(external_id="R1"), order_payload(external_id="R2")]}

    first = api.post(URL, envelope, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    again = api.post(URL, envelope, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")

    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert [r["status"] for r in again.json()["results"]] == [201, 201]


def test_when_bulk_is_posted_with_a_read_only_key_then_403(client_for, stocked):
    stocked("SKU-A", 10)

    response = client_for("orders:read").post(URL, {"orders": [order_payload()]}, format="json")

    assert response.status_code == 403
    assert not Order.objects.exists()

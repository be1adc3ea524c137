"""Holding and releasing orders through the API, and reading an order's audit trail."""

import pytest

from inventory.models import StockLevel
from orders.models import Order, OrderStatus
from orders.services import order_start_fulfillment

from ..factories import place_order
from .support import error_of

pytestmark = pytest.mark.django_db


def test_given_an_allocated_order_when_held_then_it_waits_on_hold_keeping_its_stock(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    response = api.post(f"/api/v1/orders/{order.number}/hold/", {"reason": "fraud_risk", "detail": "card flagged"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "on_hold"
    assert [(h["reason"], h["detail"]) for h in body["holds"]] == [("fraud_risk", "card flagged")]
    assert response["ETag"] == f'"{body["version"]}"'
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 2


def test_given_an_order_held_for_a_reason_when_held_again_for_it_then_409(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], payment_status="pending")

    response = api.post(f"/api/v1/orders/{order.number}/hold/", {"reason": "payment"}, format="json")

    assert response.status_code == 409
    assert error_of(response)["code"] == "already_held"


def test_given_an_order_in_fulfillment_when_held_then_409_says_its_status(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    order_start_fulfillment(order_id=order.pk, actor="test")

    response = api.post(f"/api/v1/orders/{order.number}/hold/", {"reason": "manual"}, format="json")

    assert response.status_code == 409
    assert "in fulfillment" in error_of(response)["message"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.IN_FULFILLMENT


@pytest.mark.parametrize("body, field", [({}, "reason"), ({"reason": "boredom"}, "reason"), ({"reason": "manual", "detail": "x" * 501}, "detail")])
def test_when_a_hold_is_malformed_then_400(api, stocked, body, field):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])

    response = api.post(f"/api/v1/orders/{order.number}/hold/", body, format="json")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_given_two_holds_when_one_is_released_by_reason_then_the_order_stays_held_for_the_other(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], payment_status="pending")
    api.post(f"/api/v1/orders/{order.number}/hold/", {"reason": "manual", "detail": "check gift message"}, format="json")

    response = api.post(f"/api/v1/orders/{order.number}/release/", {"reason": "manual", "note": "message fine"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "on_hold"
    assert [h["reason"] for h in response.json()["holds"]] == ["payment"]


def test_given_two_holds_when_released_without_a_reason_then_all_go_and_the_order_is_allocated(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], payment_status="pending")
    api.post(f"/api/v1/orders/{order.number}/hold/", {"reason": "manual"}, format="json")

    response = api.post(f"/api/v1/orders/{order.number}/release/", {"note": "all checked"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "allocated"
    assert response.json()["holds"] == []
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 1


def test_when_a_hold_the_order_does_not_have_is_released_then_409(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], payment_status="pending")

    response = api.post(f"/api/v1/orders/{order.number}/release/", {"reason": "fraud_risk"}, format="json")

    assert response.status_code == 409
    assert error_of(response)["code"] == "no_hold"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ON_HOLD


def test_given_a_stock_hold_whose_sku_is_still_unknown_when_released_then_409_says_so(api, web_channel):
    order = place_order([("GHOST", 1)])

    response = api.post(f"/api/v1/orders/{order.number}/release/", {"reason": "stock"}, format="json")

    assert response.status_code == 409
    assert "GHOST is still unknown" in error_of(response)["message"]


def test_when_a_hold_is_posted_twice_with_the_same_idempotency_key_then_the_first_answer_is_replayed(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    body = {"reason": "manual", "detail": "call customer"}

    first = api.post(f"/api/v1/orders/{order.number}/hold/", body, format="json", HTTP_IDEMPOTENCY_KEY="hold-1")
    again = api.post(f"/api/v1/orders/{order.number}/hold/", body, format="json", HTTP_IDEMPOTENCY_KEY="hold-1")

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


# --- the audit trail ---------------------------------------------------------------------------


def test_given_a_held_then_released_order_when_its_events_are_read_then_the_trail_is_oldest_first_with_actors(client_for, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)], payment_status="pending")
    client = client_for("orders:read", "orders:write")
    client.post(f"/api/v1/orders/{order.number}/release/", {"note": "paid by phone"}, format="json")

    response = client.get(f"/api/v1/orders/{order.number}/events/")

    assert response.status_code == 200, response.json()
    events = response.json()["results"]
    assert [e["kind"] for e in events] == ["created", "hold_placed", "status", "hold_released", "status", "reserved", "status"]
    assert events[0]["actor"] == "test"
    assert events[3]["actor"] == f"api:{client.key_name}"
    assert "paid by phone" in events[3]["message"]
    assert (events[-1]["from_status"], events[-1]["to_status"]) == ("pending", "allocated")
    assert events[3]["data"] == {"reason": "payment"}
    assert set(events[0]) == {"kind", "message", "from_status", "to_status", "data", "actor", "created_at"}


def test_given_a_long_trail_when_read_in_pages_then_every_event_comes_once_in_order(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    for text in ("one", "two", "three"):
        api.patch(f"/api/v1/orders/{order.number}/", {"note": text}, format="json", HTTP_IF_MATCH="*")
    everything = api.get(f"/api/v1/orders/{order.number}/events/", {"page_size": 100}).json()["results"]

    pages, response = [], api.get(f"/api/v1/orders/{order.number}/events/", {"page_size": 2})
    while True:
        pages += response.json()["results"]
        if not response.json()["next"]:
            break
        response = api.get(response.json()["next"])

    assert pages == everything
    assert [e["data"]["changes"]["note"]["to"] for e in everything if e["data"].get("changes")] == ["one", "two", "three"]


def test_when_the_events_of_an_unknown_order_are_read_then_404(api, db):
    response = api.get("/api/v1/orders/SO-0000000/events/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"

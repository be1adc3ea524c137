from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import StockLevel
from orders.models import Order, OrderStatus
from orders.services import order_ship, order_start_fulfillment

from ..factories import ChannelFactory, LocationFactory, place_order
from .support import error_of, order_payload

pytestmark = pytest.mark.django_db


def test_given_stock_when_an_order_is_posted_then_it_is_recorded_allocated_with_its_reservations(api, stocked, warehouse):
    stocked("SKU-A", 5)
    stocked("SKU-B", 5)

    response = api.post(
        "/api/v1/orders/",
        order_payload([("SKU-A", 2), ("SKU-B", 1)], external_id="WEB-1001"),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(external_id="WEB-1001")
    assert body["id"] == order.pk
    assert body["number"] == order.number and body["number"].startswith("SO-")
    assert body["status"] == "allocated"
    assert body["payment_status"] == "paid"
    assert body["channel"] == "web"
    assert body["currency"] == "USD"
    assert body["subtotal"] == "60.00"
    assert body["shipping_price"] == "4.95"
    assert body["grand_total"] == "64.95"
    assert body["holds"] == []
    assert [(line["sku"], line["quantity"], line["unit_price"], line["quantity_reserved"]) for line in body["lines"]] == [
        ("SKU-A", 2, "20.00", 2),
        ("SKU-B", 1, "20.00", 1),
    ]
    assert body["lines"][0]["allocations"] == [{"location": warehouse.code, "quantity": 2}]
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 2


def test_when_an_order_is_posted_then_the_answer_equals_what_reading_it_back_shows(api, stocked):
    stocked("SKU-A", 5)

    created = api.post("/api/v1/orders/", order_payload([("SKU-A", 2)]), format="json").json()

    assert api.get(f"/api/v1/orders/{created['number']}/").json() == created


def test_given_too_little_stock_when_an_order_is_posted_then_it_is_backordered_with_what_could_be_reserved(api, stocked):
    stocked("SKU-A", 1)

    response = api.post("/api/v1/orders/", order_payload([("SKU-A", 3)]), format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "backordered"
    assert response.json()["lines"][0]["quantity_reserved"] == 1


def test_given_unpaid_order_when_posted_then_it_is_recorded_on_hold_with_the_reason(api, stocked):
    stocked("SKU-A", 5)

    response = api.post("/api/v1/orders/", order_payload(payment_status="pending"), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "on_hold"
    assert [hold["reason"] for hold in body["holds"]] == ["payment"]
    assert body["lines"][0]["quantity_reserved"] == 0
    assert body["lines"][0]["allocations"] == []


def test_given_an_unknown_sku_when_posted_then_the_order_is_held_not_refused(api, web_channel):
    response = api.post("/api/v1/orders/", order_payload([("NO-SUCH-SKU", 1)]), format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "on_hold"
    assert [hold["reason"] for hold in response.json()["holds"]] == ["stock"]


def test_given_stock_in_two_locations_when_neither_covers_the_order_then_the_answer_lists_both_allocations(api, stocked, warehouse):
    boston = LocationFactory(code="boston", city="Boston", latitude=42.36, longitude=-71.06)
    stocked("SKU-A", 2)
    stocked("SKU-A", 2, location=boston)

    body = api.post("/api/v1/orders/", order_payload([("SKU-A", 3)]), format="json").json()

    assert body["status"] == "allocated"
    assert sorted((a["location"], a["quantity"]) for a in body["lines"][0]["allocations"]) == [("boston", 2), ("chicago", 1)]


def test_given_recorded_order_when_the_same_channel_and_external_id_arrive_again_then_the_existing_order_is_answered(api, stocked):
    stocked("SKU-A", 5)
    first = api.post("/api/v1/orders/", order_payload([("SKU-A", 1)], external_id="WEB-7"), format="json")

    again = api.post("/api/v1/orders/", order_payload([("SKU-A", 4)], external_id="WEB-7"), format="json")

    assert again.status_code == 200
    assert again.json() == first.json()
    assert Order.objects.filter(external_id="WEB-7").count() == 1
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 1


def test_given_an_api_key_when_it_records_an_order_then_the_audit_trail_names_the_key(client_for, stocked):
    stocked("SKU-A", 5)
    client = client_for("orders:write")

    number = client.post("/api/v1/orders/", order_payload(), format="json").json()["number"]

    labels = set(Order.objects.get(number=number).events.values_list("actor_label", flat=True))
    assert labels == {f"api:{client.key_name}"}


# --- reading ---------------------------------------------------------------------------------


def test_given_an_order_when_fetched_by_number_then_it_is_answered(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    response = api.get(f"/api/v1/orders/{order.number}/")

    assert response.status_code == 200
    assert response.json()["id"] == order.pk
    assert response.json()["lines"][0]["quantity_reserved"] == 2


def test_when_an_unknown_order_number_is_fetched_then_404_in_the_error_shape(api, db):
    response = api.get("/api/v1/orders/SO-9999999/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert "SO-9999999" in error_of(response)["message"]


def test_given_orders_when_listed_then_newest_first_with_a_cursor_to_the_next_page(api, stocked):
    stocked("SKU-A", 10)
    orders = [place_order([("SKU-A", 1)]) for _ in range(3)]

    first = api.get("/api/v1/orders/", {"page_size": 2})
    second = api.get(first.json()["next"])

    assert first.status_code == 200
    assert [o["number"] for o in first.json()["results"]] == [orders[2].number, orders[1].number]
    assert [o["number"] for o in second.json()["results"]] == [orders[0].number]
    assert second.json()["next"] is None


def test_given_orders_when_listed_with_filters_then_only_matching_orders_are_answered(api, stocked):
    stocked("SKU-A", 10)
    stocked("SKU-B", 10)
    ChannelFactory(code="pos", name="Store")
    web_a = place_order([("SKU-A", 1)])
    web_b_held = place_order([("SKU-B", 1), ("SKU-B", 1)], payment_status="pending")
    pos_b = place_order([("SKU-B", 1)], channel="pos")
    Order.objects.filter(pk=web_a.pk).update(created_at=timezone.now() - timedelta(days=10))

    def numbers(**params):
        response = api.get("/api/v1/orders/", params)
        assert response.status_code == 200, response.json()
        return {o["number"] for o in response.json()["results"]}

    assert numbers(status="on_hold") == {web_b_held.number}
    assert numbers(channel="pos") == {pos_b.number}
    assert numbers(channel="web") == {web_a.number, web_b_held.number}
    assert numbers(sku="SKU-B") == {web_b_held.number, pos_b.number}
    assert numbers(created_before=(timezone.now() - timedelta(days=1)).isoformat()) == {web_a.number}
    assert numbers(created_after=(timezone.now() - timedelta(days=1)).isoformat()) == {web_b_held.number, pos_b.number}
    assert numbers(channel="no-such-channel") == set()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "lost"}, "status"),
        ({"created_after": "last tuesday"}, "created_after"),
        ({"created_before": "2025-13-45T00:00:00Z"}, "created_before"),
    ],
)
def test_when_orders_are_listed_with_a_bad_filter_then_400_names_the_filter(api, db, params, field):
    response = api.get("/api/v1/orders/", params)

    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_when_orders_are_listed_with_a_made_up_cursor_then_400_names_the_cursor(api, db):
    response = api.get("/api/v1/orders/", {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"
    assert "first page" in error_of(response)["fields"]["cursor"][0]


# --- cancelling ------------------------------------------------------------------------------


def test_given_an_allocated_order_when_cancelled_then_it_is_cancelled_and_its_stock_released(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 2)])

    response = api.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": "customer changed their mind"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["lines"][0]["quantity_reserved"] == 0
    assert StockLevel.objects.get(product__sku="SKU-A").reserved == 0
    assert Order.objects.get(pk=order.pk).events.filter(message__contains="customer changed their mind").exists()


def test_given_an_order_when_cancelled_without_a_body_then_it_is_cancelled(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])

    response = api.post(f"/api/v1/orders/{order.number}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_given_a_shipped_order_when_cancelled_then_409_says_why_and_nothing_changes(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])
    order_start_fulfillment(order_id=order.pk, actor="test")
    order_ship(order_id=order.pk, actor="test")

    response = api.post(f"/api/v1/orders/{order.number}/cancel/", format="json")

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "invalid_transition"
    assert "shipped" in error["message"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED


def test_when_an_unknown_order_is_cancelled_then_404(api, db):
    response = api.post("/api/v1/orders/SO-0000000/cancel/", format="json")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_when_a_cancel_reason_is_not_text_then_400(api, stocked):
    stocked("SKU-A", 5)
    order = place_order([("SKU-A", 1)])

    response = api.post(f"/api/v1/orders/{order.number}/cancel/", {"reason": {"why": "?"}}, format="json")

    assert response.status_code == 400
    assert "reason" in error_of(response)["fields"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ALLOCATED

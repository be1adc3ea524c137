"""The fulfillment-order API: list with filters and cursor pages, one by number, ship, deliver, move."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fulfillment.models import FulfillmentOrder, FulfillmentStatus
from fulfillment.services import fulfillment_order_pack, fulfillment_order_picking_start
from orders.models import OrderStatus

from ..api.conftest import api, client_for  # noqa: F401
from .fulfillment_support import east, fresh, fresh_fo, in_fulfillment, ledger_reconciles, receive, stock_at  # noqa: F401

URL = "/api/v1/fulfillment-orders/"


def test_given_fulfillment_orders_when_listed_by_location_and_status_then_only_those_come_and_pages_cost_the_same(
    api, receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 50, warehouse)
    receive("SKU-B", 50, east)
    orders = [in_fulfillment([("SKU-A", 1), ("SKU-B", 1)]) for _ in range(6)]

    listed = api.get(URL, {"location": "newark", "status": "pending"})
    assert listed.status_code == 200
    assert {item["location"] for item in listed.json()["results"]} == {"newark"}
    assert len(listed.json()["results"]) == 6
    by_order = api.get(URL, {"order": orders[0].number}).json()["results"]
    assert sorted(item["number"] for item in by_order) == [f"{orders[0].number}-1", f"{orders[0].number}-2"]

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(URL, {"page_size": page_size}).status_code == 200
        return len(captured)

    assert queries(2) == queries(12)
    first = api.get(URL, {"page_size": 5}).json()
    second = api.get(first["next"]).json()
    assert len(first["results"]) == 5 and len(second["results"]) == 5
    assert not {i["number"] for i in first["results"]} & {i["number"] for i in second["results"]}


def test_given_a_key_without_fulfillment_scopes_when_it_reads_or_ships_then_it_is_refused(client_for, receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    fo = FulfillmentOrder.objects.get(order=in_fulfillment([("SKU-A", 1)]))
    reader = client_for("fulfillment:read")

    assert client_for("orders:read").get(URL).status_code == 403
    assert reader.get(f"{URL}{fo.number}/").status_code == 200
    assert reader.post(f"{URL}{fo.number}/ship/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 403


def test_given_a_packed_fulfillment_order_when_shipped_and_delivered_over_the_api_then_the_order_follows(api, receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    fo = FulfillmentOrder.objects.get(order=order)

    refused = api.post(f"{URL}{fo.number}/ship/", {}, format="json", HTTP_IDEMPOTENCY_KEY="ship-early")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "invalid_transition"

    fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor="picker")
    fulfillment_order_pack(fulfillment_order_id=fo.pk, actor="packer")
    shipped = api.post(f"{URL}{fo.number}/ship/", {"tracking_number": "1Z42"}, format="json", HTTP_IDEMPOTENCY_KEY="ship-1")
    assert shipped.status_code == 200, shipped.json()
    assert shipped.json()["status"] == "shipped" and shipped.json()["tracking_number"] == "1Z42"
    assert shipped.json()["lines"][0]["quantity_shipped"] == 2
    assert fresh(order).status == OrderStatus.SHIPPED

    delivered = api.post(f"{URL}{fo.number}/deliver/", {}, format="json", HTTP_IDEMPOTENCY_KEY="deliver-1")
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    assert fresh(order).status == OrderStatus.DELIVERED


def test_given_a_pending_fulfillment_order_when_moved_over_the_api_then_it_ships_from_there_or_is_refused_cleanly(
    api, receive, warehouse, east, in_fulfillment
):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 2)])
    fo = FulfillmentOrder.objects.get(order=order)

    short = api.post(f"{URL}{fo.number}/move/", {"location": "newark"}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    assert short.status_code == 409 and short.json()["error"]["code"] == "insufficient_stock"
    unknown = api.post(f"{URL}{fo.number}/move/", {"location": "atlantis"}, format="json", HTTP_IDEMPOTENCY_KEY="move-2")
    assert unknown.status_code == 400

    receive("SKU-A", 3, east)
    moved = api.post(f"{URL}{fo.number}/move/", {"location": "newark"}, format="json", HTTP_IDEMPOTENCY_KEY="move-3")
    assert moved.status_code == 200 and moved.json()["location"] == "newark"
    assert stock_at("SKU-A", east) == (3, 2) and stock_at("SKU-A", warehouse) == (5, 0)
    assert fresh_fo(fo).status == FulfillmentStatus.PENDING


def test_given_an_unknown_number_when_asked_then_404(api):
    assert api.get(f"{URL}SO-0000000-9/").status_code == 404

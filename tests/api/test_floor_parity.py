"""What a WMS or ERP needs from the floor without the console: send an allocated order to
fulfillment, and download the pick list and packing slip it prints."""

import pytest
from django.utils import timezone

from fulfillment.models import FulfillmentOrder, Package
from fulfillment.services import fulfillment_order_pack
from fulfillment.services.picking import pick_list_build
from inventory.models import Bin, StockLevel
from orders.models import OrderStatus
from orders.services import order_start_fulfillment
from shipping.models import Shipment

from ..factories import place_order
from ..fulfillment.fulfillment_support import carriers  # noqa: F401
from .support import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def allocated(stocked):
    stocked("MUG", 10)
    order = place_order([("MUG", 2)])
    assert order.status == OrderStatus.ALLOCATED
    return order


def test_given_an_allocated_order_when_fulfillment_is_started_then_its_location_gets_a_fulfillment_order(
    api, allocated, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/orders/{allocated.number}/start-fulfillment/", HTTP_IDEMPOTENCY_KEY="start-1")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == OrderStatus.IN_FULFILLMENT
    listed = api.get("/api/v1/fulfillment-orders/", {"order": allocated.number}).json()["results"]
    assert [(row["location"], row["status"]) for row in listed] == [("chicago", "pending")]


def test_given_fulfillment_started_when_the_same_request_is_retried_then_the_first_answer_comes_back(api, allocated):
    first = api.post(f"/api/v1/orders/{allocated.number}/start-fulfillment/", HTTP_IDEMPOTENCY_KEY="start-2")
    again = api.post(f"/api/v1/orders/{allocated.number}/start-fulfillment/", HTTP_IDEMPOTENCY_KEY="start-2")
    fresh_key = api.post(f"/api/v1/orders/{allocated.number}/start-fulfillment/", HTTP_IDEMPOTENCY_KEY="start-3")

    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert fresh_key.status_code == 409 and error_of(fresh_key)["code"] == "invalid_transition"


def test_when_an_order_is_not_allocated_or_unknown_then_fulfillment_cannot_start(api, stocked):
    stocked("MUG", 0)
    backordered = place_order([("MUG", 2)])

    refused = api.post(f"/api/v1/orders/{backordered.number}/start-fulfillment/")
    unknown = api.post("/api/v1/orders/NOPE-1/start-fulfillment/")

    assert refused.status_code == 409 and backordered.number in error_of(refused)["message"]
    assert unknown.status_code == 404
    backordered.refresh_from_db()
    assert backordered.status == OrderStatus.BACKORDERED


def test_a_key_without_orders_write_cannot_start_fulfillment(client_for, allocated):
    response = client_for("orders:read", "fulfillment:write").post(f"/api/v1/orders/{allocated.number}/start-fulfillment/")

    assert response.status_code == 403 and "orders:write" in error_of(response)["message"]
    allocated.refresh_from_db()
    assert allocated.status == OrderStatus.ALLOCATED


@pytest.fixture
def on_the_floor(allocated, warehouse, django_capture_on_commit_callbacks):
    bin_ = Bin.objects.create(location=warehouse, code="A-01-1-03", zone="A")
    StockLevel.objects.filter(product__sku="MUG", location=warehouse).update(bin=bin_)
    with django_capture_on_commit_callbacks(execute=True):
        order_start_fulfillment(order_id=allocated.pk, actor="test")
    fulfillment_order = FulfillmentOrder.objects.get(order=allocated)
    [pick_list] = pick_list_build(location="chicago", fulfillment_order_ids=[fulfillment_order.pk], kind="single", actor="test")
    return fulfillment_order, pick_list


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    return response["Content-Disposition"]


def test_when_a_wms_downloads_the_pick_list_then_it_gets_the_printed_pdf(client_for, on_the_floor):
    _, pick_list = on_the_floor

    response = client_for("fulfillment:read").get(f"/api/v1/pick-lists/{pick_list.pk}/document.pdf", HTTP_ACCEPT="application/pdf")

    assert f'filename="pick-list-{pick_list.number}.pdf"' in _pdf_text(response)


def test_when_a_wms_downloads_the_packing_slip_then_it_gets_the_printed_pdf(client_for, on_the_floor):
    fulfillment_order, _ = on_the_floor

    response = client_for("fulfillment:read").get(f"/api/v1/fulfillment-orders/{fulfillment_order.number}/packing-slip.pdf")

    assert f'filename="packing-slip-{fulfillment_order.number}.pdf"' in _pdf_text(response)


def test_when_a_document_names_nothing_then_404_comes_in_the_error_shape_even_to_a_pdf_client(api):
    pick_list = api.get("/api/v1/pick-lists/999999/document.pdf", HTTP_ACCEPT="application/pdf")
    slip = api.get("/api/v1/fulfillment-orders/NOPE-1/packing-slip.pdf", HTTP_ACCEPT="application/pdf")

    assert pick_list.status_code == 404 and error_of(pick_list)["code"] == "not_found"
    assert slip.status_code == 404 and error_of(slip)["code"] == "not_found"


def test_a_key_without_fulfillment_read_gets_no_documents(client_for, on_the_floor):
    fulfillment_order, pick_list = on_the_floor
    client = client_for("orders:read")

    assert client.get(f"/api/v1/pick-lists/{pick_list.pk}/document.pdf").status_code == 403
    assert client.get(f"/api/v1/fulfillment-orders/{fulfillment_order.number}/packing-slip.pdf").status_code == 403


def test_when_a_packed_fulfillment_order_ships_with_a_booking_then_the_answer_leads_to_its_label(
    api, on_the_floor, carriers  # noqa: F811
):
    fulfillment_order, _ = on_the_floor
    # (building the pick list put it in picking)
    fulfillment_order_pack(fulfillment_order_id=fulfillment_order.pk, actor="packer")
    Package.objects.create(fulfillment_order=fulfillment_order, weight_grams=900, closed_at=timezone.now())

    shipped = api.post(f"/api/v1/fulfillment-orders/{fulfillment_order.number}/ship/", {}, format="json").json()

    assert shipped["shipment"] is not None and shipped["tracking_number"]
    assert shipped["label_url"] == f"/api/v1/shipments/{shipped['shipment']}/label.pdf"
    assert api.get(shipped["label_url"]).content.startswith(b"%PDF")
    assert Shipment.objects.get(pk=shipped["shipment"]).tracking_number == shipped["tracking_number"]


def test_a_fulfillment_order_not_shipped_has_no_shipment_or_label(api, on_the_floor):
    fulfillment_order, _ = on_the_floor

    body = api.get(f"/api/v1/fulfillment-orders/{fulfillment_order.number}/").json()

    assert (body["shipment"], body["label_url"]) == (None, None)

"""An order may name the pickup point its customer chose: it ships there with a pickup-point
service; an order that names none ships to the door."""

import pytest
from django.utils import timezone

from fulfillment.models import FulfillmentOrder, Package
from fulfillment.services import fulfillment_order_pack, fulfillment_order_picking_start
from orders.models import Order
from orders.services import order_start_fulfillment
from shipping.models import DeliveryKind, Shipment

from ..fulfillment.fulfillment_support import carriers  # noqa: F401
from .support import error_of, order_payload

pytestmark = pytest.mark.django_db

LOCKER = {"pickup_point": "US-BOS-0042", "pickup_point_name": "Locker Boston South Station"}


@pytest.fixture
def shop(api, stocked, carriers):
    stocked("SKU-A", 20, weight_grams=600)
    return api


def place_and_ship(shop, payload, django_capture_on_commit_callbacks) -> tuple[dict, dict]:
    """POST the order, pick and pack it on the floor, ship it over the API: (order, shipped) bodies."""
    placed = shop.post("/api/v1/orders/", payload, format="json")
    assert placed.status_code == 201, placed.json()
    order = Order.objects.get(number=placed.json()["number"])
    with django_capture_on_commit_callbacks(execute=True):
        order_start_fulfillment(order_id=order.pk, actor="test")
    fulfillment_order = FulfillmentOrder.objects.get(order=order)
    fulfillment_order_picking_start(fulfillment_order_id=fulfillment_order.pk, actor="picker")
    fulfillment_order_pack(fulfillment_order_id=fulfillment_order.pk, actor="packer")
    Package.objects.create(fulfillment_order=fulfillment_order, weight_grams=1300, closed_at=timezone.now())
    shipped = shop.post(f"/api/v1/fulfillment-orders/{fulfillment_order.number}/ship/", {}, format="json", HTTP_IDEMPOTENCY_KEY=order.number)
    assert shipped.status_code == 200, shipped.json()
    return placed.json(), shipped.json()


def test_an_order_naming_a_pickup_point_ships_there_with_a_pickup_point_service(shop, django_capture_on_commit_callbacks):
    # Given an order whose customer chose a locker
    payload = order_payload((("SKU-A", 2),))
    payload["shipping_address"].update(LOCKER)

    # When it is placed, picked, packed and shipped
    order, shipped = place_and_ship(shop, payload, django_capture_on_commit_callbacks)

    # Then the order keeps the locker, and the parcel goes there with a pickup-point service
    assert {key: order["shipping_address"][key] for key in LOCKER} == LOCKER
    shipment = Shipment.objects.select_related("service").get(tracking_number=shipped["tracking_number"])
    assert shipment.service.delivery_kind == DeliveryKind.PICKUP_POINT
    assert shipment.destination["pickup_point"] == "US-BOS-0042"


def test_an_order_without_a_pickup_point_ships_to_the_door(shop, django_capture_on_commit_callbacks):
    # Given an order to a home address (where the pickup-point service would be the cheapest)
    order, shipped = place_and_ship(shop, order_payload((("SKU-A", 2),)), django_capture_on_commit_callbacks)

    # Then the parcel goes to the door, and the order's address names no pickup point
    shipment = Shipment.objects.select_related("service").get(tracking_number=shipped["tracking_number"])
    assert shipment.service.delivery_kind == DeliveryKind.HOME
    assert "pickup_point" not in order["shipping_address"]


def test_a_pickup_point_name_without_its_id_is_refused_saying_what_to_give(shop):
    payload = order_payload()
    payload["shipping_address"]["pickup_point_name"] = "Locker Boston South Station"

    response = shop.post("/api/v1/orders/", payload, format="json")

    assert response.status_code == 400
    assert "shipping_address.pickup_point" in error_of(response)["fields"]
    assert not Order.objects.exists()


"""Fulfillment orders ship through shipments: booking when they ship, carrier events moving them."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from fulfillment.models import FulfillmentOrder, FulfillmentStatus, Package, PackageType
from fulfillment.services import (
    NO_BOOKING,
    fulfillment_order_pack,
    fulfillment_order_picking_start,
    fulfillment_order_ship,
    on_shipment_delivered,
)
from oms.errors import DomainError, InvalidInput
from oms.models import DomainEvent
from orders.models import OrderEvent, OrderStatus
from shipping.demo import demo_shipping_seed
from shipping.models import Shipment, ShipmentStatus
from shipping.s10 import s10_is_valid
from shipping.selectors import rate_card_forget
from shipping.services import tracking_events_record

from ..api.conftest import api, client_for  # noqa: F401
from .fulfillment_support import carriers, fresh, fresh_fo, in_fulfillment, ledger_reconciles, receive, stock_at  # noqa: F401

URL = "/api/v1/fulfillment-orders/"


@pytest.fixture
def packed_order(receive, warehouse, in_fulfillment):
    """An order of 2 × SKU-A from Chicago to Boston, packed into two weighed boxes."""

    def make(boxes=(1200, 800)):
        receive("SKU-A", 10, warehouse)
        order = in_fulfillment([("SKU-A", 2)])
        fo = FulfillmentOrder.objects.get(order=order)
        fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor="picker")
        fulfillment_order_pack(fulfillment_order_id=fo.pk, actor="packer")
        box = PackageType.objects.create(code="m-box", name="Medium box", inner_length_mm=300, inner_width_mm=200, inner_height_mm=150, max_weight_grams=5000)
        for grams in boxes:
            Package.objects.create(fulfillment_order=fo, package_type=box, weight_grams=grams, closed_at=timezone.now())
        return order, fresh_fo(fo)

    return make


def notes(order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.NOTE).order_by("pk").values_list("message", flat=True))


def carrier_scan(shipment: Shipment, code: str, event_id: str, django_capture_on_commit_callbacks, status_text: str = ""):
    """The carrier posts one tracking event per parcel of the shipment (later ids are later
    scans); the domain events recorded are dispatched as after a commit. The last result."""
    at = (timezone.now() + datetime.timedelta(minutes=len(event_id))).isoformat()
    events = [
        {"event_id": f"{event_id}-{number}", "tracking_number": number, "code": code, "status_text": status_text, "location": "Boston MA", "occurred_at": at}
        for number in shipment.parcels.order_by("sequence").values_list("tracking_number", flat=True)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        return tracking_events_record(carrier_code=shipment.carrier.code, actor="test", events=events)[-1]


# --- booking when shipping -----------------------------------------------------------------------


def test_given_carriers_when_a_packed_fulfillment_order_ships_then_the_cheapest_service_is_booked_with_its_packages_as_parcels(
    carriers, packed_order
):
    order, fo = packed_order()

    fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")

    fo = fresh_fo(fo)
    shipment = Shipment.objects.get()
    assert fo.status == FulfillmentStatus.SHIPPED and fresh(order).status == OrderStatus.SHIPPED
    assert fo.shipment_id == shipment.pk and fo.tracking_number == shipment.tracking_number
    assert s10_is_valid(fo.tracking_number) and fo.tracking_number.startswith("CP") and fo.tracking_number.endswith("US")
    # US to US, 1.2 kg and 0.8 kg, to the door: ground is the cheapest (pickup point is cheaper, but
    # the order asked for no pickup point; EuroParcel has no US zone).
    assert (fo.carrier_code, fo.service_code) == ("oms-post", "ground")
    assert (shipment.reference, shipment.origin["country"], shipment.destination["postal_code"]) == (fo.number, "US", "02108")
    parcels = list(shipment.parcels.order_by("sequence").values_list("weight_kg", "length_cm", "width_cm", "height_cm"))
    assert parcels == [(Decimal("1.2"), Decimal("30"), Decimal("20"), Decimal("15")), (Decimal("0.8"), Decimal("30"), Decimal("20"), Decimal("15"))]
    assert any(fo.tracking_number in note and "cheapest" in note for note in notes(order))


def test_given_a_named_carrier_and_service_when_shipping_then_that_service_is_booked(carriers, packed_order):
    order, fo = packed_order()

    fulfillment_order_ship(fulfillment_order_id=fo.pk, carrier="oms-post", service="overnight", actor="dock")

    fo = fresh_fo(fo)
    assert (fo.carrier_code, fo.service_code) == ("oms-post", "overnight")
    assert Shipment.objects.get().service.code == "overnight"


def test_given_a_policy_for_the_fastest_when_shipping_then_the_settings_policy_chooses(carriers, packed_order, settings):
    settings.OMS_SHIPPING_POLICY = {"goal": "fastest_within_cap", "cost_cap": None, "allowed": []}
    order, fo = packed_order()

    fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")

    assert fresh_fo(fo).service_code == "overnight"


def test_given_no_carrier_when_shipping_then_it_ships_as_before_and_the_timeline_says_no_booking(packed_order):
    order, fo = packed_order()

    fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")

    fo = fresh_fo(fo)
    assert fo.status == FulfillmentStatus.SHIPPED and fo.shipment_id is None and fo.tracking_number == ""
    assert not Shipment.objects.exists()
    assert any(NO_BOOKING in note for note in notes(order))


def test_given_a_tracking_number_from_elsewhere_when_shipping_then_nothing_is_booked(carriers, packed_order):
    order, fo = packed_order()

    fulfillment_order_ship(fulfillment_order_id=fo.pk, tracking_number="1Z999", actor="dock")

    assert fresh_fo(fo).tracking_number == "1Z999" and not Shipment.objects.exists()
    with pytest.raises(InvalidInput):
        fulfillment_order_ship(fulfillment_order_id=fo.pk, tracking_number="1Z1", carrier="oms-post", actor="dock")


def test_given_a_service_that_cannot_carry_it_when_shipping_then_nothing_ships_and_the_error_says_why(carriers, packed_order, warehouse):
    order, fo = packed_order()
    before = stock_at("SKU-A", warehouse)

    # EuroParcel carries within Europe; this parcel goes from Chicago to Boston.
    with pytest.raises(DomainError) as refused:
        fulfillment_order_ship(fulfillment_order_id=fo.pk, carrier="europarcel", service="standard", actor="dock")

    assert f"{fo.number} was not shipped" in refused.value.message and "europarcel:standard" in refused.value.message
    assert fresh_fo(fo).status == FulfillmentStatus.PACKED and fresh(order).status == OrderStatus.IN_FULFILLMENT
    assert not Shipment.objects.exists() and stock_at("SKU-A", warehouse) == before


def test_given_a_destination_no_carrier_serves_when_rate_shopping_then_nothing_ships(carriers, receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)
    order = in_fulfillment([("SKU-A", 1)])
    order.shipping_address = {**order.shipping_address, "country": "JP", "postal_code": "100-0001"}
    order.save(update_fields=["shipping_address"])
    fo = FulfillmentOrder.objects.get(order=order)
    fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor="picker")
    fulfillment_order_pack(fulfillment_order_id=fo.pk, actor="packer")

    with pytest.raises(DomainError) as refused:
        fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")

    assert refused.value.code == "no_carrier_service" and "JP" in refused.value.message
    assert fresh_fo(fo).status == FulfillmentStatus.PACKED and not Shipment.objects.exists()


def test_given_no_packages_when_booking_then_the_products_weight_makes_one_parcel(carriers, receive, warehouse, in_fulfillment):
    receive("SKU-A", 5, warehouse)  # products of the factory weigh 500 g
    order = in_fulfillment([("SKU-A", 3)])
    fo = FulfillmentOrder.objects.get(order=order)
    fulfillment_order_picking_start(fulfillment_order_id=fo.pk, actor="picker")
    fulfillment_order_pack(fulfillment_order_id=fo.pk, actor="packer")

    fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")

    assert list(Shipment.objects.get().parcels.values_list("weight_kg", flat=True)) == [Decimal("1.5")]


# --- carrier events ------------------------------------------------------------------------------


def test_given_a_booked_shipment_when_the_carrier_reports_it_delivered_then_the_fulfillment_order_and_order_are_delivered(
    carriers, packed_order, django_capture_on_commit_callbacks
):
    order, fo = packed_order()
    fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")
    shipment = Shipment.objects.get()

    carrier_scan(shipment, "in_transit", "e1", django_capture_on_commit_callbacks)
    assert fresh_fo(fo).status == FulfillmentStatus.SHIPPED
    result = carrier_scan(shipment, "delivered", "e2", django_capture_on_commit_callbacks)

    assert result.status == ShipmentStatus.DELIVERED
    assert fresh_fo(fo).status == FulfillmentStatus.DELIVERED and fresh(order).status == OrderStatus.DELIVERED
    # The same event handed over again changes nothing.
    event = DomainEvent.objects.get(name="shipment.delivered")
    version = fresh_fo(fo).version
    on_shipment_delivered(event)
    assert fresh_fo(fo).version == version


def test_given_a_booked_shipment_when_the_carrier_reports_an_exception_then_the_order_timeline_says_so(
    carriers, packed_order, django_capture_on_commit_callbacks
):
    order, fo = packed_order()
    fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")
    shipment = Shipment.objects.get()

    carrier_scan(shipment, "exception", "e1", django_capture_on_commit_callbacks, status_text="Address not found")

    fo = fresh_fo(fo)
    assert fo.status == FulfillmentStatus.SHIPPED
    exception_notes = [note for note in notes(order) if "delivery exception" in note]
    assert len(exception_notes) == 1
    assert fo.number in exception_notes[0] and shipment.tracking_number in exception_notes[0] and "Address not found" in exception_notes[0]
    event = OrderEvent.objects.filter(order=order, message=exception_notes[0]).get()
    assert event.actor_label == "carrier:oms-post"


def test_given_a_returned_shipment_when_the_carrier_reports_it_then_the_timeline_says_returned(
    carriers, packed_order, django_capture_on_commit_callbacks
):
    order, fo = packed_order()
    fulfillment_order_ship(fulfillment_order_id=fo.pk, actor="dock")
    shipment = Shipment.objects.get()

    carrier_scan(shipment, "in_transit", "e1", django_capture_on_commit_callbacks)
    carrier_scan(shipment, "returned_to_sender", "e22", django_capture_on_commit_callbacks)

    assert any("returned to sender" in note and fo.number in note for note in notes(order))
    assert fresh_fo(fo).status == FulfillmentStatus.SHIPPED


# --- the API -------------------------------------------------------------------------------------


def test_given_carriers_when_shipped_over_the_api_then_the_answer_carries_the_tracking_number(carriers, api, packed_order):
    order, fo = packed_order()

    shipped = api.post(f"{URL}{fo.number}/ship/", {"carrier": "oms-post", "service": "express"}, format="json", HTTP_IDEMPOTENCY_KEY="ship-1")

    assert shipped.status_code == 200, shipped.json()
    body = shipped.json()
    assert body["status"] == "shipped" and (body["carrier"], body["service"]) == ("oms-post", "express")
    assert body["tracking_number"] == Shipment.objects.get().tracking_number and s10_is_valid(body["tracking_number"])


def test_given_a_refused_booking_over_the_api_then_the_answer_is_a_clear_error_and_nothing_ships(carriers, api, packed_order):
    order, fo = packed_order()

    refused = api.post(f"{URL}{fo.number}/ship/", {"carrier": "oms-post", "service": "teleport"}, format="json", HTTP_IDEMPOTENCY_KEY="ship-2")
    only_service = api.post(f"{URL}{fo.number}/ship/", {"service": "ground"}, format="json", HTTP_IDEMPOTENCY_KEY="ship-3")

    assert refused.status_code == 404 and "teleport" in refused.json()["error"]["message"]
    assert only_service.status_code == 400 and "carrier" in only_service.json()["error"]["message"]
    assert fresh_fo(fo).status == FulfillmentStatus.PACKED

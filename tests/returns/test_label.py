"""A return label from the RMA, and the carrier's first scan moving the return on."""

import datetime

import pytest
from django.utils import timezone

from inventory.models import Location
from oms.errors import InvalidTransition
from orders.models import Order
from returns.models import ReturnEvent, ReturnPolicy, ReturnStatus, ShippingPaidBy
from returns.services import return_cancel, return_label_issue, return_request
from shipping.models import ShipmentDirection, ShipmentStatus
from shipping.services import tracking_events_record

from ..shipping.test_shipments import carriers  # noqa: F401 (the autouse fixture: the demo carriers)
from ..factories import place_order
from ..fulfillment.fulfillment_support import ship_in_one_box
from .conftest import fresh, line

pytestmark = pytest.mark.django_db


def test_an_approved_return_gets_a_label_to_the_receiving_location_and_the_first_scan_puts_it_in_transit(
    shipped_order, django_capture_on_commit_callbacks,
):
    order = shipped_order([("SKU-A", 2)])
    Location.objects.filter(code="chicago").update(postal_code="60601", line1="1 Dock St")
    rma = return_request(order_id=order.pk, lines=[line(1, 2)], actor="portal")

    return_label_issue(return_id=rma.pk, carrier_code="oms-post", service_code="ground", location="chicago", actor="cs")

    rma = fresh(rma)
    assert rma.status == ReturnStatus.LABEL_ISSUED
    shipment = rma.shipment
    assert shipment.direction == ShipmentDirection.RETURN and shipment.reference == rma.number
    assert shipment.origin["postal_code"] == "02108" and shipment.destination["postal_code"] == "60601"
    scan = {"event_id": "first", "tracking_number": shipment.tracking_number, "code": "in_transit", "status_text": "accepted",
            "location": "Boston MA", "occurred_at": (timezone.now() - datetime.timedelta(minutes=5)).isoformat()}
    with django_capture_on_commit_callbacks(execute=True):
        tracking_events_record(carrier_code="oms-post", events=[scan], actor="carrier")
    assert fresh(rma).status == ReturnStatus.IN_TRANSIT


def test_a_label_needs_an_approved_return(shipped_order):
    ReturnPolicy.objects.filter(channel__isnull=True).update(auto_approve=False)
    order = shipped_order([("SKU-A", 1)])
    rma = return_request(order_id=order.pk, lines=[line()], actor="portal")
    with pytest.raises(InvalidTransition, match="only an approved return gets a label"):
        return_label_issue(return_id=rma.pk, carrier_code="oms-post", service_code="ground", location="chicago", actor="cs")
    assert fresh(rma).shipment is None


def test_a_customer_paying_return_shipping_gets_the_label_price_deducted_from_the_refund(shipped_order):
    from decimal import Decimal

    from returns.models import ReturnReason
    from returns.services import InspectionData, ReceivedItem, return_inspect, return_receive, return_refund

    ReturnReason.objects.filter(code="too_small").update(shipping_paid_by="customer", restocking_fee_percent=0, restocking_fee_fixed=0)
    order = shipped_order([("SKU-A", 2)])
    Location.objects.filter(code="chicago").update(postal_code="60601", line1="1 Dock St")
    rma = return_request(order_id=order.pk, lines=[line(1, 2, "too_small")], actor="portal")
    return_label_issue(return_id=rma.pk, carrier_code="oms-post", service_code="ground", location="chicago", actor="cs")
    return_receive(return_id=rma.pk, location="chicago", items=[ReceivedItem("SKU-A", 2)], actor="dock")
    return_inspect(return_id=rma.pk, lines=[InspectionData(line_number=1, condition="new", disposition="restock")], actor="dock")
    label_price = fresh(rma).shipment.price

    refund = return_refund(return_id=rma.pk, actor="cs")

    assert label_price > 0
    assert refund.breakdown["label_cost"] == str(label_price.quantize(Decimal("0.01")))
    assert refund.amount == Decimal("40.00") - label_price
# --- the outbound shipment, who pays, and cancelling -------------------------------------------


@pytest.fixture
def shipped_with_shipment(stocked, django_capture_on_commit_callbacks):
    """An order of 2 × SKU-A shipped from Chicago through its fulfillment order, which booked an
    outbound shipment (the way orders leave the building); the order and that shipment."""

    def make():
        stocked("SKU-A", 5)
        order = place_order([("SKU-A", 2)])
        shipment = ship_in_one_box(order, django_capture_on_commit_callbacks)
        return Order.objects.get(pk=order.pk), shipment

    return make


def issue(rma):
    return return_label_issue(return_id=rma.pk, carrier_code="oms-post", service_code="ground", location="chicago", actor="cs")


def test_the_return_label_returns_the_outbound_shipment_and_the_customer_pays_it_for_a_size_return(shipped_with_shipment):
    order, outbound = shipped_with_shipment()
    rma = return_request(order_id=order.pk, lines=[line(1, 1, reason="too_small")], actor="portal")

    issue(rma)

    rma = fresh(rma)
    assert rma.shipment.return_of_id == outbound.pk and rma.shipment.direction == ShipmentDirection.RETURN
    assert rma.label_paid_by == ShippingPaidBy.CUSTOMER
    assert rma.label_cost == rma.shipment.price and rma.label_cost > 0 and rma.label_currency == rma.shipment.currency


def test_a_damaged_item_makes_the_label_the_merchants_and_an_order_shipped_without_a_shipment_returns_none(shipped_order):
    order = shipped_order([("SKU-A", 2)])  # shipped by the order service alone: no shipment of ours
    rma = return_request(order_id=order.pk, lines=[line(1, 1, reason="damaged")], actor="portal")

    issue(rma)

    rma = fresh(rma)
    assert rma.label_paid_by == ShippingPaidBy.MERCHANT and rma.shipment.return_of_id is None


def test_cancelling_a_return_with_a_label_voids_the_label(shipped_order):
    order = shipped_order([("SKU-A", 1)])
    rma = return_request(order_id=order.pk, lines=[line()], actor="portal")
    issue(rma)

    return_cancel(return_id=rma.pk, reason="kept it", actor="cs")

    rma = fresh(rma)
    assert rma.status == ReturnStatus.CANCELLED and rma.shipment.status == ShipmentStatus.VOIDED
    assert ReturnEvent.objects.filter(request=rma, kind=ReturnEvent.Kind.LABEL, message__endswith="voided").exists()
    assert rma.needs_attention == ""


def test_cancelling_a_return_whose_parcel_the_carrier_has_leaves_the_label_for_a_person(shipped_order, django_capture_on_commit_callbacks):
    order = shipped_order([("SKU-A", 1)])
    rma = return_request(order_id=order.pk, lines=[line()], actor="portal")
    issue(rma)
    shipment = fresh(rma).shipment
    scan = {"event_id": "s1", "tracking_number": shipment.tracking_number, "code": "in_transit", "status_text": "accepted",
            "location": "Boston MA", "occurred_at": (timezone.now() - datetime.timedelta(minutes=5)).isoformat()}
    with django_capture_on_commit_callbacks(execute=True):
        tracking_events_record(carrier_code="oms-post", events=[scan], actor="carrier")

    return_cancel(return_id=rma.pk, actor="cs")

    rma = fresh(rma)
    assert rma.status == ReturnStatus.CANCELLED and rma.shipment.status != ShipmentStatus.VOIDED
    assert "return label not voided" in rma.needs_attention

"""A return label from the RMA, and the carrier's first scan moving the return on."""

import datetime

import pytest
from django.utils import timezone

from inventory.models import Location
from oms.errors import InvalidTransition
from returns.models import ReturnPolicy, ReturnStatus
from returns.services import return_label_issue, return_request
from shipping.models import ShipmentDirection
from shipping.services import tracking_events_record

from ..shipping.test_shipments import carriers  # noqa: F401 (the autouse fixture: the demo carriers)
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

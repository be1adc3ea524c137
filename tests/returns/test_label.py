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

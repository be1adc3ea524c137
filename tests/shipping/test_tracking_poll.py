"""Polling carriers for tracking: what a carrier's API answers is recorded as if it had been
posted, once; push-only carriers are not asked; a carrier that fails leaves the others alone."""

import datetime

import pytest

from oms.errors import DomainError
from shipping import carriers as carrier_registry
from shipping.carriers.base import TrackingEvent
from shipping.carriers.table_rate import TableRateCarrier
from shipping.models import Carrier, ShipmentStatus, TrackingEvent as StoredEvent
from shipping.selectors import rate_card_forget
from shipping.services import shipments_track_poll

from .test_shipments import MONDAY, book, carriers, fresh  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
ASKED: list[str] = []


class PollingCarrier(TableRateCarrier):
    """Books like the built-in carrier; its tracking API knows two scans of every parcel, and
    nothing of parcels named BAD."""

    def track(self, tracking_number):
        ASKED.append(tracking_number)
        if tracking_number.startswith("BAD"):
            raise DomainError("no tracking data yet", code="tracking_not_found")
        return [
            TrackingEvent(tracking_number, "in_transit", MONDAY + 5 * HOUR, "Chicago IL", "Picked up"),
            TrackingEvent(tracking_number, "out_for_delivery", MONDAY + 30 * HOUR, "Austin TX", "With courier", event_id="OFD-1"),
        ]


@pytest.fixture
def polled(monkeypatch):
    """OMS Post answers through a polling API (the DHL slot of the registry, faked)."""
    ASKED.clear()
    monkeypatch.setitem(carrier_registry.ADAPTERS, Carrier.Adapter.DHL_EXPRESS, PollingCarrier)
    shipment = book()
    Carrier.objects.filter(code="oms-post").update(adapter=Carrier.Adapter.DHL_EXPRESS)
    rate_card_forget()
    yield shipment
    rate_card_forget()


def test_what_the_carrier_answers_is_recorded_once_and_moves_the_shipment(polled):
    first = shipments_track_poll(actor="test")
    again = shipments_track_poll(actor="test")

    assert first == {"polled": 1, "recorded": 2, "failed": 0}
    assert again == {"polled": 1, "recorded": 0, "failed": 0}  # the same events: duplicates change nothing
    assert fresh(polled).status == ShipmentStatus.OUT_FOR_DELIVERY
    assert StoredEvent.objects.filter(shipment=polled).count() == 2
    assert ASKED == [polled.tracking_number, polled.tracking_number]


def test_push_only_carriers_are_not_asked():
    ASKED.clear()
    book()

    assert shipments_track_poll(actor="test") == {"polled": 0, "recorded": 0, "failed": 0}


def test_a_carrier_failing_for_one_shipment_does_not_stop_the_others(polled):
    broken = book()
    broken.parcels.update(tracking_number="BAD0001")

    counts = shipments_track_poll(actor="test")

    assert counts == {"polled": 2, "recorded": 2, "failed": 1}
    assert fresh(polled).status == ShipmentStatus.OUT_FOR_DELIVERY
    assert fresh(broken).status == ShipmentStatus.LABEL_CREATED


def test_delivered_shipments_are_not_polled(polled):
    type(polled).objects.filter(pk=polled.pk).update(status=ShipmentStatus.DELIVERED)

    assert shipments_track_poll(actor="test")["polled"] == 0

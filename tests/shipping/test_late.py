"""Late shipments: past the promised date, or silent for N working days; flagged once per reason."""

import datetime

import pytest

from oms.models import DomainEvent
from shipping.models import Shipment, ShipmentStatus
from shipping.services import shipment_void, shipments_flag_late
from shipping.tasks import shipments_flag_late as flag_task

from .test_shipments import NEW_YORK, book, carriers, fresh, scan  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12) -> datetime.datetime:
    """Noon in New York on a day of March 2026 (the 2nd is a Monday)."""
    return datetime.datetime(2026, 3, day, hour, tzinfo=NEW_YORK)


def late_events(shipment) -> list[str]:
    return list(DomainEvent.objects.filter(name="shipment.late", stream=f"shipment:{shipment.pk}").order_by("id").values_list("payload__reason", flat=True))


@pytest.fixture
def promised_friday(settings):
    settings.OMS_SHIPPING_NO_SCAN_DAYS = 30  # only the promise counts here
    shipment = book()
    assert shipment.promised_delivery_date == datetime.date(2026, 3, 6)
    scan(shipment, "in_transit", at(2, 15))
    return shipment


def test_not_late_on_the_promised_day_itself(promised_friday):
    assert shipments_flag_late(now=at(6, 23), actor="test") == 0
    assert not fresh(promised_friday).late


def test_past_the_promised_date_and_not_delivered_is_late_once(promised_friday):
    first = shipments_flag_late(now=at(7, 9), actor="test")
    second = shipments_flag_late(now=at(8, 9), actor="test")

    stored = fresh(promised_friday)
    assert (first, second) == (1, 0)
    assert stored.late and stored.late_reason == "not delivered by the promised Fri 2026-03-06"
    assert late_events(promised_friday) == ["past_promised_date"]
    payload = DomainEvent.objects.get(name="shipment.late").payload
    assert payload["reference"] == "SO-0000042-1" and payload["tracking_number"] == promised_friday.tracking_number


def test_the_day_is_the_carriers(promised_friday):
    # 01:00 on Saturday in UTC is still Friday evening in New York.
    assert shipments_flag_late(now=datetime.datetime(2026, 3, 7, 1, 0, tzinfo=datetime.UTC), actor="test") == 0


def test_a_delivered_returned_or_voided_shipment_is_never_late(promised_friday):
    scan(promised_friday, "delivered", at(9))
    returned = book()
    scan(returned, "in_transit", at(2, 15))
    scan(returned, "returned_to_sender", at(5))
    voided = book()
    shipment_void(shipment_id=voided.pk, actor="test")

    assert shipments_flag_late(now=at(20), actor="test") == 0
    assert not Shipment.objects.filter(late=True).exists()


@pytest.fixture
def two_days(settings):
    settings.OMS_SHIPPING_NO_SCAN_DAYS = 2


def test_no_scan_for_n_working_days_is_late(two_days):
    shipment = book(service_code="pickup_point")  # promised Monday 9th
    scan(shipment, "in_transit", at(2, 15))  # Monday

    assert shipments_flag_late(now=at(4, 20), actor="test") == 0  # only Tuesday has gone by
    assert shipments_flag_late(now=at(5, 8), actor="test") == 1  # Tuesday and Wednesday

    stored = fresh(shipment)
    assert stored.late and stored.late_reason == "no scan for 2 working days (last: 2026-03-02)"
    assert late_events(shipment) == ["no_scan"]


def test_weekends_do_not_count_as_days_without_a_scan(two_days):
    shipment = book(service_code="pickup_point", ship_at=at(6, 9))  # promised Friday 13th
    scan(shipment, "in_transit", at(6, 10))  # Friday

    assert shipments_flag_late(now=at(9, 20), actor="test") == 0  # Sat, Sun do not count; Monday not over
    assert shipments_flag_late(now=at(11, 8), actor="test") == 1  # Monday and Tuesday


def test_a_new_scan_keeps_it_from_being_late(two_days):
    shipment = book(service_code="pickup_point")
    scan(shipment, "in_transit", at(2, 15))
    scan(shipment, "arrived_at_facility", at(4, 9))

    assert shipments_flag_late(now=at(5, 8), actor="test") == 0


def test_a_label_never_scanned_counts_from_its_collection_date(two_days):
    shipment = book(service_code="pickup_point")  # collected Monday 2 March

    assert shipments_flag_late(now=at(4, 20), actor="test") == 0
    assert shipments_flag_late(now=at(5, 8), actor="test") == 1
    assert "never scanned" in fresh(shipment).late_reason


def test_both_reasons_are_flagged_each_once_and_the_task_is_safe_to_run_twice(two_days, settings):
    shipment = book()  # promised Friday 6 March
    scan(shipment, "in_transit", at(2, 15))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.timezone.now", lambda: at(10, 9))
        assert flag_task.delay().get() == 2
        assert flag_task.delay().get() == 0

    assert late_events(shipment) == ["past_promised_date", "no_scan"]
    assert fresh(shipment).status == ShipmentStatus.IN_TRANSIT

"""Shipments: the lifecycle, booking with the built-in carrier, voiding."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django_fsm import TransitionNotAllowed

from oms.errors import InvalidInput, InvalidTransition, NotFound
from oms.models import DomainEvent
from shipping.demo import demo_shipping_seed
from shipping.models import Shipment, ShipmentStatus
from shipping.rating import Address, Parcel, quote
from shipping.s10 import s10_is_valid
from shipping.selectors import rate_card, rate_card_forget
from shipping.services import shipment_create, shipment_void, tracking_events_record

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# A Monday morning in the carrier's time zone, before its 17:00 cut-off.
MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=NEW_YORK)
ORIGIN = {"name": "Chicago DC", "line1": "1 Dock St", "city": "Chicago", "postal_code": "60601", "country": "US"}
DESTINATION = {"name": "Ada Lovelace", "line1": "5 Main St", "city": "Austin", "postal_code": "73301", "country": "us", "residential": True}


@pytest.fixture(autouse=True)
def carriers(db):
    rate_card_forget()
    demo_shipping_seed()
    yield
    rate_card_forget()


def book(**overrides) -> Shipment:
    """A shipment with OMS Post ground, Chicago to Austin, one 2 kg parcel, booked Monday morning."""
    arguments = dict(
        carrier_code="oms-post", service_code="ground", origin=ORIGIN, destination=DESTINATION,
        parcels=[{"weight_kg": "2", "length_cm": 30, "width_cm": 20, "height_cm": 10}], reference="SO-0000042-1",
        declared_value=Decimal("0"), ship_at=MONDAY, actor="test",
    )
    arguments.update(overrides)
    return shipment_create(**arguments)


def scan(shipment: Shipment, code: str, at: datetime.datetime, event_id: str | None = None, number: str | None = None):
    """One tracking event for the shipment, as the carrier would post it."""
    event = {"event_id": event_id or f"{code}-{at.isoformat()}", "tracking_number": number or shipment.tracking_number, "code": code,
             "status_text": code.replace("_", " "), "location": "Chicago IL", "occurred_at": at.isoformat()}
    return tracking_events_record(carrier_code=shipment.carrier.code, events=[event], actor="test")[0]


def fresh(shipment: Shipment) -> Shipment:
    return Shipment.objects.get(pk=shipment.pk)


# --- the lifecycle ------------------------------------------------------------------------------

S = ShipmentStatus
ALLOWED = {
    (S.LABEL_CREATED, S.IN_TRANSIT), (S.IN_TRANSIT, S.OUT_FOR_DELIVERY), (S.OUT_FOR_DELIVERY, S.DELIVERED),
    (S.IN_TRANSIT, S.EXCEPTION), (S.OUT_FOR_DELIVERY, S.EXCEPTION),
    (S.EXCEPTION, S.IN_TRANSIT), (S.EXCEPTION, S.OUT_FOR_DELIVERY), (S.EXCEPTION, S.DELIVERED), (S.EXCEPTION, S.RETURNED_TO_SENDER),
    (S.LABEL_CREATED, S.VOIDED), (S.IN_TRANSIT, S.RETURNED_TO_SENDER),
}
METHOD = {S.IN_TRANSIT: "mark_in_transit", S.OUT_FOR_DELIVERY: "mark_out_for_delivery", S.DELIVERED: "mark_delivered",
          S.EXCEPTION: "mark_exception", S.RETURNED_TO_SENDER: "mark_returned_to_sender", S.VOIDED: "void"}


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", [s for s in S if s != S.LABEL_CREATED])
def test_each_status_moves_only_where_the_lifecycle_allows(source, target):
    shipment = Shipment(status=source)

    if (source, target) in ALLOWED:
        getattr(shipment, METHOD[target])()
        assert shipment.status == target
    else:
        with pytest.raises(TransitionNotAllowed):
            getattr(shipment, METHOD[target])()
        assert shipment.status == source


def test_the_status_cannot_be_set_directly():
    shipment = book()

    with pytest.raises(AttributeError):
        shipment.status = S.DELIVERED


# --- booking --------------------------------------------------------------------------------------


def test_booking_gives_a_valid_s10_number_and_the_quotes_price_and_promised_date():
    expected = quote(
        rate_card(), parcels=[Parcel("2", 30, 20, 10)], origin=Address("US", "60601"), destination=Address("US", "73301", True),
        ship_at=MONDAY, services=["oms-post:ground"],
    ).get("oms-post:ground")

    shipment = book()

    assert s10_is_valid(shipment.tracking_number) and shipment.tracking_number.startswith("CP") and shipment.tracking_number.endswith("US")
    assert (shipment.price, shipment.currency) == (expected.price, "USD")
    assert shipment.price == Decimal("12.86")  # 7.35 (2 kg band) + 4.50 residential, + 8.5% fuel = 12.86
    assert shipment.collection_date == datetime.date(2026, 3, 2)
    assert shipment.promised_delivery_date == expected.delivery_date == datetime.date(2026, 3, 6)  # 4 working days
    assert shipment.status == S.LABEL_CREATED and shipment.reference == "SO-0000042-1"
    assert shipment.destination["country"] == "US" and shipment.destination["name"] == "Ada Lovelace"
    assert shipment.quote["price"] == "12.86" and bytes(shipment.label_pdf).startswith(b"%PDF-")  # the 4x6 label, rendered at booking
    assert [p.tracking_number for p in shipment.parcels.all()] == [shipment.tracking_number]


def test_after_the_cut_off_the_promise_starts_a_working_day_later():
    friday_evening = datetime.datetime(2026, 3, 6, 18, 0, tzinfo=NEW_YORK)

    shipment = book(ship_at=friday_evening)

    assert shipment.collection_date == datetime.date(2026, 3, 9)  # Monday
    assert shipment.promised_delivery_date == datetime.date(2026, 3, 13)


def test_a_multi_piece_shipment_has_a_number_per_parcel_and_the_first_is_the_shipments():
    shipment = book(parcels=[{"weight_kg": 2}, {"weight_kg": 7}, {"weight_kg": 0.4}], declared_value="100")

    numbers = [p.tracking_number for p in shipment.parcels.order_by("sequence")]
    assert len(set(numbers)) == 3 and all(s10_is_valid(n) for n in numbers)
    assert numbers[0] == shipment.tracking_number
    # Three parcels are three prices; the declared value cover (1%) is paid once.
    assert shipment.price == book(parcels=[{"weight_kg": 2}], declared_value="100").price + book(parcels=[{"weight_kg": 7}]).price + book(parcels=[{"weight_kg": 0.4}]).price


def test_a_service_that_cannot_carry_the_parcels_says_why_and_nothing_is_booked():
    with pytest.raises(InvalidInput, match="parcel 1: 20.000 kg is over the 10.000 kg maximum"):
        book(service_code="pickup_point", parcels=[{"weight_kg": 20}])
    with pytest.raises(NotFound, match="no active service 'teleport'"):
        book(service_code="teleport")
    assert not Shipment.objects.exists()


@pytest.mark.parametrize("change, path", [
    ({"destination": {"postal_code": "73301"}}, "destination.country"),
    ({"origin": "Chicago"}, "origin"),
    ({"parcels": []}, "parcels"),
    ({"parcels": [{"weight_kg": "heavy"}]}, "parcels[0].weight_kg"),
    ({"parcels": [{"weight_kg": 1}, {"weight_kg": 0}]}, "parcels[1].weight_kg"),
    ({"declared_value": "-5"}, "declared_value"),
])
def test_malformed_input_is_refused_with_the_field_to_fix(change, path):
    with pytest.raises(InvalidInput) as refused:
        book(**change)

    assert path in refused.value.fields
    assert not Shipment.objects.exists()


# --- voiding --------------------------------------------------------------------------------------


def test_a_shipment_not_yet_scanned_is_voided_once():
    shipment = book()

    shipment_void(shipment_id=shipment.pk, actor="test")
    shipment_void(shipment_id=shipment.pk, actor="test")

    assert fresh(shipment).status == S.VOIDED and fresh(shipment).voided_at is not None
    assert list(DomainEvent.objects.filter(name="shipment.voided").values_list("payload__tracking_number", flat=True)) == [shipment.tracking_number]


def test_a_scanned_shipment_cannot_be_voided_and_the_refusal_says_why():
    shipment = book()
    scan(shipment, "accepted", MONDAY + datetime.timedelta(hours=5))

    with pytest.raises(InvalidTransition, match="can no longer be voided"):
        shipment_void(shipment_id=shipment.pk, actor="test")

    assert fresh(shipment).status == S.IN_TRANSIT


def test_an_electronic_notice_is_not_a_scan_so_the_label_can_still_be_voided():
    shipment = book()
    scan(shipment, "info", MONDAY + datetime.timedelta(hours=1))

    shipment_void(shipment_id=shipment.pk, actor="test")

    assert fresh(shipment).status == S.VOIDED

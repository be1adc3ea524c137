"""Tracking events: taken in once, in any order, each status reached announced; the signed endpoint."""

import datetime
import json

import pytest
from django.urls import reverse

from oms.errors import InvalidInput
from oms.models import DomainEvent
from shipping.api.views import tracking_signature
from shipping.carriers import carrier_adapter
from shipping.models import Carrier, ShipmentStatus, TrackingEvent
from shipping.services import tracking_events_record

from .test_shipments import MONDAY, book, carriers, fresh, scan  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db

S = ShipmentStatus
HOUR = datetime.timedelta(hours=1)


def event_names(shipment) -> list[str]:
    return list(DomainEvent.objects.filter(stream=f"shipment:{shipment.pk}").order_by("sequence").values_list("name", flat=True))


def test_each_status_is_reached_and_announced_with_the_reference_and_tracking_number():
    shipment = book()

    assert scan(shipment, "in_transit", MONDAY + 5 * HOUR).status == S.IN_TRANSIT
    assert scan(shipment, "out_for_delivery", MONDAY + 50 * HOUR).status == S.OUT_FOR_DELIVERY
    result = scan(shipment, "delivered", MONDAY + 55 * HOUR)

    assert (result.outcome, result.status, result.message) == ("recorded", S.DELIVERED, "now delivered")
    stored = fresh(shipment)
    assert stored.delivered_at == MONDAY + 55 * HOUR and stored.shipped_at == MONDAY + 5 * HOUR and stored.last_scan_at == MONDAY + 55 * HOUR
    assert event_names(shipment) == ["shipment.in_transit", "shipment.out_for_delivery", "shipment.delivered"]
    delivered = DomainEvent.objects.get(name="shipment.delivered")
    assert delivered.payload["reference"] == "SO-0000042-1" and delivered.payload["tracking_number"] == shipment.tracking_number
    assert delivered.payload["previous_status"] == S.OUT_FOR_DELIVERY and delivered.payload["passed_through"] is False


def test_an_exception_and_its_recovery_and_a_return_to_sender():
    shipment = book()
    scan(shipment, "in_transit", MONDAY + 5 * HOUR)

    assert scan(shipment, "exception", MONDAY + 20 * HOUR).status == S.EXCEPTION
    assert scan(shipment, "in_transit", MONDAY + 30 * HOUR).status == S.IN_TRANSIT
    assert scan(shipment, "exception", MONDAY + 40 * HOUR).status == S.EXCEPTION
    assert scan(shipment, "returned_to_sender", MONDAY + 60 * HOUR).status == S.RETURNED_TO_SENDER
    late_news = scan(shipment, "delivered", MONDAY + 70 * HOUR)

    assert late_news.status == S.RETURNED_TO_SENDER and "already returned to sender" in late_news.message
    assert event_names(shipment) == ["shipment.in_transit", "shipment.exception", "shipment.in_transit", "shipment.exception", "shipment.returned_to_sender"]


def test_the_same_event_twice_changes_nothing_the_second_time():
    shipment = book()
    event = {"event_id": "E1", "tracking_number": shipment.tracking_number, "code": "in_transit", "occurred_at": (MONDAY + HOUR).isoformat()}

    first = tracking_events_record(carrier_code="oms-post", events=[event], actor="test")
    again = tracking_events_record(carrier_code="oms-post", events=[event, event], actor="test")

    assert first[0].outcome == "recorded"
    assert [r.outcome for r in again] == ["duplicate", "duplicate"]
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1
    assert event_names(shipment) == ["shipment.in_transit"]


def test_an_older_event_arriving_late_is_kept_but_never_moves_the_status_back():
    shipment = book()
    scan(shipment, "out_for_delivery", MONDAY + 50 * HOUR)

    older = scan(shipment, "in_transit", MONDAY + 5 * HOUR)

    assert older.status == S.OUT_FOR_DELIVERY and "older than" in older.message
    stored = fresh(shipment)
    assert stored.shipped_at == MONDAY + 5 * HOUR and stored.last_scan_at == MONDAY + 50 * HOUR
    assert [e.code for e in stored.tracking_events.all()] == ["out_for_delivery", "in_transit"]  # newest first


def test_events_of_one_post_are_applied_oldest_first_whatever_order_they_come_in():
    shipment = book()
    events = [
        {"event_id": "3", "tracking_number": shipment.tracking_number, "code": "delivered", "occurred_at": (MONDAY + 55 * HOUR).isoformat()},
        {"event_id": "1", "tracking_number": shipment.tracking_number, "code": "in_transit", "occurred_at": (MONDAY + 5 * HOUR).isoformat()},
        {"event_id": "2", "tracking_number": shipment.tracking_number, "code": "out_for_delivery", "occurred_at": (MONDAY + 50 * HOUR).isoformat()},
    ]

    results = tracking_events_record(carrier_code="oms-post", events=events, actor="test")

    assert [r.event_id for r in results] == ["3", "1", "2"]  # answered in the order sent
    assert [r.message for r in results] == ["now delivered", "now in transit", "now out for delivery"]
    assert fresh(shipment).status == S.DELIVERED
    assert event_names(shipment) == ["shipment.in_transit", "shipment.out_for_delivery", "shipment.delivered"]


def test_a_skipped_step_is_passed_through_and_said_so():
    shipment = book()

    result = scan(shipment, "delivered", MONDAY + 55 * HOUR)

    assert result.status == S.DELIVERED and result.message == "now delivered (through in transit, out for delivery)"
    passed = DomainEvent.objects.filter(stream=f"shipment:{shipment.pk}").order_by("sequence")
    assert [(e.name, e.payload["passed_through"]) for e in passed] == [
        ("shipment.in_transit", True), ("shipment.out_for_delivery", True), ("shipment.delivered", False),
    ]


def test_a_scan_that_only_informs_means_the_carrier_has_the_parcel():
    shipment = book()

    result = scan(shipment, "arrived_at_facility", MONDAY + 8 * HOUR)
    second = scan(shipment, "departed_facility", MONDAY + 9 * HOUR)

    assert result.status == S.IN_TRANSIT and second.message == "scan recorded; status stays in transit"
    assert fresh(shipment).last_scan_at == MONDAY + 9 * HOUR


def test_unknown_tracking_numbers_are_reported_per_event_and_the_others_recorded():
    shipment = book()
    other_carrier = book(carrier_code="europarcel", service_code="standard",
                         origin={"country": "NL", "postal_code": "1011"}, destination={"country": "DE", "postal_code": "10115"})
    events = [
        {"event_id": "a", "tracking_number": "CP000000015US", "code": "in_transit", "occurred_at": MONDAY.isoformat()},
        {"event_id": "b", "tracking_number": shipment.tracking_number.lower(), "code": "in_transit", "occurred_at": MONDAY.isoformat()},
        {"event_id": "c", "tracking_number": other_carrier.tracking_number, "code": "in_transit", "occurred_at": MONDAY.isoformat()},
    ]

    results = tracking_events_record(carrier_code="oms-post", events=events, actor="test")

    assert [(r.outcome, r.status) for r in results] == [("unknown_tracking_number", ""), ("recorded", S.IN_TRANSIT), ("unknown_tracking_number", "")]
    assert "has no shipment with tracking number CP000000015US" in results[0].message
    assert fresh(other_carrier).status == S.LABEL_CREATED


def test_a_multi_piece_shipment_is_delivered_with_its_last_parcel():
    shipment = book(parcels=[{"weight_kg": 2}, {"weight_kg": 3}])
    first, second = [p.tracking_number for p in shipment.parcels.order_by("sequence")]
    scan(shipment, "out_for_delivery", MONDAY + 50 * HOUR)

    partly = scan(shipment, "delivered", MONDAY + 52 * HOUR, number=second)
    done = scan(shipment, "delivered", MONDAY + 54 * HOUR, number=first)

    assert partly.status == S.OUT_FOR_DELIVERY and "when its last parcel is" in partly.message
    assert done.status == S.DELIVERED and fresh(shipment).delivered_at == MONDAY + 54 * HOUR


def test_malformed_events_are_refused_with_each_path_and_nothing_is_recorded():
    shipment = book()
    events = [
        {"event_id": "ok", "tracking_number": shipment.tracking_number, "code": "in_transit", "occurred_at": MONDAY.isoformat()},
        {"event_id": "", "tracking_number": shipment.tracking_number, "code": "teleported", "occurred_at": "2026-03-02T10:00:00"},
        "not an event",
    ]

    with pytest.raises(InvalidInput) as refused:
        tracking_events_record(carrier_code="oms-post", events=events, actor="test")

    assert set(refused.value.fields) == {"[1].event_id", "[1].code", "[1].occurred_at", "[2]"}
    assert "use one of label_created, in_transit" in refused.value.fields["[1].code"][0]
    assert not TrackingEvent.objects.exists() and fresh(shipment).status == S.LABEL_CREATED


def test_the_built_in_carrier_tracks_from_what_is_stored():
    shipment = book()
    scan(shipment, "accepted", MONDAY + 2 * HOUR, event_id="x1")
    scan(shipment, "in_transit", MONDAY + 6 * HOUR, event_id="x2")

    tracked = carrier_adapter("oms-post").track(shipment.tracking_number)

    assert [(t.status, t.at, t.event_id) for t in tracked] == [("accepted", MONDAY + 2 * HOUR, "x1"), ("in_transit", MONDAY + 6 * HOUR, "x2")]


# --- the signed endpoint ----------------------------------------------------------------------------

SECRET = "trk_s3cret"


@pytest.fixture
def signed_carrier(db):
    Carrier.objects.filter(code="oms-post").update(tracking_secret=SECRET)


def post(client, body: bytes, signature: str | None, code: str = "oms-post"):
    headers = {"HTTP_X_OMS_SIGNATURE": signature} if signature is not None else {}
    return client.post(reverse("api-carrier-tracking", args=[code]), body, content_type="application/json", **headers)


def body_for(shipment, code="in_transit") -> bytes:
    return json.dumps([{"event_id": "w1", "tracking_number": shipment.tracking_number, "code": code, "status_text": "Departed",
                        "location": "Chicago IL", "occurred_at": (MONDAY + HOUR).isoformat()}]).encode()


def test_a_signed_post_is_recorded_and_answered_per_event(client, signed_carrier):
    shipment = book()
    body = body_for(shipment)

    response = post(client, body, tracking_signature(body=body, secret=SECRET))

    assert response.status_code == 200
    assert response.json() == {"results": [{"event_id": "w1", "tracking_number": shipment.tracking_number, "outcome": "recorded",
                                            "status": "in_transit", "message": "now in transit"}]}
    assert TrackingEvent.objects.get().raw["status_text"] == "Departed"


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "deadbeef"])
def test_a_missing_or_wrong_signature_is_401_and_records_nothing(client, signed_carrier, signature):
    response = post(client, body_for(book()), signature)

    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_signature"
    assert not TrackingEvent.objects.exists()


def test_a_tampered_body_is_401(client, signed_carrier):
    shipment = book()
    signature = tracking_signature(body=body_for(shipment), secret=SECRET)

    response = post(client, body_for(shipment, code="delivered"), signature)

    assert response.status_code == 401 and fresh(shipment).status == S.LABEL_CREATED


def test_a_carrier_without_a_tracking_secret_refuses_every_post(client):
    body = body_for(book())

    response = post(client, body, tracking_signature(body=body, secret=""))

    assert response.status_code == 401 and "no tracking secret" in response.json()["error"]["message"]


def test_bad_payloads_are_400_with_what_to_fix(client, signed_carrier):
    shipment = book()
    for body, field in [
        (b"{not json", "body"),
        (json.dumps({"event_id": "x"}).encode(), "body"),
        (json.dumps([{"event_id": "x", "tracking_number": shipment.tracking_number, "code": "in_transit", "occurred_at": "yesterday"}]).encode(), "[0].occurred_at"),
    ]:
        response = post(client, body, tracking_signature(body=body, secret=SECRET))

        assert response.status_code == 400 and field in response.json()["error"]["fields"], (body, response.json())
    assert not TrackingEvent.objects.exists()


def test_an_unknown_carrier_is_404(client):
    assert post(client, b"[]", "sha256=00", code="nobody").status_code == 404

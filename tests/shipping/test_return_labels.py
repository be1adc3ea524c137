"""Return labels: the adapters, the services and their refusals, the label, manifests, late flags, the console."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from oms.errors import InvalidInput, InvalidTransition, NotFound
from oms.models import DomainEvent
from shipping.carriers import ADAPTERS, TableRateCarrier, carrier_adapter
from shipping.carriers.base import CarrierAdapter, ShipmentRequest
from shipping.carriers.table_rate import ServiceUnavailable
from shipping.models import Shipment, ShipmentDirection, ShipmentExceptionQueue, ShipmentStatus
from shipping.rating import Address, Parcel
from shipping.s10 import s10_is_valid
from shipping.services import (
    NothingToManifest,
    ReturnLabelsUnavailable,
    manifest_close,
    return_shipment_create,
    shipment_return_label_create,
    shipment_void,
    shipments_flag_late,
)

from .test_admin_shipments import login, messages_of
from .test_carrier_dhl_express import RECEIVER, SHIPPER, adapter as dhl_adapter, assert_same_fields, payload
from .test_shipments import DESTINATION, MONDAY, ORIGIN, book, carriers, fresh, scan  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)  # MONDAY's collection date with OMS Post
PAYLOADS = Path(__file__).parent / "payloads" / "dhl_express"


class NoReturnsCarrier(TableRateCarrier):
    """The built-in carrier as an adapter that books no returns would be."""

    return_label = CarrierAdapter.return_label


@pytest.fixture
def no_return_labels(monkeypatch):
    monkeypatch.setitem(ADAPTERS, "table_rate", NoReturnsCarrier)


def return_of(shipment: Shipment, **overrides) -> Shipment:
    return shipment_return_label_create(shipment_id=shipment.pk, actor="cs:alice", **overrides)


def pdf_text(shipment: Shipment) -> str:
    content = bytes(fresh(shipment).label_pdf)
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- adapters ------------------------------------------------------------------------------------


def test_the_built_in_carrier_prices_a_return_on_the_lane_back_and_issues_s10_numbers():
    adapter = carrier_adapter("oms-post")
    customer, warehouse = Address("US", "73301", residential=True), Address("US", "60601")
    parcels = (Parcel("2", 30, 20, 10), Parcel("1"))
    request = ShipmentRequest("ground", origin=customer, destination=warehouse, parcels=parcels, ship_at=MONDAY)

    created = adapter.return_label(request, actor="test")

    back = adapter.quote(parcels=parcels, origin=customer, destination=warehouse, ship_at=MONDAY, services=["ground"]).get("oms-post:ground")
    assert created.price == back.price and created.delivery_date == back.delivery_date
    assert len(created.tracking_numbers) == 2 and all(s10_is_valid(number) for number in created.tracking_numbers)
    assert created.label_pdf == b""
    # Delivered to the warehouse, not to a home: no residential surcharge on the way back.
    assert "residential" not in json.dumps(created.explanation).lower()


def test_the_built_in_carrier_refuses_a_return_on_a_lane_its_service_does_not_carry():
    adapter = carrier_adapter("oms-post")
    request = ShipmentRequest("ground", origin=Address("FR", "75001"), destination=Address("US", "60601"), parcels=(Parcel("2"),), ship_at=MONDAY)

    with pytest.raises(ServiceUnavailable, match="OMS Post ground cannot carry this return"):
        adapter.return_label(request, actor="test")


def test_an_adapter_tells_whether_it_books_returns():
    card = carrier_adapter("oms-post").carrier

    assert TableRateCarrier(card).offers_return_labels is True
    assert NoReturnsCarrier(card).offers_return_labels is False
    assert CarrierAdapter(card).offers_return_labels is False


def test_dhl_express_books_a_return_with_the_customer_as_shipper_and_the_warehouse_as_receiver():
    adapter, transport = dhl_adapter((201, payload("shipment_response.json")))
    parcels = (Parcel("2.5", 30, 20, 15), Parcel("1.234", 20, 20, 10))

    created = adapter.return_label(ShipmentRequest("P", RECEIVER, SHIPPER, parcels, reference="return:FO-1001"), actor="test")

    method, url, body, _ = transport.calls[0]
    assert (method, url) == ("POST", "https://dhl.test/mydhlapi/shipments")
    assert_same_fields(body, json.loads((PAYLOADS / "return_shipment_request.json").read_text()))
    assert created.tracking_numbers == ("JD014600003889482921", "JD014600003889482922") and created.label_pdf.startswith(b"%PDF")


# --- services ------------------------------------------------------------------------------------


def test_a_return_label_goes_back_from_the_customer_with_the_same_carrier_service_and_parcels():
    original = book(parcels=[{"weight_kg": "2", "length_cm": 30, "width_cm": 20, "height_cm": 10}, {"weight_kg": "3.5"}])

    returned = fresh(return_of(original))

    assert returned.direction == ShipmentDirection.RETURN and returned.is_return
    assert returned.return_of_id == original.pk and list(original.returns.all()) == [returned]
    assert (returned.carrier_id, returned.service_id) == (original.carrier_id, original.service_id)
    assert returned.origin["name"] == "Ada Lovelace" and returned.destination["name"] == "Chicago DC"
    assert [(p.weight_kg, p.length_cm) for p in returned.parcels.order_by("sequence")] == [
        (p.weight_kg, p.length_cm) for p in original.parcels.order_by("sequence")
    ]
    assert returned.status == ShipmentStatus.LABEL_CREATED and returned.tracking_number != original.tracking_number
    assert returned.reference == "return:SO-0000042-1" and returned.created_by_label == "cs:alice"
    assert returned.label_pdf  # rendered after booking


def test_a_return_of_part_of_the_parcels_with_another_service():
    original = book(parcels=[{"weight_kg": "2"}, {"weight_kg": "3.5"}])

    returned = return_of(original, parcels=[{"weight_kg": "1.2", "length_cm": 20}], service_code="express")

    assert returned.service.code == "express"
    assert [(str(p.weight_kg), str(p.length_cm)) for p in returned.parcels.all()] == [("1.200", "20.0")]


def test_a_return_label_is_announced_with_the_customer_to_send_it_to():
    original = book()

    returned = return_of(original)

    event = DomainEvent.objects.get(name="shipment.return_label_created")
    assert event.payload["shipment_id"] == returned.pk and event.payload["direction"] == "return"
    assert event.payload["return_of_id"] == original.pk and event.payload["return_of_tracking_number"] == original.tracking_number
    assert event.payload["sender"]["name"] == "Ada Lovelace" and event.payload["tracking_numbers"] == [returned.tracking_number]
    assert not DomainEvent.objects.filter(name="shipment.return_label_created", payload__shipment_id=original.pk).exists()


def test_return_shipment_create_books_a_return_of_no_shipment_of_ours_with_the_same_checks_as_outbound():
    returned = return_shipment_create(
        carrier_code="oms-post", service_code="ground", origin=DESTINATION, destination=ORIGIN, parcels=[{"weight_kg": "1"}],
        reference="RMA-7", actor="test",
    )

    assert returned.is_return and returned.return_of is None and returned.reference == "RMA-7"
    with pytest.raises(InvalidInput, match="Parcel 1") as refused:
        return_shipment_create(carrier_code="oms-post", service_code="ground", origin=DESTINATION, destination=ORIGIN,
                               parcels=[{"weight_kg": "-1"}], actor="test")
    assert "parcels[0].weight_kg" in refused.value.fields
    with pytest.raises(InvalidInput, match="The origin"):
        return_shipment_create(carrier_code="oms-post", service_code="ground", origin={"country": "Narnia"}, destination=ORIGIN,
                               parcels=[{"weight_kg": "1"}], actor="test")


@pytest.mark.parametrize(
    ("make_original", "error", "words"),
    [
        (lambda: shipment_void(shipment_id=book().pk, actor="test"), InvalidTransition, "voided: it never left"),
        (lambda: return_of(book()), InvalidTransition, "is itself a return"),
    ],
)
def test_no_return_of_a_voided_shipment_or_of_a_return(make_original, error, words):
    original = make_original()
    before = Shipment.objects.count()

    with pytest.raises(error, match=words):
        return_of(original)
    with pytest.raises(error, match=words):
        return_shipment_create(carrier_code="oms-post", service_code="ground", origin=original.destination, destination=original.origin,
                               parcels=[{"weight_kg": "1"}], actor="test", return_of_id=original.pk)
    assert Shipment.objects.count() == before


def test_no_return_of_an_unknown_shipment():
    with pytest.raises(NotFound, match="No shipment 999999"):
        shipment_return_label_create(shipment_id=999999, actor="test")
    with pytest.raises(NotFound):
        return_shipment_create(carrier_code="oms-post", service_code="ground", origin=DESTINATION, destination=ORIGIN,
                               parcels=[{"weight_kg": "1"}], actor="test", return_of_id=999999)


def test_no_return_with_a_carrier_that_books_no_returns_and_nothing_is_recorded(no_return_labels):
    original = book()

    with pytest.raises(ReturnLabelsUnavailable, match="OMS Post does not issue return labels"):
        return_of(original)
    with pytest.raises(ReturnLabelsUnavailable):
        return_shipment_create(carrier_code="oms-post", service_code="ground", origin=DESTINATION, destination=ORIGIN,
                               parcels=[{"weight_kg": "1"}], actor="test")
    assert Shipment.objects.filter(direction=ShipmentDirection.RETURN).count() == 0
    assert not DomainEvent.objects.filter(name="shipment.return_label_created").exists()


def test_a_return_the_service_cannot_carry_back_is_refused():
    original = book(destination={"name": "Marie", "city": "Paris", "postal_code": "75001", "country": "FR"})

    with pytest.raises(ServiceUnavailable, match="cannot carry this return"):
        return_of(original)
    assert not original.returns.exists()


# --- the label -----------------------------------------------------------------------------------


def test_a_return_label_reads_as_a_return_from_the_customer_to_the_warehouse():
    original = book()

    text = pdf_text(return_of(original))

    assert "RETURN" in text and f"return of {original.tracking_number}" in text
    lowered = text.lower()  # the captions print in capitals
    assert lowered.index("return from") < lowered.index("ada lovelace") < lowered.index("return to") < lowered.index("chicago dc")
    assert "return" not in pdf_text(original).lower()


# --- manifests and late shipments ------------------------------------------------------------------


def test_returns_never_go_on_the_end_of_day_manifest():
    outbound = book()
    returned = return_of(book(reference="FO-2"))
    Shipment.objects.filter(pk=returned.pk).update(collection_date=DAY)  # given it is collected the same day

    manifest = manifest_close(carrier_code="oms-post", day=DAY, actor="dock")

    assert fresh(returned).manifest_id is None
    assert fresh(outbound).manifest_id == manifest.pk
    with pytest.raises(NothingToManifest, match="returns go on no manifest"):
        manifest_close(carrier_code="oms-post", day=DAY, actor="dock")


def test_a_return_is_not_late_against_its_quoted_date_nor_while_the_customer_keeps_it():
    returned = return_of(book())
    much_later = datetime.datetime.combine(fresh(returned).promised_delivery_date, datetime.time(12), tzinfo=MONDAY.tzinfo) + datetime.timedelta(days=20)

    shipments_flag_late(now=much_later, actor="beat")

    assert fresh(returned).late is False


def test_a_return_the_carrier_has_is_flagged_when_it_goes_silent_and_shows_in_the_exceptions_queue():
    returned = return_of(book())
    scan(returned, "accepted", MONDAY + datetime.timedelta(hours=5))

    flagged = shipments_flag_late(now=MONDAY + datetime.timedelta(days=20), actor="beat")

    returned = fresh(returned)
    assert flagged >= 1 and returned.late and "no scan" in returned.late_reason and "promised" not in returned.late_reason
    assert ShipmentExceptionQueue.objects.filter(pk=returned.pk).exists()


# --- the console ---------------------------------------------------------------------------------


def _run_action(client, shipments):
    return client.post(
        reverse("admin:shipping_shipment_changelist"),
        {"action": "create_return_labels", "_selected_action": [s.pk for s in shipments]}, follow=True,
    )


def test_the_action_creates_a_return_label_per_outbound_shipment_and_says_why_not_for_the_rest(client):
    outbound, voided = book(), book(reference="FO-VOID")
    shipment_void(shipment_id=voided.pk, actor="test")
    login(client)

    said = messages_of(_run_action(client, [outbound, voided]))
    again = messages_of(_run_action(client, [outbound]))

    returned = outbound.returns.get()
    assert any(f"{voided.tracking_number}: Shipment {voided.tracking_number} is voided" in m for m in said)
    assert any("Return labels created" in m and returned.tracking_number in m for m in said)
    assert any(f"already has return label {returned.tracking_number}" in m for m in again)
    assert outbound.returns.count() == 1


def test_customer_service_may_create_return_labels_and_the_warehouse_may_not(client):
    book()  # the list offers its actions only when it lists something
    login(client, "Warehouse")
    listing = client.get(reverse("admin:shipping_shipment_changelist")).content.decode()
    assert "create_return_labels" not in listing

    client.logout()
    login(client, "Customer service")
    listing = client.get(reverse("admin:shipping_shipment_changelist")).content.decode()
    assert "create_return_labels" in listing


def test_the_pages_link_a_return_and_its_original_and_the_list_filters_by_direction(client):
    original = book()
    returned = return_of(original)
    login(client)

    original_page = client.get(reverse("admin:shipping_shipment_change", args=[original.pk])).content.decode()
    return_page = client.get(reverse("admin:shipping_shipment_change", args=[returned.pk])).content.decode()
    returns_only = client.get(reverse("admin:shipping_shipment_changelist"), {"direction__exact": "return"}).content.decode()

    assert reverse("admin:shipping_shipment_change", args=[returned.pk]) in original_page and returned.tracking_number in original_page
    assert reverse("admin:shipping_shipment_change", args=[original.pk]) in return_page and "Return of" in return_page
    assert returned.tracking_number in returns_only and original.tracking_number not in returns_only

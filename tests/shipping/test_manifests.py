"""End-of-day manifests: which shipments go on one, CSV and PDF, one manifest per shipment, the console."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from pypdf import PdfReader

from oms.errors import DomainError, NotFound
from oms.models import DomainEvent
from shipping.manifests import manifest_csv, manifest_pdf, manifest_sheet
from shipping.models import Manifest, Shipment
from shipping.services import manifest_close, shipment_void

from .test_admin_shipments import login, messages_of
from .test_shipments import MONDAY, book, carriers, fresh  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)  # MONDAY's collection date with OMS Post


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_closing_lists_the_carriers_shipments_of_the_day_not_voided_and_numbers_the_manifest():
    first = book(reference="FO-1", parcels=[{"weight_kg": "2"}, {"weight_kg": "3.5"}])
    second = book(reference="FO-2")
    voided = book(reference="FO-VOID")
    shipment_void(shipment_id=voided.pk, actor="test")
    tomorrow = book(reference="FO-LATER", ship_at=MONDAY + datetime.timedelta(days=1))

    manifest = manifest_close(carrier_code="oms-post", day=DAY, actor="dock")

    assert manifest.number == "OMS-POST-20260302-1" and manifest.date == DAY and manifest.closed_by_label == "dock"
    assert set(manifest.shipments.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert fresh(voided).manifest_id is None and fresh(tomorrow).manifest_id is None
    assert DomainEvent.objects.filter(name="manifest.closed", payload__number=manifest.number).exists()


def test_the_csv_has_a_row_per_shipment_and_the_totals():
    first = book(reference="FO-1", parcels=[{"weight_kg": "2"}, {"weight_kg": "3.5"}])
    second = book(reference="=HYPERLINK(1)")  # a reference a spreadsheet would run as a formula
    manifest = manifest_close(carrier_code="oms-post", day=DAY, actor="dock")

    rows = list(csv.reader(io.StringIO(manifest_csv(manifest_sheet(manifest)))))

    assert rows[0] == ["tracking_number", "reference", "destination", "parcels", "weight_kg", "service"]
    by_number = {row[0]: row for row in rows[1:-1]}
    service = first.service.name
    assert by_number[first.tracking_number] == [first.tracking_number, "FO-1", "Ada Lovelace, AUSTIN, 73301, UNITED STATES", "2", "5.500", service]
    assert by_number[second.tracking_number][1] == "'=HYPERLINK(1)"
    assert by_number[second.tracking_number][3:5] == ["1", "2.000"]
    assert rows[-1] == ["TOTAL", "", "2 shipments", "3", "7.500", ""]


def test_the_pdf_shows_every_shipment_and_the_totals():
    first = book(reference="FO-1", parcels=[{"weight_kg": "2"}, {"weight_kg": "3.5"}])
    second = book(reference="FO-2")
    manifest = manifest_close(carrier_code="oms-post", day=DAY, actor="dock")
    sheet = manifest_sheet(manifest)

    text = pdf_text(manifest_pdf(sheet))

    assert manifest.number in text and "2026-03-02" in text
    for shipment in (first, second):
        assert shipment.tracking_number in text and shipment.reference in text
    assert "AUSTIN, 73301" in text and first.service.name in text
    assert "2 shipments" in text and "7.500" in text
    assert (sheet.shipment_count, sheet.parcel_count, sheet.weight_kg) == (2, 3, Decimal("7.500"))


def test_a_shipment_goes_on_one_manifest_only():
    early = book(reference="FO-EARLY")
    first = manifest_close(carrier_code="oms-post", day=DAY, actor="dock")
    late = book(reference="FO-LATE")

    second = manifest_close(carrier_code="oms-post", day=DAY, actor="dock")

    assert second.number == "OMS-POST-20260302-2"
    assert list(first.shipments.all()) == [fresh(early)] and list(second.shipments.all()) == [fresh(late)]
    with pytest.raises(DomainError) as refused:
        manifest_close(carrier_code="oms-post", day=DAY, actor="dock")
    assert "no shipments collected on 2026-03-02" in refused.value.message
    assert Manifest.objects.count() == 2


def test_an_unknown_carrier_or_a_non_date_is_refused_with_what_to_fix():
    with pytest.raises(NotFound):
        manifest_close(carrier_code="nope", day=DAY, actor="dock")
    with pytest.raises(DomainError) as refused:
        manifest_close(carrier_code="oms-post", day="2026-03-02", actor="dock")
    assert "YYYY-MM-DD" in refused.value.message


# --- the console ---------------------------------------------------------------------------------


def test_closing_from_the_shipment_list_and_downloading_pdf_and_csv(client):
    shipment = book(reference="FO-1")
    login(client)

    closed = client.post(reverse("admin:shipping_shipment_changelist"), {"action": "close_manifests", "_selected_action": [shipment.pk]})
    manifest = Manifest.objects.get()
    page = client.get(reverse("admin:shipping_manifest_change", args=[manifest.pk])).content.decode()
    pdf = client.get(reverse("admin:shipping_manifest_download", args=[manifest.pk, "pdf"]))
    sheet = client.get(reverse("admin:shipping_manifest_download", args=[manifest.pk, "csv"]))
    wrong = client.get(reverse("admin:shipping_manifest_download", args=[manifest.pk, "xls"]))

    assert any(manifest.number in message for message in messages_of(closed))
    assert shipment.tracking_number in page and reverse("admin:shipping_manifest_download", args=[manifest.pk, "csv"]) in page
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and shipment.tracking_number in pdf_text(pdf.content)
    assert sheet.status_code == 200 and sheet["Content-Type"].startswith("text/csv") and shipment.tracking_number in sheet.content.decode()
    assert wrong.status_code == 404


def test_closing_needs_the_permission(client):
    shipment = book()
    user = get_user_model().objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_shipment"))
    client.force_login(user)

    client.post(reverse("admin:shipping_shipment_changelist"), {"action": "close_manifests", "_selected_action": [shipment.pk]})

    assert not Manifest.objects.exists() and fresh(shipment).manifest_id is None
    assert Shipment.objects.count() == 1


def test_a_shipment_on_a_closed_manifest_can_no_longer_be_voided():
    shipment = book(reference="FO-HANDED-OVER")
    manifest = manifest_close(carrier_code="oms-post", day=DAY, actor="dock")

    with pytest.raises(DomainError) as refused:
        shipment_void(shipment_id=shipment.pk, actor="dock")

    assert manifest.number in refused.value.message and "return it" in refused.value.message
    assert fresh(shipment).status == "label_created"

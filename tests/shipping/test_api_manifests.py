"""The manifests API: close a carrier's day, list and read manifests, download them as PDF and CSV; who may."""

import csv
import io

import pytest

from shipping.models import Manifest

from .test_api_shipments import api, body_of, client_for, error_of, pdf_pages, staff_client  # noqa: F401 (fixtures)
from .test_shipments import MONDAY, book, carriers, fresh  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db
DAY = "2026-03-02"  # MONDAY's collection date with OMS Post


def close(client, **body):
    return client.post("/api/v1/manifests/", {"carrier_code": "oms-post", "day": DAY, **body}, format="json")


def test_closing_a_day_answers_201_with_the_manifest_and_its_shipments(api):
    first = book(reference="FO-1", parcels=[{"weight_kg": "2"}, {"weight_kg": "3.5"}])
    second = book(reference="FO-2")

    response = close(api)

    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "OMS-POST-20260302-1" and body["carrier"] == "oms-post" and body["date"] == DAY
    assert body["shipment_count"] == 2 and body["closed_by"].startswith("api:")
    assert body["pdf_url"] == f"/api/v1/manifests/{body['id']}/manifest.pdf" and body["csv_url"].endswith("/manifest.csv")
    listed = {item["tracking_number"]: item for item in body["shipments"]}
    assert set(listed) == {first.tracking_number, second.tracking_number}
    assert (listed[first.tracking_number]["parcels"], listed[first.tracking_number]["weight_kg"]) == (2, "5.500")
    assert fresh(first).manifest_id == body["id"]
    assert api.get(f"/api/v1/shipments/{first.pk}/").json()["manifest"] == "OMS-POST-20260302-1"


def test_closing_a_day_with_nothing_left_is_a_409_and_records_nothing(api):
    book()
    close(api)

    response = close(api)

    assert response.status_code == 409 and error_of(response)["code"] == "nothing_to_manifest"
    assert Manifest.objects.count() == 1


@pytest.mark.parametrize("body, field", [
    ({"day": "02/03/2026"}, "day"), ({"day": ""}, "day"), ({"carrier_code": "no-such-carrier"}, "carrier_code"),
    ({"carrier_code": ""}, "carrier_code"), ({"carrier_code": None}, "carrier_code"),
])
def test_bad_input_is_a_400_naming_the_field(api, body, field):
    book()

    response = close(api, **body)

    assert response.status_code == 400 and field in error_of(response)["fields"]
    assert not Manifest.objects.exists()


def test_a_missing_field_is_a_400(api):
    response = api.post("/api/v1/manifests/", {"carrier_code": "oms-post"}, format="json")

    assert response.status_code == 400 and error_of(response)["fields"] == {"day": ["This field is required."]}


def test_a_shipment_on_a_closed_manifest_can_no_longer_be_voided(api):
    shipment = book()
    close(api)

    response = api.post(f"/api/v1/shipments/{shipment.pk}/void/")

    assert response.status_code == 409 and "manifest" in error_of(response)["message"]


def test_the_list_and_its_filters_and_the_detail(api):
    book()
    manifest_id = close(api).json()["id"]

    listed = api.get("/api/v1/manifests/").json()["results"]
    assert [(item["number"], item["shipment_count"]) for item in listed] == [("OMS-POST-20260302-1", 1)]
    assert api.get("/api/v1/manifests/", {"carrier": "euro-parcel"}).json()["results"] == []
    assert api.get("/api/v1/manifests/", {"date_from": "2026-03-03"}).json()["results"] == []
    assert len(api.get("/api/v1/manifests/", {"date_from": DAY, "date_to": DAY}).json()["results"]) == 1
    assert api.get("/api/v1/manifests/", {"date_to": "soon"}).status_code == 400
    detail = api.get(f"/api/v1/manifests/{manifest_id}/")
    assert detail.status_code == 200 and len(detail.json()["shipments"]) == 1
    assert api.get("/api/v1/manifests/999999/").status_code == 404


def test_the_csv_has_a_row_per_shipment_and_the_totals(api):
    first = book(reference="FO-1", parcels=[{"weight_kg": "2"}, {"weight_kg": "3.5"}])
    second = book(reference="=HYPERLINK(1)")
    manifest_id = close(api).json()["id"]

    response = api.get(f"/api/v1/manifests/{manifest_id}/manifest.csv", HTTP_ACCEPT="text/csv")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="manifest-OMS-POST-20260302-1.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body_of(response).decode())))
    assert rows[0] == ["tracking_number", "reference", "destination", "parcels", "weight_kg", "service"]
    by_number = {row[0]: row for row in rows[1:-1]}
    assert by_number[first.tracking_number][1:5] == ["FO-1", "Ada Lovelace, AUSTIN, 73301, UNITED STATES", "2", "5.500"]
    assert by_number[second.tracking_number][1] == "'=HYPERLINK(1)"
    assert rows[-1] == ["TOTAL", "", "2 shipments", "3", "7.500", ""]


def test_the_pdf_lists_the_number_and_every_tracking_number(api):
    shipments = [book(reference=f"FO-{n}") for n in range(2)]
    manifest_id = close(api).json()["id"]

    response = api.get(f"/api/v1/manifests/{manifest_id}/manifest.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(pdf_pages(body_of(response)))
    assert "OMS-POST-20260302-1" in text and all(shipment.tracking_number in text for shipment in shipments)


def test_downloads_of_an_unknown_manifest_are_404_in_the_error_shape(api):
    for suffix in ("manifest.pdf", "manifest.csv"):
        response = api.get(f"/api/v1/manifests/999999/{suffix}", HTTP_ACCEPT="application/pdf")
        assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_reading_needs_shipping_read_and_closing_shipping_write(client_for):
    book()
    reader = client_for("shipping:read")

    refused = close(reader)
    assert refused.status_code == 403 and "shipping:write" in error_of(refused)["message"]
    assert not Manifest.objects.exists()
    assert reader.get("/api/v1/manifests/").status_code == 200
    assert client_for("orders:read").get("/api/v1/manifests/").status_code == 403


def test_staff_need_view_manifest_to_read_and_close_manifest_to_close():
    book()
    service, warehouse = staff_client("Customer service"), staff_client("Warehouse")

    assert service.get("/api/v1/manifests/").status_code == 403  # customer service sees shipments, not manifests
    refused = close(service)
    assert refused.status_code == 403 and "close_manifest" in error_of(refused)["message"]
    assert close(warehouse).status_code == 201
    assert warehouse.get("/api/v1/manifests/").status_code == 200

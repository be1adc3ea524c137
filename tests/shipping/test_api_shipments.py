"""The shipments API: list with filters (constant queries), detail, label, void, labels in a batch; who may."""

import datetime
import io
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader
from rest_framework.test import APIClient

from oms.models import ApiKey, IdempotencyRecord
from shipping.models import Shipment

from .test_shipments import MONDAY, book, carriers, fresh, scan  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
_names = itertools.count(1)


@pytest.fixture
def client_for(db):
    """``client_for("shipping:read")``: an API client with a new key holding those scopes (none: every scope)."""

    def make(*scopes: str) -> APIClient:
        key, raw_key = ApiKey.generate(name=f"shipping-client-{next(_names)}", scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        client.key = key
        return client

    return make


@pytest.fixture
def api(client_for):
    return client_for()


def staff_client(role: str | None = None, *, superuser: bool = False) -> APIClient:
    """A signed-in staff member with one role's permissions (none: no permission at all)."""
    User = get_user_model()
    name = f"staff-{next(_names)}"
    user = User.objects.create_superuser(name, f"{name}@example.com", "x") if superuser else User.objects.create_user(name, password="x", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.force_login(user)
    client.user = user
    return client


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]


def pdf_pages(content: bytes) -> list[str]:
    assert content.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- list ----------------------------------------------------------------------------------------


def test_the_list_shows_shipments_newest_first_with_carrier_service_and_label_path(api):
    first, second = book(reference="FO-1"), book(reference="FO-2")

    response = api.get("/api/v1/shipments/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["reference"] for item in results] == ["FO-2", "FO-1"]
    item = results[1]
    assert item["id"] == first.pk and item["tracking_number"] == first.tracking_number
    assert (item["carrier"], item["service"], item["status"]) == ("oms-post", "ground", "label_created")
    assert item["price"] == "12.86" and item["currency"] == "USD" and item["collection_date"] == "2026-03-02"
    assert item["label_url"] == f"/api/v1/shipments/{first.pk}/label.pdf" and item["manifest"] is None
    assert "parcels" not in item and "quote" not in item  # those are in the detail


def test_filters_combine_status_carrier_reference_and_tracking_numbers_of_any_parcel(api):
    multi = book(reference="FO-MULTI", parcels=[{"weight_kg": "2"}, {"weight_kg": "1"}])
    other = book(reference="FO-OTHER")
    scan(other, "in_transit", MONDAY + 2 * HOUR)
    second_parcel = multi.parcels.get(sequence=2).tracking_number

    def listed(**params):
        response = api.get("/api/v1/shipments/", params)
        assert response.status_code == 200, response.content
        return [item["reference"] for item in response.json()["results"]]

    assert listed(status="in_transit") == ["FO-OTHER"]
    assert listed(status="label_created", carrier="oms-post") == ["FO-MULTI"]
    assert listed(carrier="euro-parcel") == []
    assert listed(reference="FO-MULTI") == ["FO-MULTI"]
    assert listed(tracking_number=second_parcel) == ["FO-MULTI"]
    assert listed(tracking_number=second_parcel.lower()) == ["FO-MULTI"]
    assert listed(tracking_number=other.tracking_number) == ["FO-OTHER"]


def test_date_ranges_filter_on_collection_date_and_booking_time(api):
    monday = book(reference="FO-MON")
    book(reference="FO-TUE", ship_at=MONDAY + 24 * HOUR)
    Shipment.objects.filter(pk=monday.pk).update(created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))

    def listed(**params):
        return [item["reference"] for item in api.get("/api/v1/shipments/", params).json()["results"]]

    assert listed(collection_from="2026-03-03") == ["FO-TUE"]
    assert listed(collection_to="2026-03-02") == ["FO-MON"]
    assert listed(collection_from="2026-03-02", collection_to="2026-03-03") == ["FO-TUE", "FO-MON"]
    assert listed(created_before="2026-02-01T00:00:00Z") == ["FO-MON"]
    assert listed(created_after="2026-02-01T00:00:00Z") == ["FO-TUE"]


def test_ordering_by_collection_date(api):
    book(reference="FO-TUE", ship_at=MONDAY + 24 * HOUR)
    book(reference="FO-MON")

    response = api.get("/api/v1/shipments/", {"ordering": "collection_date"})

    assert [item["reference"] for item in response.json()["results"]] == ["FO-MON", "FO-TUE"]


@pytest.mark.parametrize("params, field", [
    ({"status": "lost"}, "status"), ({"collection_from": "monday"}, "collection_from"),
    ({"created_after": "yesterday"}, "created_after"), ({"ordering": "price"}, "ordering"),
])
def test_a_malformed_filter_is_a_400_naming_it(api, params, field):
    response = api.get("/api/v1/shipments/", params)

    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_the_list_costs_the_same_queries_for_one_shipment_as_for_many(api, settings):
    settings.OMS_API_KEY_CACHE_SECONDS = 3600  # booking takes a while; the key must stay remembered meanwhile
    book(reference="FO-1")
    api.get("/api/v1/shipments/")  # the key is looked up and remembered once

    with CaptureQueriesContext(connection) as one:
        assert len(api.get("/api/v1/shipments/").json()["results"]) == 1
    for n in range(2, 7):
        book(reference=f"FO-{n}", parcels=[{"weight_kg": "1"}, {"weight_kg": "2"}])
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/shipments/").json()["results"]) == 6

    assert len(one) == len(many) == 1, [query["sql"] for query in many]


@pytest.mark.skipif(not any(f.name == "direction" for f in Shipment._meta.get_fields()), reason="Shipment.direction is not there yet")
def test_the_direction_filter_once_shipments_have_one(api):
    book(reference="FO-OUT")
    returning = book(reference="FO-RET")
    Shipment.objects.filter(pk=returning.pk).update(direction="return")

    response = api.get("/api/v1/shipments/", {"direction": "return"})

    assert [(item["reference"], item["direction"]) for item in response.json()["results"]] == [("FO-RET", "return")]
    assert api.get("/api/v1/shipments/", {"direction": "sideways"}).status_code == 400


# --- detail ----------------------------------------------------------------------------------------


def test_the_detail_has_parcels_timeline_newest_first_quote_and_label(api):
    shipment = book(parcels=[{"weight_kg": "2", "length_cm": 30, "width_cm": 20, "height_cm": 10}, {"weight_kg": "3.5"}])
    scan(shipment, "accepted", MONDAY + 2 * HOUR)
    scan(shipment, "in_transit", MONDAY + 5 * HOUR)

    response = api.get(f"/api/v1/shipments/{shipment.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert [(p["sequence"], p["weight_kg"]) for p in body["parcels"]] == [(1, "2.000"), (2, "3.500")]
    assert body["parcels"][0]["tracking_number"] == shipment.tracking_number
    assert [event["code"] for event in body["tracking_events"]] == ["in_transit", "accepted"]
    assert body["tracking_events"][0]["outcome"]
    assert body["quote"]["price"] == fresh(shipment).quote["price"] and "zone" in body["quote"]
    assert body["status"] == "in_transit" and body["label_url"].endswith(f"/shipments/{shipment.pk}/label.pdf")
    assert body["destination"]["name"] == "Ada Lovelace" and body["created_by"] == "test"


def test_an_unknown_shipment_is_a_404_in_the_error_shape(api):
    response = api.get("/api/v1/shipments/999999/")

    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


# --- label ----------------------------------------------------------------------------------------


def test_the_label_is_the_stored_4x6_pdf_with_the_tracking_number(api):
    shipment = book(reference="FO-LABEL")

    response = api.get(f"/api/v1/shipments/{shipment.pk}/label.pdf", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="label-{shipment.tracking_number}.pdf"' in response["Content-Disposition"]
    [page] = pdf_pages(body_of(response))
    assert shipment.tracking_number in page and "FO-LABEL" in page and "Ada Lovelace" in page


def test_a_missing_label_is_rendered_and_stored_first(api):
    shipment = book(reference="FO-NOLABEL")
    Shipment.objects.filter(pk=shipment.pk).update(label_pdf=None, label_format="")

    response = api.get(f"/api/v1/shipments/{shipment.pk}/label.pdf")

    assert response.status_code == 200
    assert shipment.tracking_number in pdf_pages(body_of(response))[0]
    assert bytes(fresh(shipment).label_pdf) == body_of(response) and fresh(shipment).label_format == "pdf-4x6"


@pytest.mark.parametrize("content, media", [(b"%PDF-1.4 the carrier's own", "application/pdf"), (b"\x89PNG\r\n\x1a\nlabel", "image/png"),
                                            (b"^XA^FO50,50^FDlabel^FS^XZ", "application/zpl")])
def test_a_carriers_own_label_is_served_as_it_came_with_its_content_type(api, content, media):
    shipment = book()
    Shipment.objects.filter(pk=shipment.pk).update(label_pdf=content, label_format="pdf-carrier")

    response = api.get(f"/api/v1/shipments/{shipment.pk}/label.pdf")

    assert response.status_code == 200 and response["Content-Type"] == media and body_of(response) == content


def test_a_voided_shipments_label_is_refused_409(api):
    shipment = book()
    api.post(f"/api/v1/shipments/{shipment.pk}/void/")

    response = api.get(f"/api/v1/shipments/{shipment.pk}/label.pdf", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 409 and response["Content-Type"] == "application/json"
    assert "voided" in error_of(response)["message"]
    assert api.get(f"/api/v1/shipments/{shipment.pk}/").json()["label_url"] is None


def test_the_label_of_an_unknown_shipment_is_a_404(api):
    assert api.get("/api/v1/shipments/999999/label.pdf").status_code == 404


# --- void ----------------------------------------------------------------------------------------------


def test_void_before_the_first_scan_and_again_changes_nothing(api):
    shipment = book()

    first = api.post(f"/api/v1/shipments/{shipment.pk}/void/")
    again = api.post(f"/api/v1/shipments/{shipment.pk}/void/")

    assert first.status_code == 200 and first.json()["status"] == "voided" and first.json()["voided_at"]
    assert again.status_code == 200 and again.json()["voided_at"] == first.json()["voided_at"]
    assert fresh(shipment).status == "voided"


def test_void_after_the_first_scan_is_a_409_saying_why(api):
    shipment = book()
    scan(shipment, "in_transit", MONDAY + 2 * HOUR)

    response = api.post(f"/api/v1/shipments/{shipment.pk}/void/")

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "invalid_transition" and "return" in error["message"]
    assert fresh(shipment).status == "in_transit"


def test_void_of_an_unknown_shipment_is_a_404(api):
    assert api.post("/api/v1/shipments/999999/void/").status_code == 404


# --- who may ----------------------------------------------------------------------------------------


def test_a_key_without_the_shipping_scopes_is_refused(client_for):
    shipment = book()
    reader, other = client_for("shipping:read"), client_for("orders:read", "fulfillment:write")

    assert other.get("/api/v1/shipments/").status_code == 403
    response = reader.post(f"/api/v1/shipments/{shipment.pk}/void/")
    assert response.status_code == 403 and "shipping:write" in error_of(response)["message"]
    assert fresh(shipment).status == "label_created"


def test_staff_need_the_permissions_the_console_asks_for():
    shipment = book()
    nobody, service, warehouse = staff_client(), staff_client("Customer service"), staff_client("Warehouse")

    assert nobody.get("/api/v1/shipments/").status_code == 403
    assert nobody.get(f"/api/v1/shipments/{shipment.pk}/label.pdf").status_code == 403
    assert service.get("/api/v1/shipments/").status_code == 200
    refused = service.post(f"/api/v1/shipments/{shipment.pk}/void/")
    assert refused.status_code == 403 and "void_shipment" in error_of(refused)["message"]
    assert fresh(shipment).status == "label_created"
    assert warehouse.post(f"/api/v1/shipments/{shipment.pk}/void/").status_code == 200


def test_without_a_key_or_a_session_it_is_401(db):
    response = APIClient().get("/api/v1/shipments/")
    assert response.status_code in (401, 403) and error_of(response)["code"] in ("not_authenticated", "authentication_failed")


# --- labels in a batch (inline) -----------------------------------------------------------------------


def test_a_batch_of_labels_is_one_pdf_in_the_order_given_a_page_per_parcel(api):
    one, two = book(reference="FO-A"), book(reference="FO-B", parcels=[{"weight_kg": "1"}, {"weight_kg": "2"}])

    response = api.post("/api/v1/shipments/labels/", {"shipment_ids": [two.pk, one.pk, two.pk]}, format="json")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_pages(body_of(response))
    numbers = [p.tracking_number for p in two.parcels.order_by("sequence")] + [one.tracking_number]
    assert len(pages) == 3 and all(number in page for number, page in zip(numbers, pages))
    assert "FO-B" in pages[0] and "2 of 2" in pages[1] and "FO-A" in pages[2]


def test_a_batch_retried_with_the_same_idempotency_key_prints_again_and_keeps_no_record(api):
    shipment = book()

    first = api.post("/api/v1/shipments/labels/", {"shipment_ids": [shipment.pk]}, format="json", HTTP_IDEMPOTENCY_KEY="print-1")
    again = api.post("/api/v1/shipments/labels/", {"shipment_ids": [shipment.pk]}, format="json", HTTP_IDEMPOTENCY_KEY="print-1")

    assert first.status_code == again.status_code == 200
    assert shipment.tracking_number in pdf_pages(body_of(again))[0]
    assert not IdempotencyRecord.objects.filter(key="print-1").exists()


@pytest.mark.parametrize("body, field", [
    ({}, "shipment_ids"), ({"shipment_ids": []}, "shipment_ids"), ({"shipment_ids": ["x"]}, "shipment_ids[0]"),
    ({"shipment_ids": [0]}, "shipment_ids[0]"), ({"shipment_ids": "1,2"}, "shipment_ids"),
])
def test_a_malformed_batch_is_a_400_naming_the_field(api, body, field):
    response = api.post("/api/v1/shipments/labels/", body, format="json")

    assert response.status_code == 400 and field in error_of(response)["fields"]


def test_a_batch_naming_an_unknown_shipment_is_a_400_naming_it_and_prints_nothing(api):
    shipment = book()

    response = api.post("/api/v1/shipments/labels/", {"shipment_ids": [shipment.pk, 999999]}, format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["fields"] == {"shipment_ids[1]": ["No shipment 999999."]} and "999999" in error["message"]


def test_a_batch_with_a_voided_or_carrier_labelled_shipment_is_a_409_naming_each(api):
    good, voided, carriers_own = book(), book(), book()
    api.post(f"/api/v1/shipments/{voided.pk}/void/")
    Shipment.objects.filter(pk=carriers_own.pk).update(label_format="pdf-carrier")

    response = api.post("/api/v1/shipments/labels/", {"shipment_ids": [good.pk, voided.pk, carriers_own.pk]}, format="json")

    assert response.status_code == 409
    error = error_of(response)
    assert set(error["fields"]) == {"shipment_ids[1]", "shipment_ids[2]"}
    assert "voided" in error["fields"]["shipment_ids[1]"][0] and "carrier" in error["fields"]["shipment_ids[2]"][0]
    assert voided.tracking_number in error["message"] and carriers_own.tracking_number in error["message"]

"""POST /api/v1/reports/imports/: a file checked or applied over the API, with the report."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from inventory.models import Product, StockMovement
from reports.imports.files import MAX_FILE_BYTES
from reports.imports.models import ImportRecord

from ..api.conftest import api, client_for  # noqa: F401  (the API tests' key fixtures)
from ..api.support import error_of
from ..factories import LocationFactory, ProductFactory
from .imports_support import csv_file, written, xlsx_file

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/imports/"
PRICES = csv_file("sku,name,price", "MUG-1,Blue mug,12.50", "MUG-2,Red mug,abc")


def upload(client, content: bytes, *, name="prices.csv", headers=None, **fields):
    data = {"file": SimpleUploadedFile(name, content), **fields}
    return client.post(URL, data, format="multipart", **(headers or {}))


def test_a_dry_run_answers_the_report_and_writes_nothing(api):
    before = written()

    response = upload(api, PRICES, kind="products")

    assert response.status_code == 200, response.content
    body = response.json()
    assert written() == before
    assert (body["dry_run"], body["id"], body["summary"]["valid"], body["summary"]["invalid"]) == (True, None, 1, 1)
    assert body["rows"][1]["errors"] == [{"column": "price", "message": body["rows"][1]["errors"][0]["message"]}]
    assert body["rows"][1]["row"] == 3


def test_applying_keeps_a_record_and_answers_what_was_applied(api):
    response = upload(api, PRICES, kind="products", mode="valid_rows", dry_run="false")

    body = response.json()
    assert response.status_code == 200 and body["dry_run"] is False
    assert [row["outcome"] for row in body["rows"]] == ["created", "not_applied"]
    assert body["summary"]["applied"] == 1 and body["status"] == "partly_applied"
    record = ImportRecord.objects.get(pk=body["id"])
    assert record.actor_label == api.key_name or record.actor_label.startswith("api:")
    assert Product.objects.filter(sku="MUG-1").exists()


def test_all_or_nothing_over_the_api_writes_nothing_with_a_bad_row(api):
    response = upload(api, PRICES, kind="products", mode="all_or_nothing", dry_run="false")

    assert response.json()["status"] == "refused" and not Product.objects.exists()


def test_stock_counts_from_an_xlsx_file_go_through_the_ledger(api):
    LocationFactory(code="chicago")
    ProductFactory(sku="SKU-A")
    content = xlsx_file([["sku", "location", "counted"], ["SKU-A", "chicago", 4]])

    response = upload(api, content, name="count.xlsx", kind="stock_counts", dry_run="false")

    assert response.status_code == 200, response.content
    (movement,) = StockMovement.objects.all()
    assert (movement.kind, movement.on_hand_delta, movement.reason) == ("count_correction", 4, "Stock count: 4")


@pytest.mark.parametrize(
    ("content", "name", "fields", "says"),
    [
        pytest.param(b"%PDF-1.4", "prices.pdf", {"kind": "products"}, "Only CSV", id="pdf"),
        pytest.param(b"sku\r\nA\r\n", "prices.xlsx", {"kind": "products"}, "not an Excel workbook", id="not-xlsx"),
        pytest.param(PRICES, "prices.csv", {"kind": "invoices"}, "kind must be one of", id="unknown-kind"),
        pytest.param(PRICES, "prices.csv", {}, "kind must be one of", id="no-kind"),
        pytest.param(PRICES, "prices.csv", {"kind": "products", "mode": "some"}, "mode must be one of", id="unknown-mode"),
    ],
)
def test_a_file_or_form_that_cannot_be_used_is_a_400_with_a_clear_message(api, content, name, fields, says):
    before = written()

    response = upload(api, content, name=name, dry_run="false", **fields)

    assert response.status_code == 400, response.content
    assert says in error_of(response)["message"]
    assert written() == before


def test_a_file_over_5_mb_is_a_413_that_writes_nothing(api):
    before = written()

    response = upload(api, b"x" * (MAX_FILE_BYTES + 1), name="big.csv", dry_run="false", kind="products")

    assert response.status_code == 413, response.content
    assert "larger than 5 MB" in error_of(response)["message"] and "split it into smaller files" in error_of(response)["message"]
    assert written() == before


def test_no_file_is_a_400(api):
    response = api.post(URL, {"kind": "products"}, format="multipart")

    assert response.status_code == 400 and "file" in error_of(response)["fields"]


def test_a_json_body_is_refused_not_crashed(api):
    response = api.post(URL, {"kind": "products"}, format="json")

    assert response.status_code in (400, 415)


def test_the_same_idempotency_key_replays_and_another_file_with_it_is_422(api):
    headers = {"HTTP_IDEMPOTENCY_KEY": "import-1"}

    first = upload(api, PRICES, kind="products", dry_run="false", headers=headers)
    again = upload(api, PRICES, kind="products", dry_run="false", headers=headers)
    other = upload(api, csv_file("sku,name,price", "MUG-9,Other,1"), kind="products", dry_run="false", headers=headers)

    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert ImportRecord.objects.count() == 1
    assert other.status_code == 422 and not Product.objects.filter(sku="MUG-9").exists()


def test_a_key_without_reports_write_is_refused(client_for):
    response = upload(client_for("reports:read"), PRICES, kind="products")

    assert response.status_code == 403


def _session(role: str) -> APIClient:
    user = get_user_model().objects.create_user(username=role.lower().replace(" ", "_"), password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.force_login(user)
    return client


def test_a_session_imports_only_the_kinds_its_role_does_by_hand():
    service = _session("Customer service")

    customers = upload(service, csv_file("email,first_name", "a@example.com,Ann"), kind="customers")
    products = upload(service, PRICES, kind="products")

    assert customers.status_code == 200
    assert products.status_code == 403 and "inventory.change_product" in error_of(products)["message"]


def test_the_warehouse_may_not_import_at_all():
    response = upload(_session("Warehouse"), PRICES, kind="products")

    assert response.status_code == 403 and "reports.run_import" in error_of(response)["message"]

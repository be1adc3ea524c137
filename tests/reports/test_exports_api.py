"""Exports through the API: a key with reports:write starts one (202, always a job), follows it
with reports:read and downloads the file; bad input is a 400 naming the field."""

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import client_for  # noqa: F401 (fixture)
from tests.api.support import error_of

from .conftest import csv_rows, order_make, staff_make, xlsx_rows

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/exports/"


def test_a_key_starts_an_export_follows_it_and_downloads_the_file(client_for, django_capture_on_commit_callbacks):
    # Given two web orders and one from the shop, and a key that may start and read exports
    first, second = order_make(placed="2026-03-02 10:00"), order_make(placed="2026-03-03 10:00")
    order_make(channel="pos")
    books = client_for("reports:read", "reports:write")

    # When it asks for the web orders' lines as CSV (the worker runs after commit)
    with django_capture_on_commit_callbacks(execute=True):
        started = books.post(URL, {"kind": "order_lines", "format": "csv", "filters": {"channel": "web"}}, format="json",
                             HTTP_IDEMPOTENCY_KEY="books-1")

    # Then 202 with the job, which is done by the time it is read, and the file holds those lines
    assert started.status_code == 202, started.content
    job = started.json()
    assert (job["kind"], job["format"], job["status"], job["rows_total"]) == ("order_lines", "csv", "queued", 2)
    followed = books.get(job["url"]).json()
    assert (followed["status"], followed["rows_done"], followed["progress_percent"]) == ("done", 2, 100)
    download = books.get(followed["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="order-lines' in download["Content-Disposition"]
    assert [row[0] for row in csv_rows(b"".join(download.streaming_content))[1:]] == [first.number, second.number]


def test_an_xlsx_export_downloads_as_a_workbook(client_for, django_capture_on_commit_callbacks):
    order = order_make()
    books = client_for("reports:read", "reports:write")
    with django_capture_on_commit_callbacks(execute=True):
        job = books.post(URL, {"kind": "orders", "format": "xlsx"}, format="json").json()

    download = books.get(f"{job['url']}download/")

    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx_rows(b"".join(download.streaming_content))[1][0] == order.number


@pytest.mark.parametrize("body, field", [
    ({"kind": "invoices", "format": "csv"}, "kind"),
    ({"kind": "orders", "format": "pdf"}, "format"),
    ({"kind": "orders", "format": "csv", "filters": {"from": "yesterday"}}, "filters.from"),
    ({"kind": "orders", "format": "csv", "filters": {"status": "lost"}}, "filters.status"),
    ({"kind": "orders", "format": "csv", "filters": {"warehouse": "x"}}, "filters.warehouse"),
    ({"kind": "orders", "format": "csv", "filters": "web"}, "filters"),
], ids=["unknown-kind", "unknown-format", "bad-day", "bad-status", "unknown-filter", "filters-not-object"])
def test_bad_input_is_a_400_naming_the_field_and_starts_nothing(client_for, body, field):
    from reports.models import ExportJob

    refused = client_for("reports:write").post(URL, body, format="json")

    assert refused.status_code == 400
    assert field in error_of(refused)["fields"]
    assert not ExportJob.objects.exists()


def test_the_same_idempotency_key_replays_the_job_and_refuses_another_body(client_for, django_capture_on_commit_callbacks):
    order_make()
    books = client_for("reports:write")
    body = {"kind": "orders", "format": "csv"}
    with django_capture_on_commit_callbacks(execute=False):
        first = books.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        again = books.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        other = books.post(URL, {**body, "format": "xlsx"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422 and error_of(other)["code"] == "idempotency_key_reused"


def test_a_job_not_done_is_a_409_and_another_keys_job_is_a_404(client_for, django_capture_on_commit_callbacks):
    order_make()
    books, other = client_for("reports:read", "reports:write"), client_for("reports:read")
    with django_capture_on_commit_callbacks(execute=False):
        job = books.post(URL, {"kind": "orders", "format": "csv"}, format="json").json()

    assert error_of(books.get(f"{job['url']}download/"))["code"] == "not_ready"
    assert other.get(job["url"]).status_code == 404


def test_a_warehouse_session_may_not_export_and_an_accountant_may_export_shipments(django_capture_on_commit_callbacks):
    # The export permission is finance's view of the books, shipments' costs included (Accounting
    # also reads the console list of shipments, next to the carriers' charges).
    order_make()
    client = APIClient()
    client.force_login(staff_make("picker", "Warehouse"))
    assert client.post(URL, {"kind": "orders", "format": "csv"}, format="json").status_code == 403

    accountant = staff_make("acc", "Accounting")
    assert accountant.has_perm("shipping.view_shipment") and not accountant.has_perm("shipping.change_shipment")
    client.force_login(accountant)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(URL, {"kind": "shipments", "format": "csv"}, format="json").status_code == 202
    refused = client.post(URL, {"kind": "shipments", "format": "csv", "filters": {"direction": "sideways"}}, format="json")
    assert refused.status_code == 400

"""Labels in large batches: a document job with progress, through the API and the console's print action."""

import pytest
from django.urls import reverse

from oms.documents import document_job_run, document_job_start
from oms.errors import InvalidInput, InvalidTransition
from oms.models import DocumentJob
from shipping.documents import KIND, shipments_labels_batch_pdf
from shipping.models import Shipment
from shipping.services import shipment_void

from .test_admin_shipments import login
from .test_api_shipments import api, body_of, client_for, error_of, pdf_pages, staff_client  # noqa: F401 (fixtures)
from .test_shipments import book, carriers  # noqa: F401 (carriers: the autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_limit(settings):
    settings.OMS_LABELS_INLINE_MAX = 2


def test_the_batch_renders_in_chunks_reporting_progress_and_keeps_the_order():
    shipments = [book(reference=f"FO-{n}") for n in range(5)]
    seen = []

    rendered = shipments_labels_batch_pdf([s.pk for s in reversed(shipments)], chunk_size=2, progress=lambda done, total: seen.append((done, total)))

    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    pages = pdf_pages(rendered.content)
    assert rendered.page_count == len(pages) == 5
    assert [s.tracking_number in page for s, page in zip(reversed(shipments), pages)] == [True] * 5


def test_above_the_limit_the_api_answers_202_with_a_job_that_renders_the_labels(api, low_limit, django_capture_on_commit_callbacks):
    shipments = [book(reference=f"FO-{n}") for n in range(3)]
    ids = [s.pk for s in shipments]

    with django_capture_on_commit_callbacks(execute=False):
        response = api.post("/api/v1/shipments/labels/", {"shipment_ids": ids}, format="json")

    assert response.status_code == 202
    job = response.json()
    assert (job["kind"], job["status"], job["progress_done"], job["progress_total"]) == (KIND, "queued", 0, 3)
    assert job["url"] == f"/api/v1/document-jobs/{job['id']}/" and job["download_url"] is None
    assert api.get(f"/api/v1/document-jobs/{job['id']}/download/").status_code == 409  # not ready yet

    # When a worker runs it
    assert document_job_run(job_id=job["id"]) == "done"

    # Then the job says done with every label, and the PDF downloads
    done = api.get(job["url"]).json()
    assert (done["status"], done["progress_done"], done["progress_percent"], done["page_count"]) == ("done", 3, 100, 3)
    download = api.get(done["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    pages = pdf_pages(body_of(download))
    assert [s.tracking_number in page for s, page in zip(shipments, pages)] == [True] * 3


def test_at_the_limit_the_labels_come_at_once(api, low_limit):
    ids = [book().pk for _ in range(2)]

    response = api.post("/api/v1/shipments/labels/", {"shipment_ids": ids}, format="json")

    assert response.status_code == 200 and len(pdf_pages(body_of(response))) == 2
    assert not DocumentJob.objects.exists()


def test_a_batch_refused_above_the_limit_queues_no_job(api, low_limit):
    ids = [book().pk for _ in range(3)]
    shipment_void(shipment_id=ids[1], actor="test")

    response = api.post("/api/v1/shipments/labels/", {"shipment_ids": ids}, format="json")

    assert response.status_code == 409 and "shipment_ids[1]" in error_of(response)["fields"]
    assert not DocumentJob.objects.exists()


def test_another_key_cannot_see_or_download_the_job(api, client_for, low_limit):
    ids = [book().pk for _ in range(3)]
    job_id = api.post("/api/v1/shipments/labels/", {"shipment_ids": ids}, format="json").json()["id"]
    document_job_run(job_id=job_id)
    stranger, no_scope = client_for("documents:read"), client_for("shipping:read")

    assert stranger.get(f"/api/v1/document-jobs/{job_id}/").status_code == 404
    assert stranger.get(f"/api/v1/document-jobs/{job_id}/download/").status_code == 404
    refused = no_scope.get(f"/api/v1/document-jobs/{job_id}/")
    assert refused.status_code == 403 and "documents:read" in error_of(refused)["message"]


def test_staff_with_the_download_permission_may_fetch_any_job(api, low_limit):
    ids = [book().pk for _ in range(3)]
    job_id = api.post("/api/v1/shipments/labels/", {"shipment_ids": ids}, format="json").json()["id"]
    document_job_run(job_id=job_id)

    assert staff_client("Warehouse").get(f"/api/v1/document-jobs/{job_id}/download/").status_code == 200
    assert staff_client("Accounting").get(f"/api/v1/document-jobs/{job_id}/").status_code == 404


def test_a_job_whose_shipment_was_voided_meanwhile_fails_saying_so(low_limit):
    ids = [book().pk for _ in range(3)]
    job = document_job_start(kind=KIND, payload={"shipment_ids": ids}, actor="test")
    shipment_void(shipment_id=ids[2], actor="test")

    assert document_job_run(job_id=job.pk) == "failed"

    job.refresh_from_db()
    assert "voided" in job.error and job.pdf is None


@pytest.mark.parametrize("payload, error", [
    ({"shipment_ids": [999999]}, InvalidInput), ({"shipment_ids": "1"}, InvalidInput), ({}, InvalidInput), ({"shipment_ids": []}, InvalidInput),
])
def test_a_job_for_shipments_that_cannot_print_is_refused_before_anything_is_queued(payload, error):
    with pytest.raises(error):
        document_job_start(kind=KIND, payload=payload, actor="test")
    assert not DocumentJob.objects.exists()


def test_a_job_for_a_voided_shipment_is_refused():
    shipment = book()
    shipment_void(shipment_id=shipment.pk, actor="test")

    with pytest.raises(InvalidTransition):
        document_job_start(kind=KIND, payload={"shipment_ids": [shipment.pk]}, actor="test")


def test_the_console_starts_a_job_above_the_limit_and_shows_its_page(client, settings):
    settings.OMS_LABELS_INLINE_MAX = 1
    shipments = [book(reference=f"FO-{n}") for n in range(3)]
    shipment_void(shipment_id=shipments[0].pk, actor="test")
    login(client)

    response = client.post(
        reverse("admin:shipping_shipment_changelist"), {"action": "print_labels", "_selected_action": [s.pk for s in shipments]}
    )

    job = DocumentJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("admin:oms_documentjob_change", args=[job.pk])
    assert job.kind == KIND and job.payload == {"shipment_ids": [shipments[1].pk, shipments[2].pk]}  # the voided one skipped
    assert job.title == "Shipping labels (2)" and job.progress_total == 2
    assert Shipment.objects.filter(pk=shipments[0].pk, status="voided").exists()

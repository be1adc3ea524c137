"""Document jobs: started, rendered by a worker in chunks with progress, downloaded by who may."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from fulfillment.documents import jobs as document_jobs
from oms import documents
from oms.documents import DocumentRenderer, document_job_run, document_job_start
from oms.errors import InvalidInput
from oms.models import DocumentJob

from .conftest import packing_slip_make, pdf_pages, pick_list_make

pytestmark = pytest.mark.django_db


def _staff(username: str, *permissions: str):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="oms", codename=codename))
    return get_user_model().objects.get(pk=user.pk)


def _slips_payload(count: int) -> dict:
    return {"documents": [packing_slip_make(number=f"FO-7{n:04d}").as_dict() for n in range(count)]}


def test_a_wave_of_packing_slips_renders_after_commit_in_chunks_and_ends_done_with_one_page_each(
    plain_renderers, django_capture_on_commit_callbacks, monkeypatch
):
    # Given chunks of 2 and a progress log
    monkeypatch.setattr(document_jobs, "CHUNK_SIZE", 2)
    document_jobs.plain_renderers_register()
    seen = []
    original = documents._job_progress
    monkeypatch.setattr(documents, "_job_progress", lambda *args: (original(*args), seen.append(_progress(args[0]))))
    clerk = _staff("clerk")

    # When a clerk starts a job for 5 slips (the worker runs in-process after commit)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = document_job_start(kind="packing_slips", payload=_slips_payload(5), actor=clerk, title="Wave 12 packing slips")
    assert (job.status, job.progress_done, job.progress_total) == ("queued", 0, 5)
    for callback in callbacks:
        callback()

    # Then it went 0, 2, 4, 5 of 5 while running, and ends done with 5 pages in order
    job.refresh_from_db()
    assert seen == [(0, 5, "running"), (2, 5, "running"), (4, 5, "running"), (5, 5, "running")]
    assert (job.status, job.progress_done, job.page_count, job.progress_percent) == ("done", 5, 5, 100)
    assert job.created_by == clerk and job.actor_label == "clerk" and job.finished_at is not None
    pages = pdf_pages(bytes(job.pdf))
    assert [page.split("Packing slip ")[1][:8] for page in pages] == [f"FO-7{n:04d}" for n in range(5)]
    assert job.pdf_size == len(bytes(job.pdf)) and job.filename == f"wave-12-packing-slips-{job.pk}.pdf"


def _progress(job_id):
    job = DocumentJob.objects.get(pk=job_id)
    return (job.progress_done, job.progress_total, job.status)


def test_running_a_job_twice_renders_it_once(plain_renderers, monkeypatch):
    job = document_job_start(kind="pick_lists", payload={"documents": [pick_list_make().as_dict()]}, actor="test")
    assert document_job_run(job_id=job.pk) == "done"
    first = bytes(DocumentJob.objects.get(pk=job.pk).pdf)

    assert document_job_run(job_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert job.attempts == 1 and bytes(job.pdf) == first


def test_a_job_held_by_a_live_worker_is_skipped_and_one_whose_worker_died_is_rendered_again(plain_renderers):
    job = document_job_start(kind="pick_lists", payload={"documents": [pick_list_make().as_dict()]}, actor="test")
    # Given a worker claimed it and is still within its lease
    claimed = documents._job_claim(job.pk)
    assert claimed.status == "running"

    assert document_job_run(job_id=job.pk) == "skipped"

    # When its lease runs out (the worker died), the next run takes it over and finishes it
    DocumentJob.objects.filter(pk=job.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert document_job_run(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert job.attempts == 2 and job.page_count == 1
    # And the dead worker's late result is ignored
    assert documents._job_end(job.pk, 1, error="late") == "skipped"
    job.refresh_from_db()
    assert job.status == "done" and job.error == ""


def test_a_renderer_that_fails_marks_the_job_failed_with_a_message_and_never_leaves_it_running(plain_renderers):
    def broken(payload, progress):
        progress(0, 3)
        raise RuntimeError("printer on fire")

    documents.document_renderer_register("broken", DocumentRenderer(title="Broken", count=lambda payload: 3, render=broken))
    job = document_job_start(kind="broken", payload={}, actor="test")

    assert document_job_run(job_id=job.pk) == "failed"

    job.refresh_from_db()
    assert job.status == "failed" and "printer on fire" in job.error and job.pdf is None and job.leased_until is None
    assert document_job_run(job_id=job.pk) == "skipped"


def test_an_unknown_kind_or_a_malformed_payload_is_refused_and_nothing_is_queued(plain_renderers):
    with pytest.raises(InvalidInput, match="no document of kind 'labels'"):
        document_job_start(kind="labels", payload={}, actor="test")
    with pytest.raises(InvalidInput, match='"documents" list'):
        document_job_start(kind="packing_slips", payload={"ids": [1]}, actor="test")
    with pytest.raises(InvalidInput, match="incomplete or malformed"):
        document_job_start(kind="packing_slips", payload={"documents": [{"order_number": "1"}]}, actor="test")
    with pytest.raises(InvalidInput, match="at least one"):
        document_job_start(kind="packing_slips", payload={"documents": []}, actor="test")

    assert not DocumentJob.objects.exists()


def test_the_download_serves_the_pdf_to_its_requester_and_to_staff_allowed_to_download(plain_renderers, client):
    owner = _staff("owner", "view_documentjob")
    job = document_job_start(kind="packing_slips", payload=_slips_payload(2), actor=owner, title="Slips")
    document_job_run(job_id=job.pk)
    url = reverse("admin:oms_documentjob_download", args=[job.pk])

    client.force_login(owner)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="slips-{job.pk}.pdf"'
    assert len(pdf_pages(response.content)) == 2

    client.force_login(_staff("supervisor", "view_documentjob", "download_documentjob"))
    assert client.get(url).status_code == 200


def test_staff_who_may_not_download_get_no_link_and_no_pdf(plain_renderers, client):
    job = document_job_start(kind="packing_slips", payload=_slips_payload(1), actor=_staff("owner"), title="Slips")
    document_job_run(job_id=job.pk)
    onlooker = _staff("onlooker", "view_documentjob")
    client.force_login(onlooker)

    listing = client.get(reverse("admin:oms_documentjob_changelist")).content.decode()
    response = client.get(reverse("admin:oms_documentjob_download", args=[job.pk]))

    assert "Slips" in listing and "Download" not in listing
    assert response.status_code == 404 and b"%PDF" not in response.content


def test_a_job_not_done_yet_cannot_be_downloaded_and_says_so(plain_renderers, client):
    owner = _staff("owner", "view_documentjob")
    job = document_job_start(kind="packing_slips", payload=_slips_payload(1), actor=owner, title="Slips")
    client.force_login(owner)

    response = client.get(reverse("admin:oms_documentjob_download", args=[job.pk]))

    assert response.status_code == 409 and "queued" in response.content.decode()


def test_the_job_list_shows_progress_status_and_a_download_link(plain_renderers, client):
    manager = _staff("manager", "view_documentjob", "download_documentjob")
    done = document_job_start(kind="packing_slips", payload=_slips_payload(3), actor="test", title="Wave 3")
    document_job_run(job_id=done.pk)
    waiting = document_job_start(kind="packing_slips", payload=_slips_payload(4), actor="test", title="Wave 4")
    DocumentJob.objects.filter(pk=waiting.pk).update(progress_done=1)
    client.force_login(manager)

    listing = client.get(reverse("admin:oms_documentjob_changelist")).content.decode()
    page = client.get(reverse("admin:oms_documentjob_change", args=[done.pk])).content.decode()

    assert "Wave 3" in listing and "Wave 4" in listing
    assert "3 / 3" in listing and '<progress value="25"' in listing and "1 / 4" in listing
    assert listing.count(reverse("admin:oms_documentjob_download", args=[done.pk])) == 1
    assert reverse("admin:oms_documentjob_download", args=[waiting.pk]) not in listing
    assert "Download" in page and "Done" in page

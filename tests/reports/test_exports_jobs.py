"""Export jobs: started with their rows counted, built by a worker in chunks with progress,
downloaded whole; a failure says why; a worker that dies mid-job neither loses nor repeats a row."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reports import export_files, exports
from reports.export_files import csv_pieces
from reports.export_resources import export_resource_for
from reports.exports import export_job_content, export_job_run, export_job_start, export_jobs_sweep
from reports.models import ExportChunk, ExportJob

from .conftest import csv_rows, order_make, staff_make, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_chunks(monkeypatch):
    """Batches of 2 rows and chunks of 200 bytes, so a few orders make many chunks."""
    monkeypatch.setattr(export_files, "CSV_BATCH_ROWS", 2)
    monkeypatch.setattr(export_files, "FETCH_ROWS", 2)
    monkeypatch.setattr(exports, "CHUNK_BYTES", 200)


def _orders(count: int) -> list[str]:
    return [order_make(placed=f"2026-03-{day:02d} 10:00").number for day in range(1, count + 1)]


def _content(job: ExportJob) -> bytes:
    job.refresh_from_db()
    return b"".join(export_job_content(job))


def _inline_csv(kind: str, **filters) -> bytes:
    resource = export_resource_for(kind)
    return b"".join(csv_pieces(resource, resource.rows(filters=filters)))


def test_a_job_counts_its_rows_runs_after_commit_reports_progress_and_downloads_whole(small_chunks, django_capture_on_commit_callbacks, monkeypatch):
    # Given 7 orders and a log of the job's progress as the worker reports it
    numbers = _orders(7)
    accountant = staff_make("acc", "Accounting")
    seen = []
    original = exports._job_progress
    monkeypatch.setattr(exports, "_job_progress", lambda job_id, attempt, rows: (original(job_id, attempt, rows), seen.append(rows)))

    # When the accountant starts an export of March 2 to 6 (the worker runs after commit)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = export_job_start(kind="orders", format="csv", selection={"filters": {"from": "2026-03-02", "to": "2026-03-06"}}, actor=accountant)
    assert (job.status, job.rows_done, job.rows_total, job.title) == ("queued", 0, 5, "Orders 2026-03-02 to 2026-03-06")
    for callback in callbacks:
        callback()

    # Then it went up by batches, ends done, and the file is the five orders, once each, in order
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.progress_percent, job.attempts) == ("done", 5, 5, 100, 1)
    assert seen[-1] == 5 and 2 in seen and 4 in seen
    content = _content(job)
    assert ExportChunk.objects.filter(job=job).count() > 2 and job.size == len(content)
    assert [row[0] for row in csv_rows(content)[1:]] == numbers[1:6]
    assert content == _inline_csv("orders", **{"from": "2026-03-02", "to": "2026-03-06"})
    assert job.filename == f"orders-2026-03-02-to-2026-03-06-{job.pk}.csv" and job.created_by == accountant


def test_an_xlsx_job_is_a_workbook_of_the_rows(small_chunks):
    numbers = _orders(3)
    job = export_job_start(kind="orders", format="xlsx", selection={}, actor="api:books")

    assert export_job_run(job_id=job.pk) == "done"

    rows = xlsx_rows(_content(job))
    assert [row[0] for row in rows[1:]] == numbers and rows[0][0] == "order_number"


def test_running_a_job_twice_builds_it_once():
    _orders(2)
    job = export_job_start(kind="orders", format="csv", selection={}, actor="api:books")
    assert export_job_run(job_id=job.pk) == "done"
    first = _content(job)

    assert export_job_run(job_id=job.pk) == "skipped"
    job.refresh_from_db()
    assert job.attempts == 1 and _content(job) == first


def test_a_job_that_fails_says_why_and_keeps_no_partial_file(small_chunks, monkeypatch):
    _orders(5)
    job = export_job_start(kind="orders", format="csv", selection={}, actor="api:books")

    def broken(*args, **kwargs):
        yield b"order_number\r\n"
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(exports, "csv_pieces", broken)
    assert export_job_run(job_id=job.pk) == "failed"

    job.refresh_from_db()
    assert job.status == "failed" and "RuntimeError: disk on fire" in job.error and job.finished_at is not None
    assert not ExportChunk.objects.filter(job=job).exists()


def test_a_job_from_a_list_fails_when_whoever_asked_may_no_longer_see_the_rows():
    _orders(2)
    accountant = staff_make("acc", "Accounting")
    job = export_job_start(kind="orders", format="csv", selection={"list": "orders.order", "query": ""}, actor=accountant)
    accountant.groups.clear()

    assert export_job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert "may not open the list of orders" in job.error


class WorkerKilled(BaseException):
    """What a worker's death looks like from inside: nothing after it runs (no failure recorded)."""


def test_a_worker_that_dies_mid_job_leaves_it_to_the_next_which_writes_every_row_exactly_once(small_chunks, monkeypatch):
    # Given an export of 9 orders whose first worker dies after writing 2 chunks
    numbers = _orders(9)
    job = export_job_start(kind="orders", format="csv", selection={}, actor="api:books")
    original = exports._ChunkSink._store
    stored = []

    def store_then_die(sink):
        if len(stored) == 2:
            raise WorkerKilled
        original(sink)
        stored.append(sink.sequence)

    monkeypatch.setattr(exports._ChunkSink, "_store", store_then_die)
    with pytest.raises(WorkerKilled):
        export_job_run(job_id=job.pk)
    monkeypatch.setattr(exports._ChunkSink, "_store", original)
    job.refresh_from_db()
    assert job.status == "running" and job.rows_done > 0 and ExportChunk.objects.filter(job=job).count() == 2

    # While its lease runs, nobody else takes the job
    assert export_job_run(job_id=job.pk) == "skipped"

    # When the lease has run out, the sweep queues it again and the next worker builds it
    ExportJob.objects.filter(pk=job.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(exports, "_enqueue", lambda job_id: None)
    assert export_jobs_sweep() == 1
    assert export_job_run(job_id=job.pk) == "done"

    # Then the file holds each order once, in order, and only the second attempt's chunks
    job.refresh_from_db()
    assert job.attempts == 2 and job.rows_done == 9
    assert [row[0] for row in csv_rows(_content(job))[1:]] == numbers
    assert set(ExportChunk.objects.filter(job=job).values_list("attempt", flat=True)) == {2}


def test_a_worker_whose_lease_ran_out_cannot_add_to_the_file_of_the_one_that_took_over(small_chunks):
    # Given a first worker claimed the job, and a second took it over after the lease ran out
    numbers = _orders(4)
    job = export_job_start(kind="orders", format="csv", selection={}, actor="api:books")
    slow = exports._job_claim(job.pk)
    ExportJob.objects.filter(pk=job.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert export_job_run(job_id=job.pk) == "done"

    # When the slow first worker wakes up and writes its chunk
    sink = exports._ChunkSink(job.pk, slow.attempts)
    with pytest.raises(exports.LeaseLost):
        sink.write(b"x" * 500)

    # Then nothing of it reached the file
    assert [row[0] for row in csv_rows(_content(job))[1:]] == numbers
    assert not ExportChunk.objects.filter(job=job, attempt=slow.attempts).exists()


def test_the_sweep_queues_lost_messages_and_dead_workers_jobs_only(monkeypatch):
    queued = []
    monkeypatch.setattr(exports, "_enqueue", queued.append)
    _orders(1)
    lost = export_job_start(kind="orders", format="csv", selection={}, actor="api:books")
    fresh = export_job_start(kind="orders", format="csv", selection={}, actor="api:books")
    alive = export_job_start(kind="orders", format="csv", selection={}, actor="api:books")
    ExportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    exports._job_claim(alive.pk)
    queued.clear()

    assert export_jobs_sweep() == 1 and queued == [lost.pk] and fresh.pk not in queued

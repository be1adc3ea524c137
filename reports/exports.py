"""Export jobs: an export too large to answer at once, built by a worker, followed, downloaded.

The shape is the kernel's document jobs (:mod:`oms.documents`): a job is recorded and queued
after commit; a worker claims it under a lease, which every chunk renews; a job whose worker died
(its lease ran out) is claimed again and built from the start, and the claim discards what the
dead attempt had written. The file goes to the database in chunks of about a megabyte, each
written only while the writer still holds the claim, so a worker that lost its job cannot add a
row to the file of the one that took it over. The download streams the chunks in order.

What is exported is a ``selection``: ``{"filters": {...}}`` (the API, the export form) or
``{"list": "orders.order", "query": "..."}`` (an admin list as its filters and search showed
it, rebuilt from the registered ``ModelAdmin`` for the user who asked: :mod:`reports.export_lists`).

An export's rows (and the admin list they are rebuilt from) are read from the read replica when
one is configured (``oms.db.reading_from_replica``), so a million-row export does not load the
primary; the replica may be a few seconds behind, so a change committed just before the export
started may be missing from it. The jobs' own rows (``ExportJob``, ``ExportChunk``) are writes
and stay on the default database.
"""

import functools
import logging
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from oms.actors import Actor, actor_fields
from oms.db import reading_from_replica
from oms.errors import DomainError, InvalidInput, NotFound
from oms.masking import personal_data_visible

from .export_files import csv_pieces, xlsx_write
from .export_lists import admin_list_rows
from .export_resources import ExportResource, export_resource_for
from .models import ExportChunk, ExportFormat, ExportJob

logger = logging.getLogger(__name__)

# A worker holds a claimed job this long after its last sign of life (each chunk renews it).
LEASE = timedelta(minutes=10)
CHUNK_BYTES = 1024 * 1024
# A queued job whose message this old was never taken (a lost message) is queued again by the sweep.
QUEUED_GRACE = timedelta(minutes=2)

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class LeaseLost(Exception):
    """The job was taken over by another worker (this one's lease had run out): stop writing."""


def export_format_check(value) -> str:
    if value not in ExportFormat.values:
        raise InvalidInput(f"The format must be one of {', '.join(ExportFormat.values)}.", fields={"format": ["Unknown format."]})
    return value


def export_rows(*, kind: str, selection: dict, user: AbstractBaseUser | None) -> tuple[ExportResource, QuerySet]:
    """The resource of ``kind`` and the rows ``selection`` picks; refuses a bad selection
    (``InvalidInput`` naming the field) or an admin list the user may not see.

    Whoever may export (``reports.export_data``, checked by the caller) may export every kind by
    filters: it is finance's view of the books, and the shipments' costs are theirs to see even
    where their role has no console list of shipments. An export from a list is the list as that
    user sees it, so it needs the list.

    The rows are pinned to the database they are read from (the replica, when configured and no
    transaction is open), so a file streamed after the view returned reads where they were counted."""
    with reading_from_replica():
        resource, rows = _export_rows(kind=kind, selection=selection, user=user)
        return resource, rows.using(rows.db)


def _export_rows(*, kind: str, selection: dict, user: AbstractBaseUser | None) -> tuple[ExportResource, QuerySet]:
    resource = export_resource_for(kind)
    # A person exporting gets the columns their role may see (an API key's integration: all).
    resource.personal_data_hidden = user is not None and not personal_data_visible(user)
    if not isinstance(selection, dict):
        raise InvalidInput("The selection must be an object.", fields={"selection": ["An object is required."]})
    filters = selection.get("filters") or {}
    if "list" in selection:
        list_label = selection["list"]
        if list_label not in resource.lists:
            raise InvalidInput(f"{resource.title} cannot be exported from the list {list_label!r}.", fields={"list": ["Not a list of this export."]})
        list_rows = admin_list_rows(list_label=list_label, query=str(selection.get("query", "")), user=user)
        return resource, resource.rows_of_list(list_label=list_label, list_rows=list_rows, filters=filters)
    return resource, resource.rows(filters=filters)


def export_title(resource: ExportResource, selection: dict) -> str:
    filters = selection.get("filters") or {}
    if "at" in filters:
        return f"{resource.title} at {filters['at']}"
    period = " to ".join(str(filters[name]) for name in ("from", "to") if filters.get(name))
    return f"{resource.title} {period}".strip() if period else f"{resource.title} {timezone.localdate():%Y-%m-%d}"


def export_job_start(*, kind: str, format: str, selection: dict, actor: Actor) -> ExportJob:
    """Record an export of ``kind`` as ``format`` of the rows ``selection`` picks; a worker builds
    it after commit. The selection is checked (and its rows counted) first: a bad one is refused
    with ``InvalidInput`` naming the field, and nothing is recorded or queued."""
    export_format_check(format)
    user = actor if isinstance(actor, AbstractBaseUser) else None
    resource, rows = export_rows(kind=kind, selection=selection, user=user)
    total = rows.count()
    who = actor_fields(actor)
    with transaction.atomic():
        job = ExportJob.objects.create(
            kind=kind, format=format, title=export_title(resource, selection)[:200], selection=selection, rows_total=total,
            created_by=who["actor"], actor_label=who["actor_label"],
        )
        transaction.on_commit(functools.partial(_enqueue, job.pk), robust=True)
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import export_job_build

    export_job_build.delay(job_id)


def export_job_run(*, job_id: int) -> str:
    """Build a job's file; what happened: ``done``, ``failed`` or ``skipped``.

    Safe to run twice: a job done or failed, or held by a live worker, is skipped. A job whose
    worker died is claimed again and built from the start (the dead attempt's chunks are
    discarded by the claim). A refusal (the list no longer visible to whoever asked, a filter
    gone bad) or a crash marks the job failed with a message.
    """
    job = _job_claim(job_id)
    if job is None:
        return "skipped"
    attempt = job.attempts
    sink = _ChunkSink(job_id, attempt)
    try:
        user = get_user_model().objects.filter(pk=job.created_by_id, is_active=True).first() if job.created_by_id else None
        if job.created_by_id and user is None:
            raise DomainError("Whoever asked for this export can no longer sign in; ask again.")
        resource, rows = export_rows(kind=job.kind, selection=job.selection, user=user)
        if job.format == ExportFormat.XLSX:
            done = xlsx_write(resource, rows, sink, on_rows=sink.rows_written)
        else:
            for piece in csv_pieces(resource, rows, on_rows=sink.rows_written):
                sink.write(piece)
            done = sink.rows
        sink.close()
    except LeaseLost:
        return "skipped"
    except DomainError as error:
        return _job_end(job_id, attempt, error=error.message)
    except Exception as error:
        logger.exception("export job %s failed", job_id)
        return _job_end(job_id, attempt, error=f"The export failed ({type(error).__name__}: {error}). Try again; if it fails again, report it.")
    return _job_end(job_id, attempt, rows=done, size=sink.size)


def _job_claim(job_id: int) -> ExportJob | None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update(no_key=True).filter(pk=job_id).first()
        if job is None or job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
            return None
        now = timezone.now()
        if job.status == ExportJob.Status.RUNNING and job.leased_until and job.leased_until > now:
            return None
        job.start(lease_until=now + LEASE)
        job.save(update_fields=["status", "attempts", "leased_until", "started_at", "error", "rows_done"])
        # What an earlier attempt wrote before its worker died is never part of this file.
        ExportChunk.objects.filter(job_id=job_id).delete()
        return job


class _ChunkSink:
    """Where a worker writes the file: bytes gathered into chunks of ``CHUNK_BYTES``, each stored
    with the rows done so far in one transaction that also checks the claim and renews the lease."""

    def __init__(self, job_id: int, attempt: int):
        self.job_id, self.attempt = job_id, attempt
        self.buffer = bytearray()
        self.sequence = 0
        self.rows = 0
        self.size = 0

    def write(self, data) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK_BYTES:
            self._store()
        return len(data)

    def flush(self) -> None:
        """Chunks are stored when full (zipfile flushes after every file of the workbook)."""

    def rows_written(self, rows: int) -> None:
        self.rows = rows
        _job_progress(self.job_id, self.attempt, rows)

    def close(self) -> None:
        if self.buffer or self.sequence == 0:
            self._store()

    def _store(self) -> None:
        content, self.buffer = bytes(self.buffer), bytearray()
        with transaction.atomic():
            _job_progress(self.job_id, self.attempt, self.rows)
            ExportChunk.objects.create(job_id=self.job_id, attempt=self.attempt, sequence=self.sequence, content=content)
        self.sequence += 1
        self.size += len(content)


def _job_progress(job_id: int, attempt: int, rows: int) -> None:
    # Only the worker holding the claim reports (and each report renews its lease); any other has
    # lost the job and stops. The UPDATE holds the job's row until commit, so a claim waits for it.
    held = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING, attempts=attempt).update(
        rows_done=rows, leased_until=timezone.now() + LEASE
    )
    if not held:
        raise LeaseLost


def _job_end(job_id: int, attempt: int, *, rows: int = 0, size: int = 0, error: str = "") -> str:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update(no_key=True).filter(pk=job_id).first()
        if job is None or job.status != ExportJob.Status.RUNNING or job.attempts != attempt:
            return "skipped"  # another worker took the job over; its result stands
        if error:
            job.fail(error=error)
            ExportChunk.objects.filter(job_id=job_id).delete()
            job.save(update_fields=["status", "error", "finished_at", "leased_until"])
        else:
            job.finish(rows=rows, size=size)
            job.save(update_fields=["status", "rows_done", "rows_total", "size", "finished_at", "leased_until"])
        return job.status


def export_jobs_sweep() -> int:
    """Queue again the jobs nobody is building: queued ones whose message was lost, running ones
    whose worker died (lease run out). Returns how many; building them twice is harmless."""
    now = timezone.now()
    stale = ExportJob.objects.filter(status=ExportJob.Status.QUEUED, created_at__lt=now - QUEUED_GRACE) | ExportJob.objects.filter(
        status=ExportJob.Status.RUNNING, leased_until__lt=now
    )
    ids = list(stale.values_list("pk", flat=True)[:100])
    for job_id in ids:
        _enqueue(job_id)
    return len(ids)


def export_job_may_download(*, job: ExportJob, user: AbstractBaseUser) -> bool:
    """Whoever started a job, and staff who may see every export and export themselves."""
    if not user.is_active or not user.is_staff:
        return False
    return job.created_by_id == user.pk or (user.has_perm("reports.view_exportjob") and user.has_perm("reports.export_data"))


def export_job_for_download(*, job_id: int, user: AbstractBaseUser) -> ExportJob:
    """The job, for ``user`` to download; refuses one they may not have or that is not done."""
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or not export_job_may_download(job=job, user=user):
        raise NotFound("There is no such export, or you may not download it.")
    export_job_ready(job)
    return job


def export_job_ready(job: ExportJob) -> None:
    if job.status != ExportJob.Status.DONE:
        raise DomainError(f"{job.title} is {job.get_status_display().lower()}; it can be downloaded once it is done.", code="not_ready")


def export_job_content(job: ExportJob) -> Iterator[bytes]:
    """The file of a finished job, chunk by chunk: one query per chunk, so neither this process
    nor the database holds more than a chunk of it at a time."""
    chunks = ExportChunk.objects.filter(job_id=job.pk, attempt=job.attempts)
    for chunk_id in list(chunks.order_by("sequence").values_list("pk", flat=True)):
        yield bytes(chunks.filter(pk=chunk_id).values_list("content", flat=True).get())


def export_inline_max_rows() -> int:
    """Up to this many rows an admin export downloads at once; more run as a job."""
    return settings.OMS_EXPORT_INLINE_MAX_ROWS

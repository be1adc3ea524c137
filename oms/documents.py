"""Document jobs: PDFs of many pages rendered by a worker, followed in the admin, downloaded when done.

Apps above the kernel register a renderer per kind (``document_renderer_register`` in their
``AppConfig.ready()``): fulfillment registers ``pick_lists`` and ``packing_slips``. A renderer
says how many documents a payload holds (refusing a bad payload before anything is queued) and
renders the payload to one PDF, reporting progress as it goes. The kernel knows nothing of what
is printed; it records the job, runs it once, keeps the PDF in the database and serves it.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .actors import Actor, actor_fields
from .errors import DomainError, InvalidInput, NotFound
from .models import DocumentJob

logger = logging.getLogger(__name__)

# A worker that claimed a job holds it this long after its last sign of life (each chunk of
# progress renews it); past that, the job is taken to belong to a dead worker and runs again.
LEASE = timedelta(minutes=10)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int


@dataclass(frozen=True)
class DocumentRenderer:
    """``count(payload)``: how many documents the payload holds; raises ``InvalidInput`` for a
    payload it cannot render. ``render(payload, progress)``: the PDF, calling ``progress(done,
    total)`` after each chunk. Both take plain JSON data only."""

    title: str
    count: Callable[[dict], int]
    render: Callable[[dict, Progress], RenderedPdf]


def document_payload_ids(payload: dict, key: str) -> list[int]:
    """The ids under ``key`` of a job payload, each once, in the order given; refuses anything
    but a non-empty list of positive whole numbers, naming ``key``."""
    values = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(values, list) or not values:
        raise InvalidInput(f'The payload needs a non-empty "{key}" list.', fields={key: ["A list of ids is required."]})
    if not all(isinstance(value, int) and not isinstance(value, bool) and value > 0 for value in values):
        raise InvalidInput(f'"{key}" must hold positive whole numbers (ids).', fields={key: ["Ids are positive whole numbers."]})
    return list(dict.fromkeys(values))


_renderers: dict[str, DocumentRenderer] = {}


def document_renderer_register(kind: str, renderer: DocumentRenderer) -> None:
    """Register (or replace) the renderer of ``kind``; every process registers the same ones."""
    _renderers[kind] = renderer


def document_renderer_for(kind: str) -> DocumentRenderer:
    try:
        return _renderers[kind]
    except KeyError:
        known = ", ".join(sorted(_renderers)) or "none"
        raise InvalidInput(f"There is no document of kind {kind!r} (known kinds: {known}).", fields={"kind": ["Unknown kind."]}) from None


def document_job_start(*, kind: str, payload: dict, actor: Actor, title: str = "") -> DocumentJob:
    """Record a job to render ``payload`` as a ``kind`` document; a worker renders it after commit.

    The payload is checked by the kind's renderer first: a payload it cannot render is refused
    with ``InvalidInput`` and nothing is recorded or queued.
    """
    renderer = document_renderer_for(kind)
    total = renderer.count(payload)
    if total < 1:
        raise InvalidInput("Choose at least one document to print.", fields={"payload": ["Nothing to print."]})
    who = actor_fields(actor)
    with transaction.atomic():
        job = DocumentJob.objects.create(
            kind=kind, title=(title or renderer.title)[:200], payload=payload, progress_total=total,
            created_by=who["actor"], actor_label=who["actor_label"],
        )
        transaction.on_commit(functools.partial(_enqueue, job.pk), robust=True)
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import document_job_render

    document_job_render.delay(job_id)


def document_job_run(*, job_id: int) -> str:
    """Render a job; what happened: ``done``, ``failed`` or ``skipped``.

    Safe to run twice: a job already done or failed, or held by a live worker, is skipped. A job
    whose worker died (lease run out) is claimed again and rendered from the start. A renderer's
    refusal or crash marks the job failed with a message; it never leaves it running.
    """
    job = _job_claim(job_id)
    if job is None:
        return "skipped"
    attempt = job.attempts
    renderer = _renderers.get(job.kind)
    try:
        if renderer is None:
            raise DomainError(f"No renderer is registered for documents of kind {job.kind!r}; this worker runs an older version.")
        rendered = renderer.render(job.payload, functools.partial(_job_progress, job_id, attempt))
    except DomainError as error:
        return _job_end(job_id, attempt, error=error.message)
    except Exception as error:
        logger.exception("document job %s failed", job_id)
        return _job_end(job_id, attempt, error=f"Rendering failed ({type(error).__name__}: {error}). Try again; if it fails again, report it.")
    return _job_end(job_id, attempt, rendered=rendered)


def _job_claim(job_id: int) -> DocumentJob | None:
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update(no_key=True).defer("pdf").filter(pk=job_id).first()
        if job is None or job.status in (DocumentJob.Status.DONE, DocumentJob.Status.FAILED):
            return None
        now = timezone.now()
        if job.status == DocumentJob.Status.RUNNING and job.leased_until and job.leased_until > now:
            return None
        job.start(lease_until=now + LEASE)
        job.progress_done = 0
        job.save(update_fields=["status", "attempts", "leased_until", "started_at", "error", "progress_done"])
        return job


def _job_progress(job_id: int, attempt: int, done: int, total: int) -> None:
    # Only the worker holding the claim reports; each report renews its lease.
    DocumentJob.objects.filter(pk=job_id, status=DocumentJob.Status.RUNNING, attempts=attempt).update(
        progress_done=done, progress_total=total, leased_until=timezone.now() + LEASE
    )


def _job_end(job_id: int, attempt: int, *, rendered: RenderedPdf | None = None, error: str = "") -> str:
    with transaction.atomic():
        job = DocumentJob.objects.select_for_update(no_key=True).defer("pdf").filter(pk=job_id).first()
        if job is None or job.status != DocumentJob.Status.RUNNING or job.attempts != attempt:
            # Another worker took the job over after this one's lease ran out; its result stands.
            return "skipped"
        if rendered is not None:
            job.finish(pdf=rendered.content, page_count=rendered.page_count)
            fields = ["status", "pdf", "pdf_size", "page_count", "progress_done", "finished_at", "leased_until"]
        else:
            job.fail(error=error)
            fields = ["status", "error", "finished_at", "leased_until"]
        job.save(update_fields=fields)
        return job.status


def document_job_may_download(*, job: DocumentJob, user: AbstractBaseUser) -> bool:
    """Who may download a job's PDF: whoever started it, and staff with the download permission."""
    if not user.is_active or not user.is_staff:
        return False
    return job.created_by_id == user.pk or user.has_perm("oms.download_documentjob")


def document_job_pdf(*, job_id: int, user: AbstractBaseUser) -> tuple[DocumentJob, bytes]:
    """The job and its PDF, for ``user``. Refuses (``NotFound``/``DomainError``) a job the user may
    not download or that is not done yet, saying which."""
    job = DocumentJob.objects.defer("pdf").filter(pk=job_id).first()
    if job is None or not document_job_may_download(job=job, user=user):
        raise NotFound("There is no such document, or you may not download it.")
    return job, document_job_content(job)


def document_job_content(job: DocumentJob) -> bytes:
    """The PDF of ``job`` (whose access the caller has checked); refused while it is not done."""
    if job.status != DocumentJob.Status.DONE:
        raise DomainError(f"{job.title} is {job.get_status_display().lower()}; it can be downloaded once it is done.", code="not_ready")
    return bytes(DocumentJob.objects.filter(pk=job.pk).values_list("pdf", flat=True).get())

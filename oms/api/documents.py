"""Document jobs through the API: follow a job's progress and download its PDF when done.

Any app's endpoint that starts a job (e.g. a large batch of shipping labels) answers 202 with the
job in :class:`DocumentJobSerializer`'s shape; the client polls ``GET /document-jobs/{id}/`` until
``status`` is ``done`` and follows ``download_url``. An API key sees the jobs it started; signed-in
staff see their own, and all of them with ``oms.view_documentjob`` (downloading another's job
needs ``oms.download_documentjob``, as in the admin).
"""

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.documents import document_job_content, document_job_pdf
from oms.errors import NotFound
from oms.models import DocumentJob

from .authentication import ApiClient
from .downloads import FileAnswerNegotiation, file_response
from .permissions import SIGNED_IN_STAFF
from .representation import represent
from .schema import error_responses

JOB_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The document job's id.")


class DocumentJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="What it prints, e.g. `shipping_labels`, `pick_lists`.")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=DocumentJob.Status.choices, help_text="`queued`, `running`, then `done` or `failed`.")
    progress_done = serializers.IntegerField(help_text="Documents rendered so far.")
    progress_total = serializers.IntegerField(help_text="Documents to render.")
    progress_percent = serializers.IntegerField(min_value=0, max_value=100)
    page_count = serializers.IntegerField(allow_null=True, help_text="Pages of the PDF, once done.")
    pdf_size = serializers.IntegerField(allow_null=True, help_text="Bytes of the PDF, once done.")
    error = serializers.CharField(help_text="Why it failed; empty otherwise.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(help_text="Path of this job: poll it until `status` is `done` or `failed`.")
    download_url = serializers.CharField(allow_null=True, help_text="Path of the PDF, once `status` is `done`; null until then.")


def document_job_answer(job: DocumentJob) -> dict:
    """The job as the API shows it (what a 202 that started it answers, too)."""
    return represent(DocumentJobSerializer, _Described(job))


class _Described:
    """The job with the two URLs the serializer reads (it never touches the PDF itself)."""

    def __init__(self, job: DocumentJob):
        self._job = job
        self.url = reverse("api-document-job", args=[job.pk])
        self.download_url = reverse("api-document-job-download", args=[job.pk]) if job.status == DocumentJob.Status.DONE else None

    def __getattr__(self, name):
        return getattr(self._job, name)


def _visible_jobs(request) -> QuerySet[DocumentJob]:
    jobs = DocumentJob.objects.defer("pdf", "payload")
    user = request.user
    if isinstance(user, ApiClient):
        return jobs.filter(created_by__isnull=True, actor_label=user.key.label[:120])
    if user.has_perm("oms.view_documentjob"):
        return jobs
    return jobs.filter(created_by=user)


def _job(request, pk: int) -> DocumentJob:
    job = _visible_jobs(request).filter(pk=pk).first()
    if job is None:
        raise NotFound(f"No document job {pk} that you started (or may see).")
    return job


class DocumentJobView(APIView):
    required_scopes = {"GET": "documents:read"}
    required_permissions = {"GET": SIGNED_IN_STAFF}

    @extend_schema(
        operation_id="document_jobs_retrieve",
        summary="A document job's progress",
        description="Poll until `status` is `done` (then follow `download_url`) or `failed` (`error` says why).",
        parameters=[JOB_ID],
        responses={200: DocumentJobSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        return Response(document_job_answer(_job(request, pk)))


class DocumentJobDownloadView(APIView):
    required_scopes = {"GET": "documents:read"}
    required_permissions = {"GET": SIGNED_IN_STAFF}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="document_jobs_download",
        summary="Download a finished document job's PDF",
        description="409 `not_ready` while the job is queued or running, or when it failed.",
        parameters=[JOB_ID],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."), **error_responses(404, 409)},
    )
    def get(self, request, pk: int):
        job = _job(request, pk)
        if isinstance(request.user, ApiClient):  # a key sees only the jobs it started (_visible_jobs)
            content = document_job_content(job)
        else:
            job, content = document_job_pdf(job_id=job.pk, user=request.user)
        return file_response(content, filename=job.filename, content_type="application/pdf")

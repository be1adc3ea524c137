"""Exports through the API: start one (always a background job), follow it, download its file.

``POST /reports/exports/`` takes the kind, the format and the kind's filters and answers 202 with
the job; the client polls ``GET /reports/exports/{id}/`` until ``status`` is ``done`` and follows
``download_url`` (the file is streamed from the chunks the worker stored). An API key needs
``reports:write`` to start and ``reports:read`` to follow and download, and sees the jobs it
started; signed-in staff need ``reports.export_data`` (and to be allowed to see the rows in the
console) and see their own jobs, and everyone's with ``reports.view_exportjob``.
"""

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.authentication import ApiClient, request_actor
from oms.api.downloads import FileAnswerNegotiation
from oms.api.idempotency import idempotent
from oms.api.parsers import JSONParser
from oms.api.representation import represent, validated
from oms.api.schema import IDEMPOTENCY_KEY, error_responses
from oms.errors import NotFound

from ..export_resources import RESOURCES
from ..exports import CONTENT_TYPES, export_job_content, export_job_ready, export_job_start
from ..models import ExportFormat, ExportJob

JOB_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The export job's id.")


def _filters_help() -> str:
    parts = []
    for kind, resource in RESOURCES.items():
        names = ", ".join(f"`{name}` ({spec.help})" for name, spec in resource.filters().items())
        parts.append(f"`{kind}`: {names}")
    return "Filters of the kind, all optional. " + "; ".join(parts) + "."


class ExportStartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(RESOURCES), help_text="What to export.")
    format = serializers.ChoiceField(choices=ExportFormat.choices, help_text="`csv` (UTF-8 with a BOM) or `xlsx`.")
    filters = serializers.DictField(child=serializers.JSONField(), required=False, default=dict, help_text=_filters_help())


class ExportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ExportJob.Status.choices, help_text="`queued`, `running`, then `done` or `failed`.")
    rows_done = serializers.IntegerField(help_text="Rows written so far.")
    rows_total = serializers.IntegerField(help_text="Rows to write (counted when the job was started).")
    progress_percent = serializers.IntegerField(min_value=0, max_value=100)
    size = serializers.IntegerField(allow_null=True, help_text="Bytes of the file, once done.")
    error = serializers.CharField(help_text="Why it failed; empty otherwise.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(help_text="Path of this job: poll it until `status` is `done` or `failed`.")
    download_url = serializers.CharField(allow_null=True, help_text="Path of the file, once `status` is `done`; null until then.")


class _Described:
    def __init__(self, job: ExportJob):
        self._job = job
        self.url = reverse("api-report-export", args=[job.pk])
        self.download_url = reverse("api-report-export-download", args=[job.pk]) if job.status == ExportJob.Status.DONE else None

    def __getattr__(self, name):
        return getattr(self._job, name)


def export_job_answer(job: ExportJob) -> dict:
    return represent(ExportJobSerializer, _Described(job))


def _visible_jobs(request) -> QuerySet[ExportJob]:
    jobs = ExportJob.objects.defer("selection")
    user = request.user
    if isinstance(user, ApiClient):
        return jobs.filter(created_by__isnull=True, actor_label=user.key.label[:120])
    if user.has_perm("reports.view_exportjob"):
        return jobs
    return jobs.filter(created_by=user)


def _job(request, pk: int) -> ExportJob:
    job = _visible_jobs(request).filter(pk=pk).first()
    if job is None:
        raise NotFound(f"No export {pk} that you started (or may see).")
    return job


class ExportsView(APIView):
    required_scopes = {"POST": "reports:write"}
    required_permissions = {"POST": "reports.export_data"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="report_exports_create",
        summary="Start an export (CSV or Excel)",
        description="Always a background job: 202 with the job, to follow at its `url` and download from its "
        "`download_url` when done. Money is the exact stored decimal beside its currency column; times are in the "
        "merchant's time zone (named in the header); text a spreadsheet would run as a formula starts with `'`. "
        "An unknown kind, format or filter, or a bad filter value: 400 naming it (`filters.<name>`).",
        request=ExportStartSerializer,
        parameters=[IDEMPOTENCY_KEY],
        examples=[OpenApiExample("Order lines of March", value={"kind": "order_lines", "format": "xlsx", "filters": {"from": "2026-03-01", "to": "2026-03-31", "channel": "web"}}, request_only=True)],
        responses={202: ExportJobSerializer, **error_responses(400, 422)},
    )
    @idempotent
    def post(self, request):
        data = validated(ExportStartSerializer, request.data)
        job = export_job_start(kind=data["kind"], format=data["format"], selection={"filters": data["filters"]}, actor=request_actor(request))
        return Response(export_job_answer(job), status=status.HTTP_202_ACCEPTED)


class ExportJobView(APIView):
    required_scopes = {"GET": "reports:read"}
    required_permissions = {"GET": "reports.export_data"}

    @extend_schema(
        operation_id="report_exports_retrieve",
        summary="An export's progress",
        description="Poll until `status` is `done` (then follow `download_url`) or `failed` (`error` says why).",
        parameters=[JOB_ID],
        responses={200: ExportJobSerializer, **error_responses(404)},
    )
    def get(self, request, pk: int):
        return Response(export_job_answer(_job(request, pk)))


class ExportDownloadView(APIView):
    required_scopes = {"GET": "reports:read"}
    required_permissions = {"GET": "reports.export_data"}
    content_negotiation_class = FileAnswerNegotiation

    @extend_schema(
        operation_id="report_exports_download",
        summary="Download a finished export",
        description="The CSV or XLSX, streamed. 409 `not_ready` while the job is queued or running, or when it failed.",
        parameters=[JOB_ID],
        responses={
            (200, CONTENT_TYPES[ExportFormat.CSV].split(";")[0]): OpenApiResponse(OpenApiTypes.STR, description="The CSV."),
            (200, CONTENT_TYPES[ExportFormat.XLSX]): OpenApiResponse(OpenApiTypes.BINARY, description="The workbook."),
            **error_responses(404, 409),
        },
    )
    def get(self, request, pk: int):
        job = _job(request, pk)
        export_job_ready(job)
        response = StreamingHttpResponse(export_job_content(job), content_type=CONTENT_TYPES[job.format])
        response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response

"""Exports in the console: an "Export" button on the lists accountants export from, the page it
opens (which export, which format), and the export jobs with their progress and download.

The button is registered on the lists of lower apps through ``oms.admin_list_tools`` (in
``ReportsConfig.ready()``), carrying the list's filters and search; this module rebuilds exactly
those rows from the list's own ``ModelAdmin`` (:mod:`reports.export_lists`). Up to
``OMS_EXPORT_INLINE_MAX_ROWS`` rows download at once; more start a job.
"""

import tempfile

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from oms.admin import ReadOnlyAdmin, job_progress_html
from oms.errors import DomainError, NotFound

from . import admin_subscriptions  # noqa: F401  (registers the report subscriptions)
from . import admin_replenishment  # noqa: F401  (registers the replenishment suggestions)
from .imports import admin as imports_admin  # noqa: F401  (registers the imports' console pages)
from .export_files import csv_pieces, xlsx_write
from .export_resources import export_kinds_of_list, export_resource_for
from .exports import (
    CONTENT_TYPES,
    export_inline_max_rows,
    export_job_content,
    export_job_for_download,
    export_job_may_download,
    export_job_start,
    export_rows,
)
from .models import ExportFormat, ExportJob

EXPORT_PERMISSION = "reports.export_data"


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label="Export", widget=forms.RadioSelect)
    format = forms.ChoiceField(choices=ExportFormat.choices, initial=ExportFormat.XLSX, widget=forms.RadioSelect)

    def __init__(self, *args, kinds, with_day=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        self.fields["kind"].initial = kinds[0][0]
        if with_day:
            # The stock valuation is of the stock at the end of a day: month ends, for the books.
            self.fields["at"] = forms.DateField(
                label="Stock at the end of", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                help_text="A day (merchant's time zone); empty: today. Valued at each product's current cost.",
            )


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    """Exports built in the background: progress while they run, a download link when done.
    Exports start from the lists they export (the "Export" button) or the API, never here."""

    list_display = ("id", "title", "kind", "format", "status", "progress", "size_text", "requested_by", "created_at", "finished_at")
    list_filter = ("status", "kind", "format")
    search_fields = ("title",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "title", "kind", "format", "status", "progress", "size_text", "requested_by", "created_at", "started_at", "finished_at", "attempts", "error",
    )

    def get_queryset(self, request):
        jobs = super().get_queryset(request).defer("selection")
        # Everyone follows their own exports; everyone's with the permission to view them all.
        return jobs if request.user.has_perm("reports.view_exportjob") else jobs.filter(created_by=request.user)

    def has_view_permission(self, request, obj=None):
        if request.user.is_active and request.user.is_staff and request.user.has_perm(EXPORT_PERMISSION):
            return obj is None or obj.created_by_id == request.user.pk or super().has_view_permission(request, obj)
        return super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:job_id>/download/", wrap(self.download_view), name="reports_exportjob_download"),
            path("from-list/<str:list_label>/", wrap(self.from_list_view), name="reports_exportjob_from_list"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The page refreshes itself while the job runs (a meta refresh: no script), then offers the file.
        job = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if job is not None:
            context["job_in_progress"] = job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)
            if job.status == ExportJob.Status.DONE and export_job_may_download(job=job, user=request.user):
                context["job_download_url"] = reverse("admin:reports_exportjob_download", args=[job.pk])
        return super().change_view(request, object_id, form_url, extra_context=context)

    @admin.display(description="Progress")
    def progress(self, obj):
        return job_progress_html(obj.progress_percent, obj.rows_done, obj.rows_total, "rows")

    @admin.display(description="Size")
    def size_text(self, obj):
        return filesizeformat(obj.size) if obj.size else "—"

    @admin.display(description="Requested by")
    def requested_by(self, obj):
        return obj.actor_label or "—"

    def _download_column(self, request):
        @admin.display(description="File")
        def download(obj):
            if obj.status == ExportJob.Status.FAILED:
                return obj.error[:80]
            if obj.status != ExportJob.Status.DONE or not export_job_may_download(job=obj, user=request.user):
                return "—"
            return format_html('<a href="{}">Download {}</a>', reverse("admin:reports_exportjob_download", args=[obj.pk]), obj.format.upper())

        return download

    def get_list_display(self, request):
        return (*self.list_display, self._download_column(request))

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, self._download_column(request))

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    def download_view(self, request, job_id: int):
        try:
            job = export_job_for_download(job_id=job_id, user=request.user)
        except DomainError as error:
            status = 404 if isinstance(error, NotFound) else 409
            return HttpResponse(error.message, status=status, content_type="text/plain; charset=utf-8")
        return _attachment(StreamingHttpResponse(export_job_content(job), content_type=CONTENT_TYPES[job.format]), job.filename)

    def from_list_view(self, request, list_label: str):
        """The "Export" button of a list: which export of the rows the list shows, in which format;
        then the file at once (up to the inline limit) or a job to follow."""
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        resources = export_kinds_of_list(list_label)
        if not resources:
            raise PermissionDenied
        model = apps.get_model(list_label)
        query = request.GET.urlencode()
        selection = {"list": list_label, "query": query}
        kinds = []
        for resource in resources:
            try:
                _, rows = export_rows(kind=resource.kind, selection=selection, user=request.user)
            except DomainError:
                continue  # an export of rows this user may not see is not offered
            kinds.append((resource.kind, f"{resource.title}: {rows.count():,} rows"))
        if not kinds:
            raise PermissionDenied
        with_day = any("at" in resource.filters() for resource in resources)
        form = ExportForm(request.POST or None, kinds=kinds, with_day=with_day)
        if request.method == "POST" and form.is_valid():
            kind, file_format = form.cleaned_data["kind"], form.cleaned_data["format"]
            if form.cleaned_data.get("at") and "at" in export_resource_for(kind).filters():
                selection = {**selection, "filters": {"at": form.cleaned_data["at"].isoformat()}}
            try:
                resource, rows = export_rows(kind=kind, selection=selection, user=request.user)
                if rows.count() <= export_inline_max_rows():
                    return _download_now(resource, rows, file_format)
                job = export_job_start(kind=kind, format=file_format, selection=selection, actor=request.user)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, f"{job.title}: {job.rows_total:,} rows are being exported; this page shows the progress.")
                return HttpResponseRedirect(reverse("admin:reports_exportjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": model._meta,
            "title": f"Export {model._meta.verbose_name_plural} shown by the list",
            "form": form,
            "submit_label": "Export",
            "query": query,
        }
        return render(request, "admin/reports/exportjob/from_list.html", context)


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _download_now(resource, rows, file_format: str):
    stem = f"{resource.kind.replace('_', '-')}-{timezone.localtime():%Y%m%d-%H%M%S}"
    if file_format == ExportFormat.CSV:
        return _attachment(StreamingHttpResponse(csv_pieces(resource, rows), content_type=CONTENT_TYPES[file_format]), f"{stem}.csv")
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # small ones in memory, the rest on this process's disk
    xlsx_write(resource, rows, spool)
    spool.seek(0)
    return _attachment(FileResponse(spool, content_type=CONTENT_TYPES[file_format]), f"{stem}.xlsx")

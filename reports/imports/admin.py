"""The console's imports: the list of past imports (the reports "Imports" page), an upload page
per kind, the preview with each row's errors by column, and the confirmation that applies it."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from oms.admin import ReadOnlyAdmin
from oms.errors import DomainError

from .files import MAX_FILE_BYTES, MAX_ROWS
from .kinds import KINDS
from .models import ImportRecord
from .services import import_apply, import_preview

RUN_PERMISSION = "reports.run_import"


def kinds_allowed(user) -> list[str]:
    """The kinds of import ``user`` may run: the import permission and, per kind, the one the
    console asks for the same job by hand (changing products, adjusting stock, changing customers)."""
    if not user.has_perm(RUN_PERMISSION):
        return []
    return [key for key, kind in KINDS.items() if user.has_perm(kind.permission)]


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text=f"CSV (UTF-8, comma or semicolon separated) or XLSX, at most {MAX_FILE_BYTES // 1024 // 1024} MB and {MAX_ROWS:,} rows; the first row names the columns.")
    mode = forms.ChoiceField(
        choices=ImportRecord.Mode.choices, initial=ImportRecord.Mode.VALID_ROWS, widget=forms.RadioSelect,
        help_text="All or nothing: one bad row and the file writes nothing.",
    )


@admin.register(ImportRecord)
class ImportRecordAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "file_name", "mode", "status", "rows_total", "rows_invalid", "rows_created", "rows_updated", "rows_unchanged", "actor_label")
    list_display_links = ("id", "file_name")
    list_filter = ("kind", "status", "mode")
    search_fields = ("file_name", "actor_label")
    list_per_page = 100
    show_full_result_count = False
    fields = readonly_fields = (
        "kind", "mode", "status", "file_name", "file_size", "file_sha256", "actor_label", "created_at", "applied_at",
        "rows_total", "rows_valid", "rows_invalid", "rows_created", "rows_updated", "rows_unchanged", "errors_table",
    )
    change_list_template = "admin/reports/importrecord/change_list.html"

    class Media:
        css = {"all": ("reports/imports.css",)}

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    @admin.display(description="Row errors")
    def errors_table(self, record):
        if not record.errors:
            return "—"
        rows = format_html("".join("<tr><td>{}</td><td>{}</td><td>{}</td></tr>" for _ in record.errors[:500]),
                           *[value for error in record.errors[:500] for value in (error.get("row"), error.get("column"), error.get("message"))])
        return format_html('<table class="import-errors"><thead><tr><th>Row</th><th>Column</th><th>What to fix</th></tr></thead><tbody>{}</tbody></table>', rows)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("new/<str:kind>/", wrap(self.upload_view), name="reports_importrecord_new"),
            path("<int:record_id>/apply/", wrap(require_POST(self.apply_view)), name="reports_importrecord_apply"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        allowed = kinds_allowed(request.user)
        starts = [{"url": reverse("admin:reports_importrecord_new", args=[key]), "title": KINDS[key].title} for key in allowed]
        return super().changelist_view(request, {**(extra_context or {}), "import_starts": starts})

    def _page(self, request, template: str, **context):
        context = {**self.admin_site.each_context(request), "opts": self.opts, **context}
        return TemplateResponse(request, template, context)

    def upload_view(self, request: HttpRequest, kind: str):
        if kind not in KINDS:
            raise Http404("No such kind of import.")
        if kind not in kinds_allowed(request.user):
            raise PermissionDenied
        importer = KINDS[kind]
        report = record = None
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_FILE_BYTES:
                form.add_error("file", f"The file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB; split it into smaller files.")
            else:
                try:
                    record, report = import_preview(
                        kind=kind, mode=form.cleaned_data["mode"], content=upload.read(MAX_FILE_BYTES + 1), file_name=upload.name or "",
                        actor=request.user,
                    )
                except DomainError as error:
                    form.add_error("file", error.message)
        return self._page(
            request, "admin/reports/importrecord/upload.html", title=f"Import {importer.title.lower()}", importer=importer, form=form,
            report=report.as_dict() if report else None, record=record,
        )

    def apply_view(self, request: HttpRequest, record_id: int):
        record = ImportRecord.objects.defer("content").filter(pk=record_id).first()
        if record is None:
            raise Http404("No such import.")
        if record.kind not in kinds_allowed(request.user):
            raise PermissionDenied
        try:
            report = import_apply(record_id=record_id, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("admin:reports_importrecord_change", args=[record_id]))
        (messages.success if report.status == ImportRecord.Status.APPLIED else messages.warning)(request, report.message)
        return self._page(
            request, "admin/reports/importrecord/upload.html", title=f"Import #{record_id}: {KINDS[record.kind].title.lower()}",
            importer=KINDS[record.kind], form=None, report=report.as_dict(), record=None,
        )

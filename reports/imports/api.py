"""``POST /api/v1/reports/imports/``: an accountant's file checked (dry run) or applied, with the report."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from oms.api.authentication import ApiClient, request_actor
from oms.api.idempotency import idempotent
from oms.api.parsers import body_read_limited
from oms.api.schema import IDEMPOTENCY_KEY, error_responses
from oms.errors import DomainError, InvalidInput

from .files import MAX_FILE_BYTES, MAX_ROWS
from .kinds import KINDS
from .models import ImportRecord
from .services import import_run


class ImportUploadParser(MultiPartParser):
    """The multipart form with the file read into ``file`` as bytes (over the limit: 413) and
    its name into ``file_name``: the Idempotency-Key fingerprint then covers the file's content,
    not only its name."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        data = {name: parsed.data.get(name) for name in parsed.data}
        upload = parsed.files.get("file")
        if upload is not None:
            data["file"] = body_read_limited(upload, limit=MAX_FILE_BYTES, what="The file", advice="split it into smaller files.", field="file")
            data["file_name"] = upload.name or ""
        return data


class FileImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=f"CSV (UTF-8, comma or semicolon separated) or XLSX; at most {MAX_FILE_BYTES // 1024 // 1024} MB and {MAX_ROWS:,} rows.")
    kind = serializers.ChoiceField(choices=list(KINDS), help_text=f"One of: {', '.join(KINDS)}.")
    mode = serializers.ChoiceField(
        choices=ImportRecord.Mode.values, default=ImportRecord.Mode.VALID_ROWS,
        help_text="`valid_rows`: apply the valid rows and report the rest. `all_or_nothing`: any bad row and nothing is written.",
    )
    dry_run = serializers.BooleanField(default=True, help_text="true (the default): check and report, write nothing at all.")


class FileImportRowErrorSerializer(serializers.Serializer):
    column = serializers.CharField()
    message = serializers.CharField(help_text="What to fix.")


class FileImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number as a spreadsheet shows it (the header is row 1).")
    key = serializers.CharField(help_text="The record the row names: SKU, `SKU @ location` or e-mail.")
    valid = serializers.BooleanField()
    action = serializers.ChoiceField(choices=["create", "update", "unchanged"], allow_null=True, help_text="What the row does (null when it has errors).")
    outcome = serializers.ChoiceField(
        choices=["created", "updated", "unchanged", "failed", "not_applied"], allow_null=True, help_text="After an apply; null in a dry run."
    )
    changes = serializers.DictField(child=serializers.ListField(), help_text="Field → [now, after].")
    errors = FileImportRowErrorSerializer(many=True)


class FileImportSummarySerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    valid = serializers.IntegerField()
    invalid = serializers.IntegerField()
    to_create = serializers.IntegerField()
    to_update = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    applied = serializers.IntegerField()


class FileImportReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The import record, when applied (a dry run keeps none).")
    kind = serializers.CharField()
    mode = serializers.CharField()
    dry_run = serializers.BooleanField()
    file_name = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=ImportRecord.Status.values)
    message = serializers.CharField()
    ignored_columns = serializers.ListField(child=serializers.CharField())
    summary = FileImportSummarySerializer()
    rows = FileImportRowSerializer(many=True)


def _choice(request, name: str, choices, default):
    value = request.data.get(name, default) if isinstance(request.data, dict) else default
    if value is None or value == "":
        value = default
    if value not in choices:
        raise InvalidInput(f"{name} must be one of: {', '.join(choices)}.", fields={name: [f"One of: {', '.join(choices)}."]})
    return value


class ImportsView(APIView):
    required_scopes = {"POST": "reports:write"}
    required_permissions = {"POST": "reports.run_import"}
    parser_classes = [ImportUploadParser]

    @extend_schema(
        operation_id="reports_imports_create",
        summary="Import products, stock counts or customers (CSV or XLSX)",
        description=(
            "Multipart form: `file`, `kind`, `mode`, `dry_run` (true unless `false` is sent). Every row is checked; the answer reports "
            "per row what it does or would do and its errors by column. `dry_run` writes nothing at all. Applying: `valid_rows` applies "
            "each valid row in its own transaction; `all_or_nothing` writes nothing when any row is bad, else every row in one "
            "transaction. Stock counts are booked on the ledger as count corrections; re-sending the same file changes nothing. "
            "A file that cannot be read (not CSV or XLSX, not UTF-8, a damaged or oversized workbook, missing or duplicate "
            "columns, empty) is a 400, a file over 5 MB a 413; either writes nothing. Staff sessions need `reports.run_import` and the permission of the kind "
            "(`inventory.change_product`, `inventory.adjust_stock`, `customers.change_customer`, `shipping.add_carriercharge`, "
            "`orders.add_invoicepayment`); an API key importing invoice payments needs the scope `invoices:write` too (and the "
            "file is always all or nothing)."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request={"multipart/form-data": FileImportRequestSerializer},
        responses={200: FileImportReportSerializer, **error_responses(400, 413, 422)},
    )
    @idempotent
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        kind = _choice(request, "kind", list(KINDS), None)
        mode = _choice(request, "mode", ImportRecord.Mode.values, ImportRecord.Mode.VALID_ROWS)
        dry_run = str(data.get("dry_run", "true")).strip().lower() not in ("false", "0", "no")
        content = data.get("file")
        if not isinstance(content, bytes):
            raise InvalidInput("Send the file as multipart field `file`.", fields={"file": ["This field is required."]})
        if not isinstance(request.user, ApiClient) and not request.user.has_perm(KINDS[kind].permission):
            raise _Forbidden(KINDS[kind].permission)
        scope = KINDS[kind].api_scope
        if scope and isinstance(request.user, ApiClient) and not request.user.key.has_scope(scope):
            raise _Forbidden(scope, what="scope")
        report = import_run(kind=kind, mode=mode, content=content, file_name=str(data.get("file_name") or "")[:255], dry_run=dry_run, actor=request_actor(request))
        return Response(report.as_dict())


class _Forbidden(DomainError):
    status_code = 403

    def __init__(self, permission: str, what: str = "permission"):
        super().__init__(f"This import needs the {what} {permission}.", code="permission_denied")


urlpatterns = [path("reports/imports/", ImportsView.as_view(), name="api-reports-imports")]

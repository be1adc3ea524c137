"""Running an import: check every row (a dry run writes nothing at all), then apply.

- ``valid_rows``: each valid row is applied in its own transaction; a row the service refuses
  at that moment is reported like a bad row and the others stay applied.
- ``all_or_nothing``: one bad row and nothing is written; otherwise every row is applied in one
  transaction (a savepoint each), and a refusal of any row rolls all of them back.

Never half a row: a row's writes (a customer and its address, say) share its transaction.
Importing the same file again finds everything as the file says and writes nothing new.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from oms.actors import Actor, actor_fields
from oms.errors import InvalidInput, NotFound

from .files import Table, table_read
from .kinds import CREATE, KINDS, UNCHANGED, UPDATE, ImportKind, Row, RowRefused
from .models import ImportRecord

Mode = ImportRecord.Mode
Status = ImportRecord.Status
# A preview nobody confirmed is forgotten after this long (and its file with it).
PREVIEW_KEPT = timedelta(days=1)


@dataclass
class ImportReport:
    kind: str
    mode: str
    dry_run: bool
    file_name: str
    rows: list[Row]
    ignored_columns: list[str] = field(default_factory=list)
    status: str = Status.PREVIEWED
    record_id: int | None = None

    @property
    def invalid(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    def errors(self) -> list[dict]:
        return [{"row": row.row, "column": column, "message": message} for row in self.rows for column, message in row.errors]

    @property
    def message(self) -> str:
        bad = len(self.invalid)
        if self.dry_run:
            verdict = "nothing was written (dry run)"
            if bad and self.mode == Mode.ALL_OR_NOTHING:
                verdict += "; in all-or-nothing mode this file would write nothing until the bad rows are fixed"
            would = {action: sum(1 for row in self.rows if row.action == action and not row.errors) for action in (CREATE, UPDATE, UNCHANGED)}
            return (f"{len(self.rows)} row(s): {would[CREATE]} to create, {would[UPDATE]} to update, {would[UNCHANGED]} unchanged, "
                    f"{bad} with errors; {verdict}.")
        if self.status == Status.REFUSED:
            return f"Nothing was written: {bad} row(s) have errors (all or nothing). Fix them and import the file again."
        return (f"{self.count('created')} created, {self.count('updated')} updated, {self.count('unchanged')} unchanged, "
                f"{bad} row(s) not applied.")

    def as_dict(self) -> dict:
        """The report as the API answers it and the console shows it."""
        valid = len(self.rows) - len(self.invalid)
        return {
            "id": self.record_id,
            "kind": self.kind,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "file_name": self.file_name,
            "status": self.status,
            "message": self.message,
            "ignored_columns": self.ignored_columns,
            "summary": {
                "rows": len(self.rows), "valid": valid, "invalid": len(self.invalid),
                "to_create": sum(1 for row in self.rows if row.action == CREATE and not row.errors),
                "to_update": sum(1 for row in self.rows if row.action == UPDATE and not row.errors),
                "unchanged": sum(1 for row in self.rows if row.action == UNCHANGED and not row.errors),
                "created": self.count("created"), "updated": self.count("updated"),
                "applied": self.count("created") + self.count("updated"),
            },
            "rows": [
                {
                    "row": row.row, "key": row.key, "valid": row.valid, "action": row.action or None, "outcome": row.outcome or None,
                    "changes": row.changes,
                    "errors": [{"column": column, "message": message} for column, message in row.errors],
                }
                for row in self.rows
            ],
        }


def import_kind(kind: str) -> ImportKind:
    if kind not in KINDS:
        raise InvalidInput(
            f"{str(kind)[:40]!r} is not a kind of import; use one of: {', '.join(KINDS)}.", fields={"kind": [f"One of: {', '.join(KINDS)}."]}
        )
    return KINDS[kind]


def _mode(mode: str) -> str:
    if mode not in Mode.values:
        raise InvalidInput(f"{str(mode)[:40]!r} is not a mode; use one of: {', '.join(Mode.values)}.", fields={"mode": [f"One of: {', '.join(Mode.values)}."]})
    return mode


def _header_check(kind: ImportKind, table: Table) -> list[str]:
    """The columns the import does not use; :class:`InvalidInput` when a required one is missing."""
    missing = [column for column in kind.required_columns if column not in table.columns]
    if missing:
        raise InvalidInput(
            f"The header row lacks the column(s) {', '.join(missing)}. A {kind.title.lower()} file has the columns "
            f"{', '.join(kind.required_columns)} (required) and any of {', '.join(kind.optional_columns) or 'no others'}.",
            code="file_refused", fields={"file": [f"Missing columns: {', '.join(missing)}."]},
        )
    return [column for column in table.columns if column not in kind.columns]


def import_check(*, kind: str, mode: str, content: bytes, file_name: str) -> ImportReport:
    """A dry run: every row checked and what it would do, read from the database; writes nothing
    (no row anywhere, no ledger movement, no audit row, no event). :class:`InvalidInput` when the
    file cannot be read as a whole."""
    importer, mode = import_kind(kind), _mode(mode)
    if importer.all_or_nothing_only:
        mode = Mode.ALL_OR_NOTHING
    table = table_read(content, file_name)
    ignored = _header_check(importer, table)
    return ImportReport(kind=kind, mode=mode, dry_run=True, file_name=file_name, rows=importer.plan(table), ignored_columns=ignored)


def _apply(importer: ImportKind, report: ImportReport, *, actor: Actor, reference: str) -> None:
    """Apply the report's valid rows as its mode says; sets each row's outcome and the status."""
    report.dry_run = False
    if report.mode == Mode.ALL_OR_NOTHING:
        if report.invalid:
            for row in report.rows:
                row.outcome = "not_applied"
            report.status = Status.REFUSED
            return
        try:
            with transaction.atomic():
                for row in report.rows:
                    row.outcome = _apply_row(importer, row, actor=actor, reference=reference)
                    if row.outcome == "failed":
                        raise _RolledBack
        except _RolledBack:
            for row in report.rows:
                row.outcome = "not_applied" if row.outcome != "failed" else "failed"
            report.status = Status.REFUSED
            return
        report.status = Status.APPLIED
        return
    for row in report.rows:
        row.outcome = "not_applied" if row.errors else _apply_row(importer, row, actor=actor, reference=reference)
    applied = [row for row in report.rows if row.outcome in ("created", "updated", "unchanged")]
    report.status = Status.APPLIED if len(applied) == len(report.rows) else (Status.PARTLY_APPLIED if applied else Status.REFUSED)


class _RolledBack(Exception):
    pass


def _apply_row(importer: ImportKind, row: Row, *, actor: Actor, reference: str) -> str:
    """One row in its own transaction (a savepoint inside all-or-nothing's): all of it or none."""
    if row.action == UNCHANGED:
        return "unchanged"
    try:
        with transaction.atomic():
            return importer.apply(row, actor=actor, reference=reference)
    except RowRefused as refusal:
        for column, message in refusal.errors:
            row.error(column, message)
        return "failed"


def _record_finish(record: ImportRecord, report: ImportReport) -> None:
    report.record_id = record.pk
    record.status = report.status
    record.mode = report.mode
    record.content = b""
    record.rows_total = len(report.rows)
    record.rows_invalid = len(report.invalid)
    record.rows_valid = record.rows_total - record.rows_invalid
    record.rows_created, record.rows_updated, record.rows_unchanged = report.count("created"), report.count("updated"), report.count("unchanged")
    record.errors = report.errors()
    record.applied_at = timezone.now()
    record.save()


def _reference(record: ImportRecord) -> str:
    return f"import #{record.pk} {record.file_name}"[:120]


def import_run(*, kind: str, mode: str, content: bytes, file_name: str, dry_run: bool, actor: Actor) -> ImportReport:
    """Check the file and, unless ``dry_run``, apply it as ``mode`` says and keep the record.

    Guarantees: a dry run writes nothing at all; an applied import leaves an :class:`ImportRecord`
    (who, when, kind, mode, file, counts, errors) and its stock movements name it in their reference.
    """
    report = import_check(kind=kind, mode=mode, content=content, file_name=file_name)
    if dry_run:
        return report
    record = ImportRecord.objects.create(
        kind=kind, mode=report.mode, file_name=file_name[:255], file_sha256=hashlib.sha256(content).hexdigest(), file_size=len(content),
        **actor_fields(actor),
    )
    _apply(KINDS[kind], report, actor=actor, reference=_reference(record))
    _record_finish(record, report)
    return report


def import_preview(*, kind: str, mode: str, content: bytes, file_name: str, actor: Actor) -> tuple[ImportRecord, ImportReport]:
    """The console's preview: a dry run, with the file kept (in the import's own record, nothing
    else) so that confirming applies exactly what was previewed."""
    report = import_check(kind=kind, mode=mode, content=content, file_name=file_name)
    ImportRecord.objects.filter(status=Status.PREVIEWED, created_at__lt=timezone.now() - PREVIEW_KEPT).delete()
    record = ImportRecord.objects.create(
        kind=kind, mode=report.mode, file_name=file_name[:255], file_sha256=hashlib.sha256(content).hexdigest(), file_size=len(content),
        content=content, rows_total=len(report.rows), rows_invalid=len(report.invalid), rows_valid=len(report.rows) - len(report.invalid),
        errors=report.errors(), **actor_fields(actor),
    )
    report.record_id = record.pk
    return record, report


def import_apply(*, record_id: int, actor: Actor) -> ImportReport:
    """Apply a previewed import. The rows are checked again first (stock or customers may have
    changed since the preview), then applied as the record's mode says, each row in its own
    transaction (all or nothing: one), so a long file never holds stock rows locked throughout.

    The record is claimed first with one conditional UPDATE: of two confirmations (a double
    click, two colleagues) one applies and the other is refused as already applied.
    """
    if not ImportRecord.objects.filter(pk=record_id).exists():
        raise NotFound(f"No import #{record_id}.", code="unknown_import")
    if not ImportRecord.objects.filter(pk=record_id, status=Status.PREVIEWED).update(status=Status.APPLYING):
        status = ImportRecord.objects.get(pk=record_id).get_status_display().lower()
        raise InvalidInput(f"Import #{record_id} was already applied ({status}).", code="already_applied")
    record = ImportRecord.objects.get(pk=record_id)
    try:
        report = import_check(kind=record.kind, mode=record.mode, content=bytes(record.content), file_name=record.file_name)
        _apply(KINDS[record.kind], report, actor=actor, reference=_reference(record))
    except BaseException:
        # Whatever was applied stays applied and is found unchanged by the next attempt.
        ImportRecord.objects.filter(pk=record_id).update(status=Status.PREVIEWED)
        raise
    if actor is not None and not isinstance(actor, str):
        record.actor, record.actor_label = actor, actor.get_username()[:120]
    _record_finish(record, report)
    return report

"""Exports for accountants (CSV, Excel) built by a worker and kept in the database in chunks.

The job has the shape of the kernel's document jobs (``oms.DocumentJob``): queued, running under
a lease that each chunk renews, done or failed; a job whose worker died is claimed again and
built from the start. The file is kept as numbered chunks of the attempt that built it, so a file
of a million rows never sits in one process's memory, and any web process can stream what any
worker wrote.
"""

import re

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ExportJob(FSMModelMixin, models.Model):
    """One export: what (``kind``, and ``selection``: an admin list's filters or the API's), in
    which format, how far it got, and the file once done."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    title = models.CharField(max_length=200)
    status = FSMField(default=Status.QUEUED, choices=Status.choices, protected=True)
    # Plain JSON: {"filters": {...}} from the API or the export form, or {"list": "orders.order",
    # "query": "<the admin list's query string>"} from an admin list (rebuilt by the worker).
    selection = models.JSONField(default=dict)
    rows_done = models.PositiveIntegerField(default=0, help_text="Rows written so far.")
    rows_total = models.PositiveIntegerField(default=0, help_text="Rows to write (counted when the job started).")
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes of the file, once done.")
    error = models.TextField(blank=True)
    # A worker that claimed the job holds it until then (each chunk renews it); a job left running
    # past it belongs to a worker that died and is claimed again.
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "leased_until"], name="exportjob_status_lease_idx")]
        permissions = [("export_data", "Can export data for accountants (CSV, Excel)")]

    def __str__(self):
        return f"{self.title} #{self.pk}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, int(100 * self.rows_done / self.rows_total)) if self.rows_total else 0

    @property
    def filename(self) -> str:
        stem = re.sub(r"[^A-Za-z0-9]+", "-", self.title).strip("-").lower() or self.kind
        return f"{stem}-{self.pk}.{self.format}"

    @transition(field=status, source=[Status.QUEUED, Status.RUNNING], target=Status.RUNNING)
    def start(self, *, lease_until):
        self.attempts += 1
        self.leased_until = lease_until
        self.started_at = self.started_at or timezone.now()
        self.rows_done = 0
        self.error = ""

    @transition(field=status, source=Status.RUNNING, target=Status.DONE)
    def finish(self, *, rows: int, size: int):
        self.rows_done, self.size = rows, size
        self.rows_total = max(self.rows_total, rows)
        self.finished_at, self.leased_until = timezone.now(), None

    @transition(field=status, source=[Status.QUEUED, Status.RUNNING], target=Status.FAILED)
    def fail(self, *, error: str):
        self.error = error[:4000]
        self.finished_at, self.leased_until = timezone.now(), None


class ExportChunk(models.Model):
    """A piece of an export's file, in order; only the chunks of the job's last attempt count."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="chunks", db_index=False)
    attempt = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    content = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "attempt", "sequence"], name="exportchunk_unique")]

    def __str__(self):
        return f"chunk {self.sequence} of export #{self.job_id}"

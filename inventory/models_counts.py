"""ABC classification runs and cycle counts (imported at the end of ``inventory/models.py``).

A cycle count is one location's counting work for one day: lines (a product in its bin) in
pick-path order. Counting is blind: the expected quantity (the on-hand snapshot) is stored on
the line but shown only to a manager, and only once the line is counted. Statuses are protected
FSM fields: they move only through the transitions below, called by ``inventory.counts``.

A line's life::

    pending --count within tolerance--> posted
    pending --count beyond tolerance--> recount --second count within--> posted
                                        recount --second count beyond--> awaiting_approval
    awaiting_approval --approve--> posted        awaiting_approval --recount--> recount
    pending | recount | awaiting_approval --cancel--> cancelled

and its count's: open -> counting -> awaiting_approval <-> counting -> done; open | counting |
awaiting_approval -> cancelled.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

__all__ = ["AbcRun", "CycleCount", "CycleCountEvent", "CycleCountLine", "CycleCountLineStatus", "CycleCountStatus"]

ABC_CLASSES = [("A", "A"), ("B", "B"), ("C", "C")]


class AbcRun(models.Model):
    """One ABC classification: what it looked at, what came out and who ran it."""

    ran_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    window_days = models.PositiveIntegerField()
    thresholds = models.JSONField(help_text="Cumulative value share (percent) up to which a product is A, and B.")
    products_a = models.PositiveIntegerField(default=0)
    products_b = models.PositiveIntegerField(default=0)
    products_c = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0, help_text="Products whose class changed in this run.")
    changes = models.JSONField(default=list, blank=True, help_text="The first 500 changes: [sku, before, after].")

    class Meta:
        ordering = ["-id"]
        verbose_name = "ABC classification"

    def __str__(self):
        return f"ABC run of {self.ran_at:%Y-%m-%d %H:%M}"


class CycleCountStatus(models.TextChoices):
    OPEN = "open", "Open"
    COUNTING = "counting", "Counting"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class CycleCountLineStatus(models.TextChoices):
    PENDING = "pending", "To count"
    RECOUNT = "recount", "To count again"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    POSTED = "posted", "Posted"
    CANCELLED = "cancelled", "Cancelled"


OPEN_LINE_STATUSES = (CycleCountLineStatus.PENDING, CycleCountLineStatus.RECOUNT, CycleCountLineStatus.AWAITING_APPROVAL)


class CycleCount(FSMModelMixin, models.Model):
    """The counts of one location for one day."""

    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="cycle_counts")
    scheduled_for = models.DateField(db_index=True)
    status = FSMField(default=CycleCountStatus.OPEN, choices=CycleCountStatus.choices, protected=True)
    planned = models.BooleanField(default=True, help_text="Made by the daily planning (one per location and day).")
    created_at = models.DateTimeField(default=timezone.now)
    created_by_label = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-scheduled_for", "location_id"]
        indexes = [models.Index(fields=["location", "status"], name="cycle_count_loc_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["location", "scheduled_for"], condition=Q(planned=True), name="cycle_count_one_plan_per_day"),
        ]
        permissions = [
            ("count_cyclecount", "Can count stock in cycle counts"),
            ("approve_cyclecount", "Can approve cycle count variances, ask for recounts and cancel counts"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"CC-{self.pk:06d}" if self.pk else "CC-new"

    # --- transitions: guards and field changes only; ``inventory.counts`` does the rest ---

    @transition(field=status, source=CycleCountStatus.OPEN, target=CycleCountStatus.COUNTING)
    def start(self):
        self.started_at = timezone.now()

    @transition(field=status, source=CycleCountStatus.COUNTING, target=CycleCountStatus.AWAITING_APPROVAL)
    def await_approval(self):
        pass

    @transition(field=status, source=CycleCountStatus.AWAITING_APPROVAL, target=CycleCountStatus.COUNTING)
    def resume(self):
        pass

    @transition(field=status, source=[CycleCountStatus.COUNTING, CycleCountStatus.AWAITING_APPROVAL], target=CycleCountStatus.DONE)
    def finish(self):
        self.finished_at = timezone.now()

    @transition(
        field=status, source=[CycleCountStatus.OPEN, CycleCountStatus.COUNTING, CycleCountStatus.AWAITING_APPROVAL],
        target=CycleCountStatus.CANCELLED,
    )
    def cancel(self):
        self.finished_at = timezone.now()


class CycleCountLine(FSMModelMixin, models.Model):
    """One product at its bin to count. ``expected`` (the on-hand snapshot) is taken when the line
    is started and is never shown to the counter."""

    count = models.ForeignKey(CycleCount, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    bin = models.ForeignKey("inventory.Bin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sequence = models.PositiveIntegerField(help_text="Place along the pick path, from 1.")
    abc_class = models.CharField("ABC class", max_length=1, choices=ABC_CLASSES, help_text="The product's class when planned.")
    status = FSMField(default=CycleCountLineStatus.PENDING, choices=CycleCountLineStatus.choices, protected=True)
    # The snapshot: on hand at the moment the line was started, read under the stock row's lock.
    expected = models.IntegerField(null=True, blank=True, help_text="On hand at the snapshot; hidden from counters.")
    snapshot_at = models.DateTimeField(null=True, blank=True)
    scanned = models.PositiveIntegerField(default=0, help_text="Units scanned so far in this round (1 per scan).")
    counted = models.PositiveIntegerField(null=True, blank=True, help_text="The latest count entered.")
    first_counted = models.PositiveIntegerField(null=True, blank=True, help_text="The first count, when a recount was asked for.")
    first_expected = models.IntegerField(null=True, blank=True, help_text="The snapshot of the first count, when recounted.")
    variance = models.IntegerField(null=True, blank=True, help_text="Counted less expected, of the latest count.")
    within_tolerance = models.BooleanField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    counted_by_label = models.CharField(max_length=120, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_by_label = models.CharField(max_length=120, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    correction = models.IntegerField(null=True, blank=True, help_text="Units the ledger was corrected by (0: none needed).")
    unit_cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True, help_text="Cost (price when no cost) at posting.")
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["count", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["count", "sequence"], name="cycle_count_line_sequence_unique"),
            models.UniqueConstraint(fields=["count", "product"], name="cycle_count_line_product_unique"),
        ]
        indexes = [models.Index(fields=["product", "status"], name="cycle_line_product_idx")]

    def __str__(self):
        return f"{self.sequence}. {self.product_id}"

    @property
    def is_started(self) -> bool:
        return self.snapshot_at is not None

    @transition(field=status, source=CycleCountLineStatus.PENDING, target=CycleCountLineStatus.RECOUNT)
    def ask_recount(self):
        self.first_counted, self.first_expected = self.counted, self.expected
        self._clear_round()

    @transition(field=status, source=CycleCountLineStatus.AWAITING_APPROVAL, target=CycleCountLineStatus.RECOUNT)
    def reject_for_recount(self):
        self._clear_round()

    @transition(field=status, source=CycleCountLineStatus.RECOUNT, target=CycleCountLineStatus.AWAITING_APPROVAL)
    def await_approval(self):
        pass

    @transition(
        field=status, source=[CycleCountLineStatus.PENDING, CycleCountLineStatus.RECOUNT, CycleCountLineStatus.AWAITING_APPROVAL],
        target=CycleCountLineStatus.POSTED,
    )
    def post(self):
        self.posted_at = timezone.now()

    @transition(field=status, source=list(OPEN_LINE_STATUSES), target=CycleCountLineStatus.CANCELLED)
    def cancel(self):
        pass

    def _clear_round(self):
        """A new blind round: a fresh snapshot at its start, nothing scanned."""
        self.expected = self.snapshot_at = self.counted = self.variance = self.within_tolerance = None
        self.scanned = 0


class CycleCountEvent(models.Model):
    """The audit trail of a count: every start, count entered, recount, approval and posting, with actor."""

    count = models.ForeignKey(CycleCount, on_delete=models.CASCADE, related_name="events")
    line = models.ForeignKey(CycleCountLine, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=255)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        # Not the message: a posting's names the correction, which the floor must not read (blind).
        return f"{self.kind.replace('_', ' ').capitalize()} #{self.pk}"

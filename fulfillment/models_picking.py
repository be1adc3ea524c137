"""Pick lists (what to take from which bin, in walking order) and packages (what went into which box).

Imported at the end of ``fulfillment/models.py``, so these are models of the ``fulfillment`` app.
A pick list's ``status`` is protected: it moves only through the transitions below, which the
services in ``fulfillment.services.picking`` call with the list locked.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

__all__ = ["Package", "PackageType", "PackedItem", "PickList", "PickListKind", "PickListLine", "PickListStatus", "ShortPickReason"]


class PickListKind(models.TextChoices):
    SINGLE = "single", "Single order"
    BATCH = "batch", "Batch / wave"
    ZONE = "zone", "Zone"


class ShortPickReason(models.TextChoices):
    """Why a picker found fewer units than the task asked for (said in the hold and the audit trail)."""

    NOT_FOUND = "not_found", "Not found at the bin"
    DAMAGED = "damaged", "Damaged"
    WRONG_ITEM = "wrong_item", "Wrong item at the bin"
    OTHER = "other", "Other"


class PickListStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class PickList(FSMModelMixin, models.Model):
    """One walk through one location: lines from one fulfillment order (single), many (batch), or
    the part of many that lies in one zone (zone), sorted along the pick path."""

    location = models.ForeignKey("inventory.Location", on_delete=models.PROTECT, related_name="pick_lists")
    kind = models.CharField(max_length=8, choices=PickListKind.choices)
    zone = models.CharField(max_length=16, blank=True, help_text="The zone a zone pick list covers.")
    status = FSMField(default=PickListStatus.OPEN, choices=PickListStatus.choices, protected=True)
    walking_distance_m = models.FloatField(default=0, help_text="Metres walked along the path, from the depot and back.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["location", "status"], name="pick_list_location_status_idx")]
        permissions = [("confirm_picklist", "Can build pick lists, confirm picks, pack and ship")]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"PL-{self.pk:06d}" if self.pk else "PL-new"

    # --- transitions: guards and field changes only; services do the rest ---

    @transition(field=status, source=PickListStatus.OPEN, target=PickListStatus.IN_PROGRESS)
    def start(self):
        self.started_at = timezone.now()

    @transition(field=status, source=PickListStatus.IN_PROGRESS, target=PickListStatus.DONE)
    def finish(self):
        self.finished_at = timezone.now()

    @transition(field=status, source=[PickListStatus.OPEN, PickListStatus.IN_PROGRESS], target=PickListStatus.CANCELLED)
    def cancel(self):
        self.finished_at = timezone.now()


class PickListLine(models.Model):
    """Take ``quantity`` of a product from a bin into a slot. Lines at one bin are consecutive."""

    pick_list = models.ForeignKey(PickList, on_delete=models.CASCADE, related_name="lines", db_index=False)
    fulfillment_line = models.ForeignKey("fulfillment.FulfillmentLine", on_delete=models.PROTECT, related_name="pick_lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="+")
    bin = models.ForeignKey("inventory.Bin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Empty: no bin known.")
    quantity = models.PositiveIntegerField()
    quantity_picked = models.PositiveIntegerField(default=0)
    short = models.BooleanField(default=False, help_text="Fewer found than asked for; the rest was written off.")
    short_reason = models.CharField(max_length=16, choices=ShortPickReason.choices, blank=True, help_text="Why a short pick was short (empty: not said).")
    short_note = models.CharField(max_length=255, blank=True, help_text="The picker's words about a short pick.")
    slot = models.PositiveSmallIntegerField(default=1, help_text="Tote or cart slot the units go into (one per fulfillment order).")
    sequence = models.PositiveIntegerField(help_text="Place along the pick path, from 1.")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pick_list", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["pick_list", "sequence"], name="pick_line_sequence_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="pick_line_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity_picked__lte=F("quantity")), name="pick_line_picked_within_quantity"),
        ]

    def __str__(self):
        return f"{self.sequence}. {self.product_id} × {self.quantity}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def short_reason_text(self) -> str:
        """The reason in words, with the picker's note: "damaged: box crushed"; empty when none was given."""
        label = ShortPickReason(self.short_reason).label.lower() if self.short_reason else ""
        return ": ".join(part for part in (label, self.short_note) if part)


class PackageType(models.Model):
    """A box or mailer the packing station stocks."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    inner_length_mm = models.PositiveIntegerField()
    inner_width_mm = models.PositiveIntegerField()
    inner_height_mm = models.PositiveIntegerField()
    max_weight_grams = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} · {self.name}"


class Package(models.Model):
    """A parcel of one fulfillment order. Open while items are scanned into it; closing it records
    the box, the weight and the dimensions."""

    fulfillment_order = models.ForeignKey("fulfillment.FulfillmentOrder", on_delete=models.CASCADE, related_name="packages")
    package_type = models.ForeignKey(PackageType, null=True, blank=True, on_delete=models.PROTECT, related_name="packages")
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    length_mm = models.PositiveIntegerField(null=True, blank=True)
    width_mm = models.PositiveIntegerField(null=True, blank=True)
    height_mm = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    packed_by_label = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["fulfillment_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fulfillment_order"], condition=Q(closed_at__isnull=True), name="package_one_open_per_fulfillment_order"
            )
        ]

    def __str__(self):
        return f"Package #{self.pk} of {self.fulfillment_order_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class PackedItem(models.Model):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="items", db_index=False)
    fulfillment_line = models.ForeignKey("fulfillment.FulfillmentLine", on_delete=models.PROTECT, related_name="packed_items")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "fulfillment_line"], name="packed_item_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="packed_item_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.fulfillment_line_id} × {self.quantity}"

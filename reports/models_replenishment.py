"""Replenishment suggestions: one run of the suggestions list and its lines.

A run (``ReplenishmentRun``) is made nightly after the forecast run and on demand; each of its
lines (``SuggestionLine``) is one SKU x stocking location with every figure the policy used, so
the console and the API can explain the suggested quantity. A line is open until a person accepts
it (a draft purchase order or a stock transfer is made from it and linked) or dismisses it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ReplenishmentRun(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    actor_label = models.CharField(max_length=120, blank=True, help_text="Who started it: a user, a job or a command.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    forecast_run_id = models.PositiveIntegerField(null=True, blank=True, help_text="The forecast run the lines read.")
    line_count = models.PositiveIntegerField(default=0, help_text="Lines with something to buy or move.")
    buy_count = models.PositiveIntegerField(default=0)
    transfer_count = models.PositiveIntegerField(default=0)
    write_safety_stock = models.BooleanField(default=False, help_text="Whether the computed safety stock was written to the stock levels.")
    safety_stock_written = models.PositiveIntegerField(default=0)
    planning = models.CharField(max_length=5, blank=True, help_text="OMS_REPLENISHMENT_PLANNING at the run: class (each ABC class as a whole) or sku.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "replenishment run"

    def __str__(self):
        return f"Replenishment run {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


class SuggestionLine(models.Model):
    class Kind(models.TextChoices):
        BUY = "buy", "Buy"
        TRANSFER = "transfer", "Transfer"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    run = models.ForeignKey(ReplenishmentRun, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("inventory.Product", on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("inventory.Location", on_delete=models.CASCADE, related_name="+")
    from_location = models.ForeignKey("inventory.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                      help_text="Transfers: where the units come from.")
    supplier = models.ForeignKey("inventory.Supplier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.BUY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    abc_class = models.CharField("ABC class", max_length=1, default="C")
    quantity = models.PositiveIntegerField(help_text="Suggested units (after rounding for a buy).")
    # the explanation
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    incoming = models.IntegerField(default=0, help_text="Sent purchase orders and transfers on the way.")
    open_purchase_orders = models.IntegerField(default=0, help_text="Draft purchase orders (not yet incoming).")
    backorders = models.IntegerField(default=0)
    position = models.IntegerField(default=0)
    transfers_in = models.IntegerField(default=0, help_text="Units suggested to move here in the same run, before buying.")
    forecast_horizon = models.FloatField(default=0, help_text="Forecast demand over lead time + review period.")
    forecast_lead_time = models.FloatField(default=0)
    forecast_error = models.FloatField(default=0, help_text="σ_d, the daily forecast error.")
    lead_time_days = models.FloatField(default=0)
    lead_time_spread_days = models.FloatField(default=0)
    review_period_days = models.FloatField(default=0)
    fill_rate = models.FloatField(default=0, help_text="The fill rate planned for this SKU x location (with class planning, above or below the class's target).")
    target_fill_rate = models.FloatField(null=True, blank=True, help_text="Target fill rate of the ABC class.")
    demand_pattern = models.CharField(max_length=12, blank=True, help_text="Smooth, erratic, intermittent or lumpy, from the demand history.")
    distribution = models.CharField(max_length=20, blank=True)
    safety_stock = models.FloatField(default=0)
    reorder_point = models.IntegerField(default=0)
    order_up_to = models.IntegerField(default=0)
    raw_quantity = models.IntegerField(default=0)
    rounding = models.TextField(blank=True, help_text="Each rounding step, one a line.")
    unit_cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # what it became
    purchase_order = models.ForeignKey("inventory.PurchaseOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    transfer = models.ForeignKey("inventory.Transfer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["run", "product", "location", "kind"]
        verbose_name = "replenishment suggestion"
        indexes = [models.Index(fields=["run", "status"], name="suggestion_run_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="suggestion_quantity_positive"),
            models.CheckConstraint(condition=Q(kind="buy") | Q(from_location__isnull=False), name="suggestion_transfer_has_source"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity} × {self.product_id} → {self.location_id}"

    @property
    def rounding_steps(self) -> list[str]:
        return [step for step in self.rounding.splitlines() if step]

    @property
    def explanation(self) -> str:
        parts = [
            f"on hand {self.on_hand} - reserved {self.reserved} - backorders {self.backorders} + incoming {self.incoming} "
            f"+ open POs {self.open_purchase_orders} = position {self.position}",
            f"forecast over {self.lead_time_days:g}+{self.review_period_days:g} days {self.forecast_horizon:.1f}, "
            f"safety stock {self.safety_stock:.1f}, reorder point {self.reorder_point}, order-up-to {self.order_up_to}",
        ]
        if self.target_fill_rate is not None:
            pattern = f" ({self.demand_pattern})" if self.demand_pattern else ""
            parts.append(f"class {self.abc_class} target {self.target_fill_rate:.0%}: this SKU planned at {self.fill_rate:.0%}{pattern}")
        if self.transfers_in:
            parts.append(f"{self.transfers_in} unit(s) moved in first")
        parts.append(f"raw {self.raw_quantity}, suggested {self.quantity}")
        if self.rounding:
            parts.append("; ".join(self.rounding.splitlines()))
        return ". ".join(parts) + "."

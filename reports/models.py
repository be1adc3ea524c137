"""Daily rollups: the facts KPIs read, one set of rows per day in the merchant's time zone.

Every rollup is keyed by the local day the order was *placed* (an order's cohort): a refund, a
delivery scan or a short pick landing weeks later changes the rows of the day the order was placed,
and the incremental job re-rolls that day. Refunds are the exception (finance counts them on the
day they were paid): ``RefundDay`` is keyed by the day the refund succeeded.

Rows are written only by ``reports.rollups`` (delete a day's rows, insert its aggregates), never
edited. Dimension columns are plain ids without database constraints: a rollup must never stop a
product or a location from being deleted, and bulk rebuilds should not pay for foreign-key checks.
"""

from django.db import models

from oms.money import DECIMAL_PLACES, MAX_DIGITS

from .imports.models import ImportRecord  # noqa: F401  (the accountant imports' record)
from .models_forecasts import DemandClass, ForecastChoice, ForecastPoint, ForecastRun, ForecastSeries, Frequency  # noqa: F401  (demand forecasts)
from .models_exports import ExportChunk, ExportFormat, ExportJob  # noqa: F401  (the exports' jobs and their files)
from .models_subscriptions import ReportSubscription  # noqa: F401  (scheduled reports)
from .models_replenishment import ReplenishmentRun, SuggestionLine  # noqa: F401  (replenishment suggestions)


def _money(**kwargs):
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0, **kwargs)


def _dimension(model: str, **kwargs):
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **kwargs)


class OrderDay(models.Model):
    """Orders placed per local day, hour, channel and currency."""

    day = models.DateField()
    hour = models.PositiveSmallIntegerField(help_text="Local hour of day the orders were placed, 0-23.")
    channel = _dimension("orders.Channel")
    currency = models.CharField(max_length=3)
    orders = models.PositiveIntegerField(default=0, help_text="Not cancelled.")
    cancelled_orders = models.PositiveIntegerField(default=0)
    lines = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    units_shipped = models.PositiveIntegerField(default=0)
    revenue = _money(help_text="Grand totals of the orders not cancelled.")
    split_orders = models.PositiveIntegerField(default=0, help_text="Orders shipped in more than one fulfillment order.")
    backordered_orders = models.PositiveIntegerField(default=0, help_text="Orders that were backordered at some point.")
    backorder_seconds = models.FloatField(default=0, help_text="Summed time from backordered to allocated.")

    class Meta:
        indexes = [models.Index(fields=["day", "channel"], name="reports_order_day_idx")]
        # The one permission that opens reports and KPIs (console and API).
        permissions = [("view_reports", "Can view reports and KPIs")]


class SkuDay(models.Model):
    """Ordered, shipped and returned units per local order day, channel and SKU."""

    day = models.DateField()
    channel = _dimension("orders.Channel")
    product = _dimension("inventory.Product", null=True)
    sku = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    lines = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    revenue = _money()
    units_shipped = models.PositiveIntegerField(default=0)
    units_returned = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "product"], name="reports_sku_day_idx")]


class FulfillmentDay(models.Model):
    """Fulfillment orders of the orders placed that local day, per channel, location, carrier and
    destination country (a lane is location -> country)."""

    day = models.DateField()
    channel = _dimension("orders.Channel")
    location = _dimension("inventory.Location")
    carrier_code = models.CharField(max_length=32, blank=True)
    ship_country = models.CharField(max_length=2, blank=True)
    shipping_currency = models.CharField(max_length=3, blank=True)
    fulfillment_orders = models.PositiveIntegerField(default=0, help_text="Not cancelled.")
    units = models.PositiveIntegerField(default=0)
    units_picked_short = models.PositiveIntegerField(default=0)
    pick_lines = models.PositiveIntegerField(default=0)
    short_pick_lines = models.PositiveIntegerField(default=0)
    shipped = models.PositiveIntegerField(default=0)
    ship_promised = models.PositiveIntegerField(default=0, help_text="Shipped, with a promised ship date.")
    shipped_on_time = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    delivery_promised = models.PositiveIntegerField(default=0, help_text="Delivered, with a promised delivery date.")
    delivered_on_time = models.PositiveIntegerField(default=0)
    late_shipments = models.PositiveIntegerField(default=0, help_text="Shipments the carrier delivered late or flagged late.")
    transit_seconds = models.FloatField(default=0, help_text="Summed shipped -> delivered time of the delivered ones.")
    shipments = models.PositiveIntegerField(default=0, help_text="With a shipment (a label) of ours.")
    units_in_shipments = models.PositiveIntegerField(default=0)
    shipping_cost = _money(help_text="The carriers' prices of those shipments, in shipping_currency.")

    class Meta:
        indexes = [models.Index(fields=["day", "location"], name="reports_fulfillment_day_idx")]


class StageDay(models.Model):
    """How long fulfillment orders spent in each stage, as a histogram per local order day,
    location and stage (``reports.rollups.BUCKETS`` gives each bucket's upper bound)."""

    class Stage(models.TextChoices):
        CAPTURED_ALLOCATED = "captured_allocated", "Captured -> allocated"
        ALLOCATED_PICKING = "allocated_picking", "Allocated -> picking"
        PICKING_PACKED = "picking_packed", "Picking -> packed"
        PACKED_SHIPPED = "packed_shipped", "Packed -> shipped"
        SHIPPED_DELIVERED = "shipped_delivered", "Shipped -> delivered"

    day = models.DateField()
    location = _dimension("inventory.Location")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    bucket = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "stage"], name="reports_stage_day_idx")]


class ReturnDay(models.Model):
    """Units asked back, per local order day, channel, SKU, return reason and disposition."""

    day = models.DateField()
    channel = _dimension("orders.Channel")
    product = _dimension("inventory.Product", null=True)
    sku = models.CharField(max_length=64)
    reason = _dimension("returns.ReturnReason")
    disposition = models.CharField(max_length=20, blank=True)
    units_requested = models.PositiveIntegerField(default=0)
    units_received = models.PositiveIntegerField(default=0)
    units_accepted = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="reports_return_day_idx")]


class RefundDay(models.Model):
    """Refunds that succeeded per local day (of the refund), channel and currency."""

    day = models.DateField()
    channel = _dimension("orders.Channel")
    currency = models.CharField(max_length=3)
    refunds = models.PositiveIntegerField(default=0)
    amount = _money()
    with_request = models.PositiveIntegerField(default=0, help_text="Refunds of a return request.")
    request_seconds = models.FloatField(default=0, help_text="Summed request -> refund time of those.")

    class Meta:
        indexes = [models.Index(fields=["day"], name="reports_refund_day_idx")]


class RollupRun(models.Model):
    """The incremental job's watermark: changes recorded before ``changes_until`` are rolled up."""

    key = models.CharField(max_length=30, unique=True)
    changes_until = models.DateTimeField()
    days_rolled = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField()


class StockoutDay(models.Model):
    """A SKU at a location with nothing sellable (on hand less quarantined, from the ledger) at
    the end of the local day; only such pairs have a row. The ledger is append-only, so a past
    day never changes: the refresh job rolls up the days movements were recorded on."""

    day = models.DateField()
    product = _dimension("inventory.Product")
    location = _dimension("inventory.Location")
    sellable = models.IntegerField(help_text="On hand less quarantined at the end of the day (0 or less).")

    class Meta:
        indexes = [models.Index(fields=["day", "product"], name="reports_stockout_day_idx")]

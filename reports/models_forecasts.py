"""Demand forecasts: one row per nightly (or manual) run, one per series it forecast, and the
series' points. Every run is kept (old runs are pruned after ``KEEP_DAYS``), so a forecast made
weeks ago can be compared with what sold since (``reports.forecasting.selectors``).

A series is a SKU's demand, all locations together (``location`` empty) or at one location, by
day or by ISO week. Quantities are floats: a forecast is a rate, not a count of units. Dimension
columns carry no database constraint (as the rollups'): a forecast never stops a product or a
location from being deleted.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

KEEP_DAYS = 400


def _dimension(model: str, **kwargs):
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **kwargs)


class ForecastRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    class Scope(models.TextChoices):
        ALL = "all", "Every active SKU (the nightly run)"
        SELECTED = "selected", "Selected SKUs"

    as_of = models.DateField(help_text="Last local day of history the run read; forecasts start the day after.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    horizon_days = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField(help_text="Coverage of the stored prediction intervals, in percent.")
    skus = models.PositiveIntegerField(default=0, help_text="SKUs read.")
    series_count = models.PositiveIntegerField(default=0, help_text="Series forecast and stored.")
    skipped_count = models.PositiveIntegerField(default=0, help_text="Series with too little history or no demand at all.")
    failed_count = models.PositiveIntegerField(default=0, help_text="Series in batches that failed.")
    errors = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    actor_label = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        permissions = [("run_forecast", "Can start a demand forecast run")]
        constraints = [
            # The nightly run of a day happens once, however many workers get the message.
            models.UniqueConstraint(fields=["as_of"], condition=Q(scope="all") & ~Q(status="failed"), name="forecast_run_once_a_day"),
        ]

    def __str__(self):
        return f"Forecast run {self.as_of} ({self.get_status_display().lower()})"


class DemandClass(models.TextChoices):
    SMOOTH = "smooth", "Smooth"
    ERRATIC = "erratic", "Erratic"
    INTERMITTENT = "intermittent", "Intermittent"
    LUMPY = "lumpy", "Lumpy"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class ForecastSeries(models.Model):
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="series")
    product = _dimension("inventory.Product")
    location = _dimension("inventory.Location", null=True, blank=True, help_text="Empty: all locations together.")
    frequency = models.CharField(max_length=6, choices=Frequency.choices)
    demand_class = models.CharField(max_length=12, choices=DemandClass.choices)
    method = models.CharField(max_length=40, help_text="The statsforecast model chosen by the backtest.")
    adi = models.FloatField(help_text="Average demand interval (periods per demand occurrence).")
    cv2 = models.FloatField(help_text="Squared coefficient of variation of the non-zero demand sizes.")
    mase = models.FloatField(null=True, blank=True, help_text="Backtest MASE of the chosen method (empty: too short to backtest).")
    bias = models.FloatField(null=True, blank=True, help_text="Backtest mean error (forecast - actual) over the MASE scale.")
    scale = models.FloatField(help_text="MASE scale: the in-sample mean absolute one-step change on observed periods.")
    history_periods = models.PositiveIntegerField()
    stockout_periods = models.PositiveIntegerField()
    windows = models.PositiveSmallIntegerField(default=0, help_text="Backtest origins used.")
    selected_on = models.DateField(null=True, blank=True,
                                   help_text="History end of the backtest that chose the method (and measured MASE and bias).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "product", "location", "frequency"], condition=Q(location__isnull=False),
                                    name="forecast_series_one_per_location"),
            models.UniqueConstraint(fields=["run", "product", "frequency"], condition=Q(location__isnull=True),
                                    name="forecast_series_one_per_sku"),
        ]
        indexes = [models.Index(fields=["product", "frequency", "location", "run"], name="forecast_series_product_idx")]
        verbose_name_plural = "forecast series"


class ForecastPoint(models.Model):
    series = models.ForeignKey(ForecastSeries, on_delete=models.CASCADE, related_name="points")
    date = models.DateField(help_text="The day, or the Monday of the week.")
    mean = models.FloatField()
    lo = models.FloatField(help_text="Lower bound of the run's prediction interval.")
    hi = models.FloatField(help_text="Upper bound of the run's prediction interval.")

    class Meta:
        ordering = ["series", "date"]
        constraints = [models.UniqueConstraint(fields=["series", "date"], name="forecast_point_one_per_date")]


class ForecastChoice(models.Model):
    """The method a series' last backtest chose, kept between runs: a nightly run refits it and
    backtests the series again only when due (``reports.forecasting.selection``). One row per
    series (SKU, location or all locations, frequency), replaced when the series is re-selected."""

    product = _dimension("inventory.Product")
    location = _dimension("inventory.Location", null=True, blank=True, help_text="Empty: all locations together.")
    frequency = models.CharField(max_length=6, choices=Frequency.choices)
    demand_class = models.CharField(max_length=12, choices=DemandClass.choices, help_text="The class when the method was chosen.")
    method = models.CharField(max_length=40)
    mase = models.FloatField(null=True, blank=True, help_text="Backtest MASE of the method (empty: too short to backtest).")
    bias = models.FloatField(null=True, blank=True, help_text="Backtest mean error (forecast - actual) over the MASE scale.")
    windows = models.PositiveSmallIntegerField(default=0, help_text="Backtest origins used.")
    residual_lo = models.FloatField(default=0.0, help_text="Lower quantile of the backtest errors (the empirical interval's offset).")
    residual_hi = models.FloatField(default=0.0, help_text="Upper quantile of the backtest errors (the empirical interval's offset).")
    horizon = models.PositiveSmallIntegerField(help_text="Backtest horizon, in periods.")
    level = models.PositiveSmallIntegerField(help_text="Interval coverage the residual quantiles were taken for, in percent.")
    selected_on = models.DateField(help_text="Last day of the history the backtest read.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "location", "frequency"], condition=Q(location__isnull=False),
                                    name="forecast_choice_one_per_location"),
            models.UniqueConstraint(fields=["product", "frequency"], condition=Q(location__isnull=True), name="forecast_choice_one_per_sku"),
        ]

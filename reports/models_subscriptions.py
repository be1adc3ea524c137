from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone


class ReportSubscription(models.Model):
    """A person who gets a dashboard as a PDF by e-mail, every day or every week.

    ``last_period_end`` is the last day of the period last sent: the job claims a period by moving
    it forward in one conditional UPDATE, so two beat runs (or two workers) never send the same
    period twice; a failed send moves it back and the next run tries again.
    """

    class Dashboard(models.TextChoices):
        OPERATIONS = "operations", "Operations dashboard"
        FINANCE = "finance", "Finance dashboard"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Every day (the day before)"
        WEEKLY = "weekly", "Every week (the seven days before)"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    dashboard = models.CharField(max_length=20, choices=Dashboard.choices)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.DAILY)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY, help_text="The day a weekly report goes out.")
    hour = models.PositiveSmallIntegerField(
        default=7, validators=[MaxValueValidator(23)], help_text="The hour of the day (merchant's time zone) from which the report goes out.",
    )
    active = models.BooleanField(default=True)
    last_period_end = models.DateField(null=True, blank=True, editable=False, help_text="The last day of the period last sent.")
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["user_id", "dashboard", "frequency"]
        constraints = [
            models.UniqueConstraint(fields=["user", "dashboard", "frequency"], name="report_subscription_once"),
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="report_subscription_hour"),
        ]

    def __str__(self):
        return f"{self.get_dashboard_display()}, {self.get_frequency_display().lower()}"

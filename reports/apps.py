from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Built in its own issue; registered now so the layering and settings are final."""

    name = "reports"
    verbose_name = "Reports"

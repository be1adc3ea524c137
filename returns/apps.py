from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    """Built in its own issue; registered now so the layering and settings are final."""

    name = "returns"
    verbose_name = "Returns"

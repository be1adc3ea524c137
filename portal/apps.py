from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Built in its own issue; registered now so the layering and settings are final."""

    name = "portal"
    verbose_name = "Customer portal"

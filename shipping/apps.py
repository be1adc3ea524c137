from django.apps import AppConfig


class ShippingConfig(AppConfig):
    """Built in its own issue; registered now so the layering and settings are final."""

    name = "shipping"
    verbose_name = "Shipping"

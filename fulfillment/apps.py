from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    """Built in its own issue; registered now so the layering and settings are final."""

    name = "fulfillment"
    verbose_name = "Fulfillment"

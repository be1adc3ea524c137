from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The customer-facing top layer: notifications (e-mail, SMS), tracking pages and the portal site."""

    name = "portal"
    verbose_name = "Customer portal"

    def ready(self):
        from oms.personal_data import personal_data_register

        from .personal_data import PART

        # This app's share of a customer's data export and erasure (oms.personal_data).
        personal_data_register(PART)
        from .notifications.events import subscribers_register
        from .notifications.tracking import tracking_receiver_connect

        subscribers_register()
        tracking_receiver_connect()

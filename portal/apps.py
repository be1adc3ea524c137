from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The customer-facing top layer: notifications (e-mail, SMS), tracking pages and the portal site."""

    name = "portal"
    verbose_name = "Customer portal"

    def ready(self):
        from .notifications.events import subscribers_register
        from .notifications.tracking import tracking_receiver_connect

        subscribers_register()
        tracking_receiver_connect()

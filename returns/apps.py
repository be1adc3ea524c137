from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    """Return merchandise authorisations: request, approval, the parcel's way back, receipt and inspection."""

    name = "returns"
    verbose_name = "Returns"

    def ready(self):
        from oms.events import subscribe

        from .services import on_return_shipment_moving

        # The carrier's first scan of a return label moves its return to in transit.
        subscribe("shipment.in_transit", on_return_shipment_moving)

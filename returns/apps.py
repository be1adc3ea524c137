from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    """Return merchandise authorisations: request, approval, the parcel's way back, receipt and inspection."""

    name = "returns"
    verbose_name = "Returns"

    def ready(self):
        from oms.personal_data import personal_data_register

        from .personal_data import PART

        # This app's share of a customer's data export and erasure (oms.personal_data).
        personal_data_register(PART)
        from django.db.models.signals import post_migrate

        from oms.events import subscribe
        from oms.work_queues import work_queues_register

        from .seed import return_defaults_seed_after_migrate
        from .models import ReturnStatus
        from .services import STATUS_EVENTS, on_return_exchange_due, on_return_refund_moment, on_return_shipment_moving
        from .work_queues import QUEUES, return_queues_count

        # The reasons and the default policy, again after a test database is flushed.
        post_migrate.connect(return_defaults_seed_after_migrate, sender=self, dispatch_uid="returns.defaults_seed")

        # The carrier's first scan of a return label moves its return to in transit.
        subscribe("shipment.in_transit", on_return_shipment_moving)

        # Money back when the policy's timing says so: first scan, receipt or inspection.
        for status in (ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED, ReturnStatus.INSPECTED):
            subscribe(STATUS_EVENTS[status], on_return_refund_moment)

        # An exchange's replacement order: at approval (advance exchange) or after inspection.
        subscribe("return.approved", on_return_exchange_due)
        subscribe("return.inspected", on_return_exchange_due)

        # The console's home shows the returns that wait for a decision, a parcel or an inspection.
        work_queues_register(QUEUES, return_queues_count)

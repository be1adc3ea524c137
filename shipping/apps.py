from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = "Shipping"

    def ready(self):
        from oms.work_queues import work_queues_register

        from .documents import label_renderer_register
        from .work_queues import QUEUES, shipping_queues_count

        # Large batches of labels render as document jobs (the console's print action, the API).
        label_renderer_register()
        # The console's home shows the exceptions and late queue.
        work_queues_register(QUEUES, shipping_queues_count)
        # The dock sees the address of the parcels still there (the rest is masked).
        from oms.masking import masking_work_register

        from .personal_data import shipments_at_the_dock

        masking_work_register("shipping.Shipment", shipments_at_the_dock)

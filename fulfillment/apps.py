from django.apps import AppConfig


class FulfillmentConfig(AppConfig):
    name = "fulfillment"
    verbose_name = "Fulfillment"

    def ready(self):
        from oms.personal_data import personal_data_register

        from .personal_data import PART

        # This app's share of a customer's data export and erasure (oms.personal_data).
        personal_data_register(PART)
        # The floor sees the ship-to of what it is picking and packing (the rest is masked).
        from oms.masking import masking_work_register

        from .personal_data import orders_in_hand

        masking_work_register("orders.Order", orders_in_hand)
        from oms.events import subscribe
        from oms.work_queues import work_queues_register
        from orders.services.audit import STATUS_EVENTS
        from orders.models import OrderStatus

        from .documents.jobs import by_id_renderers_register
        from orders.services.allocation import REALLOCATED_EVENT

        from .services import on_order_cancelled, on_order_fulfillment_started, on_order_reallocated, on_shipment_delivered, on_shipment_trouble
        from .work_queues import QUEUES, fulfillment_queues_count

        subscribe(STATUS_EVENTS[OrderStatus.IN_FULFILLMENT], on_order_fulfillment_started)
        subscribe(STATUS_EVENTS[OrderStatus.CANCELLED], on_order_cancelled)
        subscribe(REALLOCATED_EVENT, on_order_reallocated)
        # Carrier news about a shipment of ours moves its fulfillment order or tells customer service.
        subscribe("shipment.delivered", on_shipment_delivered)
        for name in ("shipment.exception", "shipment.returned_to_sender", "shipment.late"):
            subscribe(name, on_shipment_trouble)
        # Pick lists and packing slips by id: what the admin's print actions start as document jobs.
        by_id_renderers_register()
        # The console's home shows the floor's queues.
        work_queues_register(QUEUES, fulfillment_queues_count)
        # The order page (orders, below this app) shows its fulfillment orders and shipments.
        from orders.admin_panels import order_page_panel_register

        from .order_panel import order_fulfillment_panel

        order_page_panel_register("fulfillment", order_fulfillment_panel)

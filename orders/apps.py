from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        from oms.personal_data import personal_data_register

        from .personal_data import PART

        # This app's share of a customer's data export and erasure (oms.personal_data).
        personal_data_register(PART)
        from inventory.changes import stock_listen
        from inventory.services import STOCK_AVAILABLE_EVENT
        from oms.events import subscribe
        from oms.work_queues import work_queues_register

        from .services.allocation import on_stock_available
        from .work_queues import CHANNEL_QUEUES, QUEUES, channel_queues_count, order_queues_count

        subscribe(STOCK_AVAILABLE_EVENT, on_stock_available)
        # Shipments, deliveries and cancellations passed back to the channels. Fulfillment is
        # above this app: its events are taken by name, with what they carry.
        from .models import OrderStatus
        from .services.audit import STATUS_EVENTS
        from .services.channel_fulfillment import on_fulfillment_delivered, on_fulfillment_shipped, on_order_cancelled

        subscribe("fulfillment.shipped", on_fulfillment_shipped)
        subscribe("fulfillment.delivered", on_fulfillment_delivered)
        subscribe(STATUS_EVENTS[OrderStatus.CANCELLED], on_order_cancelled)
        from .channel_panel import order_channel_panel
        from .admin_panels import order_page_panel_register

        order_page_panel_register("channel", order_channel_panel)
        from .invoice_panel import order_invoices_panel

        order_page_panel_register("invoices", order_invoices_panel)
        from .admin_receivables import receivables_pages_register

        # The receivables ageing, in the console's "Reports & exports" section (and linked from the invoice list).
        receivables_pages_register()
        from .services.stock_sync import stock_changes_note

        # Stock out to channels: a push is queued after each stock change (no query in the order's path).
        stock_listen(stock_changes_note)
        # The console's home shows the orders' queues.
        work_queues_register(QUEUES, order_queues_count)
        work_queues_register(CHANNEL_QUEUES, channel_queues_count)

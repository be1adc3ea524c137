from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        from inventory.changes import stock_listen
        from inventory.services import STOCK_AVAILABLE_EVENT
        from oms.events import subscribe
        from oms.work_queues import work_queues_register

        from .services.allocation import on_stock_available
        from .services.stock_sync import stock_changes_note
        from .work_queues import QUEUES, order_queues_count

        subscribe(STOCK_AVAILABLE_EVENT, on_stock_available)
        # Stock out to channels: a push is queued after each stock change (no query in the order's path).
        stock_listen(stock_changes_note)
        # The console's home shows the orders' queues.
        work_queues_register(QUEUES, order_queues_count)

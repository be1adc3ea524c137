from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        from inventory.services import STOCK_AVAILABLE_EVENT
        from oms.events import subscribe
        from oms.work_queues import work_queues_register

        from .services.allocation import on_stock_available
        from .work_queues import QUEUES, order_queues_count

        subscribe(STOCK_AVAILABLE_EVENT, on_stock_available)
        # The console's home shows the orders' queues.
        work_queues_register(QUEUES, order_queues_count)

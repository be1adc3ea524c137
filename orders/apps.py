from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        from inventory.services import STOCK_AVAILABLE_EVENT
        from oms.events import subscribe

        from .services.allocation import on_stock_available

        subscribe(STOCK_AVAILABLE_EVENT, on_stock_available)

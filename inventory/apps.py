from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self):
        from oms.personal_data import personal_data_register

        from .personal_data import PART

        # Suppliers' contacts in the personal-data registry (listed and masked; not a customer's data).
        personal_data_register(PART)

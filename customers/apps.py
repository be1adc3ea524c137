from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"

    def ready(self):
        from oms.personal_data import personal_data_register

        from .personal_data import PART

        # This app's share of a customer's data export and erasure (oms.personal_data).
        personal_data_register(PART)

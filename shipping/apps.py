from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = "Shipping"

    def ready(self):
        from .documents import label_renderer_register

        # Large batches of labels render as document jobs (the console's print action, the API).
        label_renderer_register()

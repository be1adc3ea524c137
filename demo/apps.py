from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo merchant: ``manage.py demo`` seeds every app through its services. It sits at the
    top of the layers (DESIGN.md), so it may call any app; no app may import it."""

    name = "demo"
    verbose_name = "Demo"

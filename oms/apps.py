from django.apps import AppConfig


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = "OMS kernel"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks, roles  # noqa: F401 (checks registers the deployment checks)
        from .events import subscribe_matching
        from .personal_data import KERNEL_PART, personal_data_register
        from .webhooks import webhook_fan_out, webhook_wants

        # Groups and their permissions are infrastructure, kept in step with the code on every
        # migrate, so a new permission reaches its roles without a manual step. It runs after
        # every app's post_migrate, not only this one's: the other apps' permissions are created
        # by their own post_migrate, which on a fresh database comes after the kernel's.
        post_migrate.connect(roles.roles_sync_after_migrate, dispatch_uid="oms.roles_sync")
        # Webhooks take events by what subscriptions ask for, not by name; with nobody subscribed
        # the check costs nothing (the wanted names are cached per process).
        subscribe_matching(webhook_wants, webhook_fan_out)
        # Events, webhook logs and admin history may quote a customer: cleaned on erasure.
        personal_data_register(KERNEL_PART)

"""The operator console's admin site: a home that shows the work, and pages grouped by the work.

``ConsoleAdminConfig`` (in ``INSTALLED_APPS`` in place of ``django.contrib.admin``) makes
:class:`ConsoleSite` the default site, so every ``admin.site.register`` and every
``admin:...`` URL name works as before.

- **Home**: the work queues of the user's role (``oms.work_queues``), each with its count, the
  age of its oldest item and a link to the list that shows exactly those items, oldest first.
- **Index and sidebar**: models grouped by the work (orders and customers, the floor, shipping,
  stock, integrations) rather than by app; the internals (users and groups, Celery beat, domain
  events, document jobs) sit under "Technical", for administrators only. A model no section
  names appears under its own app's name, so a new app is never hidden.
"""

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path, reverse
from django.utils import timezone

from .admin_links import console_viewing
from .admin_pages import console_pages, console_pages_for
from .work_queues import Link, work_queues_for


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    # "app_label.model_name", or "app_label" for every model of the app; listed in this order.
    models: tuple[str, ...]


SECTIONS = (
    Section("orders", "Orders & customers", (
        "orders.order", "orders.heldorder", "orders.platformcancellation", "orders.invoice", "orders.creditnote", "customers.customer", "customers.customergroup",
        "customers.pricelist", "customers.storecreditaccount", "customers.datarequest", "portal.notification",
    )),
    Section("floor", "Floor: fulfillment, picking, packing", ("fulfillment.fulfillmentorder", "fulfillment.picklist", "fulfillment.packagetype")),
    Section("shipping", "Shipping", (
        "shipping.shipmentexceptionqueue", "shipping.shipment", "shipping.manifest", "shipping.carrier", "shipping.servicelevel",
        "shipping.zone", "shipping.ratetable",
    )),
    Section("returns", "Returns", ("returns.returnrequest", "returns.refund", "returns.returnpolicy", "returns.returnreason")),
    Section("stock", "Stock", (
        "inventory.stocklevel", "inventory.product", "inventory.transfer", "inventory.stockmovement", "inventory.location",
        "inventory.channelstockrule",
        # Cycle counts: the day's counts, their lines (what the accuracy KPI drills into), ABC runs.
        "inventory.cyclecount", "inventory.cyclecountline", "inventory.abcrun",
    )),
    # Buying: purchase orders (the buyer sends them, the dock receives them) and the suppliers.
    Section("purchasing", "Purchasing", ("reports.suggestionline", "inventory.purchaseorder", "inventory.supplier", "reports.replenishmentrun")),
    # Accountants' exports (and what reports adds later): each export job with its progress and download.
    Section("reports", "Reports & exports", ("reports",)),
    Section("integrations", "Channels & integrations", (
        "orders.channel", "orders.routingstrategy", "orders.replanrun", "orders.screeningrule", "orders.screeningthreshold", "orders.screeningblock",
        "orders.channelwebhookreceipt", "orders.channellocationmap", "orders.channellisting", "orders.channelstocksyncrun", "orders.channelfulfillmentsync",
        "orders.channelreconciliation", "oms.integration", "oms.webhooksubscription",
        "oms.webhookdelivery", "oms.apikey", "portal.channelbranding", "portal.notificationtemplateoverride",
    )),
    # Unlocking a locked-out sign-in and resetting someone's authenticator: the operations manager's.
    Section("signin", "Staff sign-in", ("axes", "otp_totp", "otp_static")),
)
# Shown to superusers only; everyone else reaches these pages (a document job's progress, say)
# through the links of the pages that start them.
TECHNICAL = Section("technical", "Technical", ("auth.user", "auth.group", "oms.domainevent", "oms.documentjob", "oms.configchange", "django_celery_beat"))


class ConsoleSite(admin.AdminSite):
    site_header = "OMS operator console"
    site_title = "OMS"
    index_title = "Your work"
    index_template = "admin/oms/home.html"
    # No customer-facing site yet: `/` leads back here, so "View site" would too. When the
    # portal exists, `/` goes there and this becomes "/".
    site_url = None

    def admin_view(self, view, cacheable=False):
        """Every console view, with its page rendered while :mod:`oms.admin_links` knows the
        request: links on it lead only where the user may go."""
        guarded = super().admin_view(view, cacheable)

        @wraps(guarded)
        def viewing(request, *args, **kwargs):
            with console_viewing(request):
                response = guarded(request, *args, **kwargs)
                if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
                    response.render()
            return response

        return viewing

    def get_app_list(self, request, app_label=None):
        if app_label is not None:  # one app's own page (/admin/orders/): as Django builds it
            return super().get_app_list(request, app_label)
        built = self._build_app_dict(request)
        by_name = {
            f"{label}.{entry['model']._meta.model_name}": (label, entry)
            for label, app in built.items()
            for entry in app["models"]
        }
        sections = [self._section(section, by_name) for section in SECTIONS]
        for section in sections:  # the pages of higher apps (dashboards) first in their section
            section["models"][:0] = [self._page_entry(page) for page in console_pages_for(request.user, section["app_label"])]
        technical = self._section(TECHNICAL, by_name)
        # Whatever no section names, under its app's own name.
        for label in sorted({label for label, _ in by_name.values()}, key=lambda name: built[name]["name"].lower()):
            entries = sorted((entry for owner, entry in by_name.values() if owner == label), key=lambda entry: entry["name"].lower())
            sections.append({**built[label], "models": entries})
        if request.user.is_superuser:
            sections.append(technical)
        return [section for section in sections if section["models"]]

    def get_urls(self):
        pages = [path(page.route, self.admin_view(page.view), name=page.url_name) for page in console_pages()]
        return pages + super().get_urls()

    def _page_entry(self, page) -> dict:
        url = reverse(f"admin:{page.url_name}", current_app=self.name)
        return {"name": page.title, "object_name": page.url_name, "admin_url": url, "add_url": None, "view_only": True, "perms": {"view": True}}

    @staticmethod
    def _section(section: Section, by_name: dict) -> dict:
        """The section's models, taken out of ``by_name`` (so each model is listed once)."""
        entries = []
        for name in section.models:
            names = [name] if "." in name else sorted(key for key in by_name if key.split(".")[0] == name)
            entries += [by_name.pop(key)[1] for key in names if key in by_name]
        return {"name": section.title, "app_label": section.key, "app_url": "", "has_module_perms": True, "models": entries}

    def index(self, request, extra_context=None):
        queues = [
            {
                "key": shown.queue.key, "title": shown.queue.title, "help": shown.queue.help, "age_label": shown.queue.age_label,
                "count": shown.figures.count, "oldest": shown.figures.oldest, "url": self.queue_url(request, shown.figures.link),
                "rows": [
                    {"label": row.label, "count": row.count, "oldest": row.oldest, "url": self.queue_url(request, row.link)}
                    for row in shown.figures.rows
                ],
                "read_only": shown.read_only,
            }
            for shown in work_queues_for(request.user, timezone.localdate())
        ]
        context = {"work_queues": queues, "read_only": bool(queues) and queues[0]["read_only"], **(extra_context or {})}
        return super().index(request, context)

    def queue_url(self, request, link: Link) -> str | None:
        """The changelist of ``link``, filtered and sorted oldest first; None when the user may
        not see that list."""
        model = apps.get_model(link.model)
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            return None
        query = dict(link.filters)
        if link.oldest_first:
            column = self._ordering_column(request, model_admin, link.oldest_first)
            if column is not None:
                query["o"] = column
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist", current_app=self.name)
        return f"{url}?{urlencode(query)}" if query else url

    @staticmethod
    def _ordering_column(request, model_admin, field_name: str) -> str | None:
        """The changelist's ``o`` parameter that sorts by ``field_name`` ascending, if one of its
        columns sorts by that field (the list's columns are the admin's to change)."""
        columns = list(model_admin.get_list_display(request))
        if model_admin.get_actions(request):
            columns.insert(0, "action_checkbox")  # as the changelist numbers its columns
        for index, column in enumerate(columns):
            attribute = column
            if isinstance(column, str):
                attribute = getattr(model_admin, column, None) or getattr(model_admin.model, column, None)
            ordering = column if column == field_name else getattr(attribute, "admin_order_field", None)
            if ordering == field_name:
                return str(index)
            if ordering == f"-{field_name}":
                return f"-{index}"
        return None


class ConsoleAdminConfig(AdminConfig):
    default_site = "oms.admin_site.ConsoleSite"

    def ready(self):
        super().ready()
        from .signin.forms import ConsoleAuthenticationForm  # needs the auth models, loaded only now

        # The admin's own sign-in form, saying so when too many failed sign-ins locked the account or address.
        admin.site.login_form = ConsoleAuthenticationForm

"""The replenishment suggestions in the console (Purchasing section; the Operations manager's).

The list shows each line with the figures that explain it and filters by run, location, supplier,
ABC class, kind and status. Its actions go through the services only: "Create draft purchase
orders" (buy lines), "Create transfers" (transfer lines) and "Dismiss"; "Run now" computes a new
run (optionally writing the safety stock). Nothing is edited by hand.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from oms.errors import DomainError

from .models_replenishment import ReplenishmentRun, SuggestionLine
from inventory.selectors_purchasing import minimum_shortfall

from .replenishment.selectors import latest_run, suggestions_with_order_totals
from .replenishment.suggestions import replenishment_run, suggestions_accept, suggestions_dismiss

ACCEPT = "reports.change_suggestionline"
RUN = "reports.add_replenishmentrun"


class RunFilter(admin.SimpleListFilter):
    """Which run's lines: the latest finished run unless an earlier one (or all) is picked, so the
    list opens on today's suggestions rather than every run's lines mixed."""

    title = "run"
    parameter_name = "run"
    ALL = "all"
    SHOWN = 30  # the runs offered; an older one is reached by its id in the URL

    def lookups(self, request, model_admin):
        runs = ReplenishmentRun.objects.filter(finished_at__isnull=False).order_by("-created_at", "-pk")[: self.SHOWN]
        return [(str(run.pk), str(run) + (" (latest)" if index == 0 else "")) for index, run in enumerate(runs)] + [(self.ALL, "All runs")]

    def value(self):
        chosen = super().value()
        if chosen:
            return chosen
        latest = latest_run()
        return str(latest.pk) if latest else None

    def queryset(self, request, queryset):
        chosen = self.value()
        if chosen is None or chosen == self.ALL:
            return queryset
        return queryset.filter(run_id=int(chosen)) if chosen.isdigit() and len(chosen) < 19 else queryset.none()

    def choices(self, changelist):
        # No "All" entry on top: the default is the latest run, and "All runs" is the last lookup.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


@admin.register(SuggestionLine)
class SuggestionLineAdmin(admin.ModelAdmin):
    list_display = ("product", "location", "kind", "from_location", "supplier", "abc_class", "quantity", "status", "explanation",
                    "supplier_minimum", "purchase_order", "transfer", "run")
    list_filter = (RunFilter, "location", "supplier", "abc_class", "kind", "status")
    list_select_related = ("product", "location", "from_location", "supplier", "purchase_order", "transfer", "run")
    search_fields = ("product__sku", "product__name")
    actions = ("create_purchase_orders", "create_transfers", "dismiss_lines")
    change_list_template = "admin/reports/suggestionline/change_list.html"
    readonly_fields = [field.name for field in SuggestionLine._meta.fields] + ["explanation"]
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return suggestions_with_order_totals(super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        return False  # lines change only through accepting and dismissing

    def has_delete_permission(self, request, obj=None):
        return False

    def has_accept_permission(self, request):
        return request.user.has_perm(ACCEPT)

    @admin.display(description="Why")
    def explanation(self, obj):
        # Folded on the list (a row per line stays one line high), open on the line's own page.
        return format_html("<details><summary>the figures</summary>{}</details>", obj.explanation)

    @admin.display(description="Supplier's minimum")
    def supplier_minimum(self, obj):
        # For an open buy line: would the draft PO of this run's open lines for the same supplier and
        # location be below the supplier's minimum order? Flagged, never rounded up here.
        if obj.kind != SuggestionLine.Kind.BUY or obj.status != SuggestionLine.Status.OPEN or obj.supplier is None:
            return "—"
        shortfall = minimum_shortfall(obj.supplier, units=obj.order_units or 0, value=obj.order_value or 0)
        return format_html('<span class="suggestion-below-minimum">{}</span>', shortfall.note) if shortfall else "met"

    def get_urls(self):
        return [path("run/", self.admin_site.admin_view(require_POST(self.run_view)), name="reports_suggestionline_run"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        context = {
            "run_now_url": reverse("admin:reports_suggestionline_run") if request.user.has_perm(RUN) else None,
            "write_safety_stock_default": settings.OMS_REPLENISHMENT_WRITE_SAFETY_STOCK,
            "latest_run": latest_run(),
        }
        return super().changelist_view(request, {**context, **(extra_context or {})})

    def run_view(self, request):
        if not request.user.has_perm(RUN):
            raise PermissionDenied
        try:
            run = replenishment_run(actor=request.user, write_safety_stock=request.POST.get("write_safety_stock") == "1")
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, f"{run}: {run.buy_count} line(s) to buy, {run.transfer_count} to transfer"
                              + (f", safety stock written to {run.safety_stock_written} stock level(s)." if run.write_safety_stock else "."))
        return HttpResponseRedirect(reverse("admin:reports_suggestionline_changelist") + f"?run={latest_run().pk if latest_run() else ''}")

    def _accept(self, request, queryset, kind):
        if not self.has_accept_permission(request):
            raise PermissionDenied
        ids = list(queryset.filter(kind=kind).values_list("pk", flat=True))
        skipped = queryset.exclude(kind=kind).count()
        if not ids:
            self.message_user(request, f"None of the selected lines is a {kind} line; nothing was done.", messages.WARNING)
            return
        try:
            result = suggestions_accept(line_ids=ids, actor=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        for number, note in result.get("below_minimum", {}).items():
            self.message_user(request, f"{number}: {note} It stays a draft until you add to it or send it anyway.", messages.WARNING)
        made = result["purchase_orders"] if kind == SuggestionLine.Kind.BUY else result["transfers"]
        what = "draft purchase order(s)" if kind == SuggestionLine.Kind.BUY else "transfer(s)"
        self.message_user(request, f"{len(result['accepted'])} line(s) accepted: {what} {', '.join(made) or 'none'}"
                          + (f"; {len(result['already_accepted'])} already accepted" if result["already_accepted"] else "")
                          + (f"; {skipped} line(s) of the other kind left as they were" if skipped else "") + ".")

    @admin.action(description="Create draft purchase orders from the selected buy lines", permissions=["accept"])
    def create_purchase_orders(self, request, queryset):
        self._accept(request, queryset, SuggestionLine.Kind.BUY)

    @admin.action(description="Create transfers from the selected transfer lines", permissions=["accept"])
    def create_transfers(self, request, queryset):
        self._accept(request, queryset, SuggestionLine.Kind.TRANSFER)

    @admin.action(description="Dismiss the selected lines", permissions=["accept"])
    def dismiss_lines(self, request, queryset):
        if not self.has_accept_permission(request):
            raise PermissionDenied
        try:
            dismissed = suggestions_dismiss(line_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(request, f"{len(dismissed)} line(s) dismissed.")


@admin.register(ReplenishmentRun)
class ReplenishmentRunAdmin(admin.ModelAdmin):
    list_display = ("__str__", "actor_label", "line_count", "buy_count", "transfer_count", "write_safety_stock", "safety_stock_written",
                    "duration_seconds")
    readonly_fields = [field.name for field in ReplenishmentRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Operator console for stock: counters are read-only; receipts, adjustments and transfers go
through inventory services (admin_views), so every change lands on the ledger."""

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import F
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from oms.admin import ConfigAuditAdmin, ReadOnlyAdmin
from oms.admin_links import console_link, console_may_open

from . import admin_views
from . import admin_purchasing  # noqa: F401  (registers suppliers and purchase orders)
from .models import Bin, ChannelStockRule, Location, Product, StockLevel, StockMovement, Transfer, TransferLine
from .selectors import channel_pool_forget


@admin.register(Product)
class ProductAdmin(ConfigAuditAdmin, admin.ModelAdmin):
    list_display = ("sku", "name", "category", "gtin", "price", "currency", "weight_grams", "abc_class", "is_active")
    change_list_template = "admin/inventory/product/change_list.html"
    list_filter = ("is_active", "category", "currency", "abc_class")
    search_fields = ("sku", "name", "gtin")
    list_per_page = 100
    readonly_fields = ("created_at", "stock_link", "abc_class", "abc_classified_at")
    fieldsets = (
        (None, {"fields": ("sku", "name", "gtin", "category", "is_active", "is_returnable")}),
        ("Price", {"fields": (("price", "cost", "currency"),)}),
        ("Size", {"fields": ("weight_grams", ("length_mm", "width_mm", "height_mm"))}),
        (None, {"fields": ("created_at", "stock_link", ("abc_class", "abc_classified_at"))}),
    )

    def has_delete_permission(self, request, obj=None):
        return False  # orders and the ledger refer to products; deactivate instead

    @admin.display(description="Stock")
    def stock_link(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("admin:inventory_stocklevel_changelist") + f"?product__id__exact={obj.pk}"
        return format_html('<a href="{}">Stock per location</a>', url)


class BinInline(admin.TabularInline):
    model = Bin
    extra = 0
    fields = ("code", "zone", "aisle", "shelf", "position", "pick_sequence")


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "city", "country", "can_ship", "can_pick_up", "priority", "is_active")
    list_filter = ("kind", "is_active", "can_ship", "country")
    search_fields = ("code", "name", "city")
    inlines = (BinInline,)
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "is_active")}),
        ("Address", {"fields": ("line1", "line2", ("postal_code", "city"), "region", "country", ("latitude", "longitude"))}),
        ("Routing", {"fields": ("can_ship", "can_pick_up", "priority", "daily_order_capacity")}),
    )

    def has_delete_permission(self, request, obj=None):
        return False  # stock and its ledger refer to locations; deactivate instead

    # The API's ETag is the version: a console edit must make an integration's earlier read stale.
    def save_model(self, request, obj, form, change):
        if change and form.has_changed():
            obj.version += 1
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for bin_form in formset.forms:
            if bin_form.instance.pk and bin_form.has_changed():
                bin_form.instance.version += 1
        super().save_formset(request, form, formset, change)


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    class Media:
        css = {"all": ("inventory/admin.css",)}

    list_display = ("sku", "product_name", "location", "bin", "on_hand", "reserved", "incoming", "damaged", "safety_stock", "available_display")
    list_filter = ("location", "location__kind")
    search_fields = ("product__sku", "product__name")
    search_help_text = "SKU or product name."
    list_select_related = ("product", "location", "bin")
    list_per_page = 100
    ordering = ("product__sku", "location__priority", "location__code")
    readonly_fields = ("product", "location", "bin", "on_hand", "reserved", "incoming", "damaged", "safety_stock", "available_display", "updated_at", "movements_link")
    fields = readonly_fields
    change_list_template = "admin/inventory/stocklevel/change_list.html"

    def get_queryset(self, request):
        available = F("on_hand") - F("reserved") - F("damaged") - F("safety_stock")
        return super().get_queryset(request).annotate(available_units=available)

    # Read-only: counters change only through the services behind "Receive stock", "Adjust stock"
    # and the quarantine form (quarantine, release, scrap).

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("receive/", wrap(lambda request: admin_views.stock_receive_view(request, self)), name="inventory_stocklevel_receive"),
            path("adjust/", wrap(lambda request: admin_views.stock_adjust_view(request, self)), name="inventory_stocklevel_adjust"),
            path("quarantine/", wrap(lambda request: admin_views.stock_quarantine_view(request, self)), name="inventory_stocklevel_quarantine"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_receive": request.user.has_perm("inventory.receive_stock"),
            "can_adjust": request.user.has_perm("inventory.adjust_stock"),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="SKU", ordering="product__sku")
    def sku(self, obj):
        return obj.product.sku

    @admin.display(description="Product", ordering="product__name")
    def product_name(self, obj):
        return obj.product.name

    @admin.display(description="Available", ordering="available_units")
    def available_display(self, obj):
        return obj.available

    def get_list_display(self, request):
        can_receive, can_adjust = request.user.has_perm("inventory.receive_stock"), request.user.has_perm("inventory.adjust_stock")
        can_read_ledger = console_may_open("admin:inventory_stockmovement_changelist", request)

        @admin.display(description="")
        def shortcuts(obj):
            # Links to the ledger and, for those allowed, to the forms prefilled for this row.
            query = urlencode({"sku": obj.product.sku, "location": obj.location.code})
            links = []
            if can_read_ledger:
                links.append(format_html('<a href="{}?{}">ledger</a>', reverse("admin:inventory_stockmovement_changelist"),
                                         urlencode({"product__id__exact": obj.product_id, "location__id__exact": obj.location_id})))
            if can_receive:
                links.append(format_html('<a href="{}?{}">receive</a>', reverse("admin:inventory_stocklevel_receive"), query))
            if can_adjust:
                links.append(format_html('<a href="{}?{}">adjust</a>', reverse("admin:inventory_stocklevel_adjust"), query))
                quarantine = reverse("admin:inventory_stocklevel_quarantine")
                links.append(format_html('<a href="{}?{}&amp;step=quarantine">quarantine…</a>', quarantine, query))
                if obj.damaged:
                    links.append(format_html('<a href="{}?{}&amp;step=release">release from quarantine…</a>', quarantine, query))
                    links.append(format_html('<a href="{}?{}&amp;step=scrap">scrap quarantined…</a>', quarantine, query))
            return format_html_join(" · ", "{}", ((link,) for link in links))

        return (*self.list_display, shortcuts)

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "product__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="Ledger")
    def movements_link(self, obj):
        return console_link(
            "admin:inventory_stockmovement_changelist", text=f"Movements of {obj.product.sku} at {obj.location.code}",
            query={"product__id__exact": obj.product_id, "location__id__exact": obj.location_id},
        )


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    class Media:
        css = {"all": ("inventory/admin.css",)}

    """The ledger is append-only: it can be read here, never changed."""

    list_display = ("created_at", "kind", "sku", "location", "on_hand_delta", "reserved_delta", "incoming_delta", "damaged_delta", "safety_stock_delta", "reference", "reason", "actor_label")
    list_filter = ("kind", "location", "created_at")
    search_fields = ("product__sku", "reference")
    search_help_text = "SKU or reference (order number, transfer, delivery note)."
    list_select_related = ("product", "location")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False

    # Not a list filter (it would list every SKU), but links from a stock row narrow by product.
    def lookup_allowed(self, lookup, value, request=None):
        return lookup in ("product__id__exact", "location__id__exact") or super().lookup_allowed(lookup, value, request)

    @admin.display(description="SKU", ordering="product__sku")
    def sku(self, obj):
        return obj.product.sku


class TransferLineInline(admin.TabularInline):
    """Lines can be edited while the transfer is a draft; once dispatched they are history."""

    model = TransferLine
    extra = 0
    fields = ("product", "quantity", "quantity_received")
    readonly_fields = ("quantity_received",)
    autocomplete_fields = ("product",)

    def _is_draft(self, obj) -> bool:
        return obj is not None and obj.status == Transfer.Status.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_delete_permission(request, obj)


TRANSFER_BUTTONS = {
    Transfer.Status.DRAFT: [("dispatch", "Dispatch"), ("cancel", "Cancel transfer")],
    Transfer.Status.IN_TRANSIT: [("receive", "Receive in full"), ("cancel", "Cancel transfer")],
}


@admin.register(Transfer)
class TransferAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "source", "destination", "reference", "created_at", "dispatched_at", "received_at")
    list_filter = ("status", "source", "destination")
    search_fields = ("number", "reference", "lines__product__sku")
    list_select_related = ("source", "destination")
    date_hierarchy = "created_at"
    inlines = (TransferLineInline,)
    actions = ("dispatch_transfers", "receive_transfers", "cancel_transfers")
    change_form_template = "admin/inventory/transfer/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        record = ("number", "status", "created_at", "created_by", "dispatched_at", "received_at")
        if obj is not None and obj.status != Transfer.Status.DRAFT:
            return ("source", "destination", "reference", *record)
        return record

    def get_fields(self, request, obj=None):
        return ("number", "status", "source", "destination", "reference", "created_by", "created_at", "dispatched_at", "received_at")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != Transfer.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return admin_views.transfer_add_view(request, self)

    def get_urls(self):
        return [
            path("<path:object_id>/<str:action>/run/", self.admin_site.admin_view(admin_views.transfer_action_view), name="inventory_transfer_action"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        transfer = self.get_object(request, object_id)
        buttons = []
        if transfer is not None and request.user.has_perm("inventory.change_transfer"):
            buttons = [(label, reverse("admin:inventory_transfer_action", args=[transfer.pk, action])) for action, label in TRANSFER_BUTTONS.get(transfer.status, [])]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "transfer_buttons": buttons})

    def _run_each(self, request, queryset, action):
        for transfer in queryset.order_by("pk"):
            admin_views.transfer_action_run(request, transfer, action)

    @admin.action(description="Dispatch selected transfers", permissions=["change"])
    def dispatch_transfers(self, request, queryset):
        self._run_each(request, queryset, "dispatch")

    @admin.action(description="Receive selected transfers in full", permissions=["change"])
    def receive_transfers(self, request, queryset):
        self._run_each(request, queryset, "receive")

    @admin.action(description="Cancel selected transfers", permissions=["change"])
    def cancel_transfers(self, request, queryset):
        self._run_each(request, queryset, "cancel")


@admin.register(ChannelStockRule)
class ChannelStockRuleAdmin(ConfigAuditAdmin, admin.ModelAdmin):
    list_display = ("channel_code", "location_list", "buffer_units", "share_percent", "updated_at")
    search_fields = ("channel_code",)
    filter_horizontal = ("locations",)
    readonly_fields = ("updated_at",)
    fields = ("channel_code", "locations", ("buffer_units", "share_percent"), "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("locations")

    # Processes keep a copy of the rules: this one forgets it at once; intake elsewhere sees the
    # change by the rules' version at its next order, other readers within OMS_CHANNEL_RULES_MAX_AGE.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        channel_pool_forget()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        channel_pool_forget()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        channel_pool_forget()

    @admin.display(description="Locations")
    def location_list(self, obj):
        return ", ".join(location.code for location in obj.locations.all()) or "every shipping location"


from . import admin_counts  # noqa: E402,F401  (registers the cycle count pages)

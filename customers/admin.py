"""Operator console for customers, their groups and price lists."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from oms.admin import ReadOnlyAdmin, ReadOnlyInline
from oms.admin_links import console_link
from oms.masking import PersonalDataMaskingMixin
from oms.money import money_text

from .admin_data_requests import personal_data_erase_view, personal_data_export_view, personal_data_urls
from .models import CatalogueRule, Customer, CustomerAddress, CustomerGroup, PriceList, PriceListItem, StoreCreditAccount, StoreCreditEntry


class CustomerAddressInline(admin.StackedInline):
    model = CustomerAddress
    extra = 0
    fields = (("kind", "label", "is_default_shipping", "is_default_billing"), ("name", "company"), "line1", "line2", ("postal_code", "city"), "region", "country", "phone")


@admin.register(Customer)
class CustomerAdmin(PersonalDataMaskingMixin, admin.ModelAdmin):
    list_display = ("email", "display_name", "kind", "phone", "group", "created_at")
    change_list_template = "admin/customers/customer/change_list.html"
    list_filter = ("kind", "group", "email_opt_in", "sms_opt_in", ("email_bounced_at", admin.EmptyFieldListFilter), "language", "created_at")
    search_fields = ("email", "first_name", "last_name", "company_name", "phone", "vat_number", "external_id")
    list_select_related = ("group",)
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = ("created_at", "erased_at", "orders_link")
    inlines = (CustomerAddressInline,)
    fieldsets = (
        (None, {"fields": ("kind", "email", ("first_name", "last_name"), ("company_name", "vat_number"), "phone", "group", "external_id")}),
        ("Ordering", {
            "fields": ("po_reference_required",),
            "description": "A purchase-order reference is required when this box or the group's is on (portal and API refuse an order without one).",
        }),
        ("Notifications", {
            "fields": ("email_opt_in", "sms_opt_in", "language", ("email_bounced_at", "email_bounce_reason")),
            "description": "An address the e-mail provider reported as bouncing gets no e-mail; clear the bounce once the address is fixed.",
        }),
        (None, {"fields": ("created_at", "erased_at", "orders_link")}),
    )

    change_form_template = "admin/customers/customer/change_form.html"

    def has_delete_permission(self, request, obj=None):
        return False  # orders refer to customers; a customer's data is erased instead (Erase personal data)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = dict(extra_context or {})
        if object_id and str(object_id).isdigit():
            context.update(personal_data_urls(int(object_id), request.user))
            if request.user.has_perm("orders.view_invoice"):
                try:
                    # customers sits below orders: the statement (orders' page) is linked by URL name.
                    context["statement_url"] = reverse("admin:orders_customer_statement", args=[int(object_id)])
                except NoReverseMatch:
                    pass
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_urls(self):
        from django.urls import path

        def view(function):
            return self.admin_site.admin_view(lambda request, object_id: function(request, object_id, model_admin=self))

        return [
            path("<int:object_id>/personal-data/export/", view(personal_data_export_view), name="customers_customer_personal_data_export"),
            path("<int:object_id>/personal-data/erase/", view(personal_data_erase_view), name="customers_customer_personal_data_erase"),
            *super().get_urls(),
        ]

    @admin.display(description="Name", ordering="last_name")
    def display_name(self, obj):
        return obj.display_name

    @admin.display(description="Orders")
    def orders_link(self, obj):
        if obj.pk is None:
            return "—"
        try:
            # customers sits below orders, so it links by URL name rather than importing it.
            return console_link("admin:orders_order_changelist", text="Orders of this customer", query={"customer__id__exact": obj.pk})
        except NoReverseMatch:
            return "—"


class CatalogueRuleInline(admin.TabularInline):
    """What the group may buy, and in what quantities."""

    model = CatalogueRule
    extra = 1
    fields = ("sku", "category", "allowed", "min_quantity", "case_pack", "on_mismatch")


@admin.register(CustomerGroup)
class CustomerGroupAdmin(admin.ModelAdmin):
    list_display = (
        "code", "name", "credit_limit", "credit_currency", "payment_terms_days", "payment_terms_basis", "catalogue_restricted", "po_reference_required",
    )
    search_fields = ("code", "name")
    inlines = (CatalogueRuleInline,)


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    extra = 1
    fields = ("sku", "min_quantity", "price")


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    """Contract prices: per group or per customer, per currency, dated, with quantity breaks."""

    list_display = ("code", "name", "currency", "customer_group", "customer", "valid_from", "valid_until")
    list_filter = ("currency", "customer_group")
    list_select_related = ("customer_group", "customer")
    search_fields = ("code", "name", "items__sku", "customer__email", "customer__company_name")
    autocomplete_fields = ("customer",)
    fields = ("code", "name", "currency", "customer_group", "customer", ("valid_from", "valid_until"))
    inlines = (PriceListItemInline,)


class StoreCreditEntryInline(ReadOnlyInline):
    """The account's ledger, oldest first: every credit and spend with the balance it left."""

    model = StoreCreditEntry
    fields = readonly_fields = ("created_at", "kind", "amount", "balance_after", "reference", "note", "actor_label")
    ordering = ("id",)


@admin.register(StoreCreditAccount)
class StoreCreditAccountAdmin(ReadOnlyAdmin):
    """Store credit balances: changed only by refunds and orders through the services."""

    list_display = ("customer", "currency", "balance_text", "updated_at")
    list_filter = ("currency",)
    search_fields = ("customer__email", "customer__last_name")
    list_select_related = ("customer",)
    show_full_result_count = False
    fields = readonly_fields = ("customer", "currency", "balance_text", "created_at", "updated_at")
    inlines = (StoreCreditEntryInline,)

    @admin.display(description="Balance", ordering="balance")
    def balance_text(self, account):
        return money_text(account.balance, account.currency)

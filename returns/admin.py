"""Operator console for returns: the RMA queue, the RMA page with its lines, timeline and the
actions this user's role may take, and the policy and reasons. Every change goes through
``returns.services`` (see admin_views)."""

from datetime import timedelta

from django.contrib import admin
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from inventory.models import Location
from oms.admin import AuditTrailInline, ConfigAuditAdmin, ReadOnlyAdmin, ReadOnlyInline
from oms.masking import PersonalDataMaskingMixin
from oms.money import money_text

from . import admin_dock, admin_documents, admin_views
from .documents import NOT_PRINTABLE
from .models import Refund, ReturnEvent, ReturnLine, ReturnPolicy, ReturnReason, ReturnRequest


class ReasonFilter(admin.SimpleListFilter):
    title = "reason"
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return list(ReturnReason.objects.values_list("code", "label"))

    def queryset(self, request, queryset):
        return queryset.filter(lines__reason__code=self.value()).distinct() if self.value() else queryset


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs a person"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(needs_attention="")
        if self.value() == "no":
            return queryset.filter(needs_attention="")
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "older_than"
    DAYS = {"1": 1, "3": 3, "7": 7, "14": 14, "30": 30}

    def lookups(self, request, model_admin):
        return [(key, f"Older than {days} day{'s' if days > 1 else ''}") for key, days in self.DAYS.items()]

    def queryset(self, request, queryset):
        days = self.DAYS.get(self.value() or "")
        return queryset.filter(created_at__lt=timezone.now() - timedelta(days=days)) if days else queryset


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = readonly_fields = (
        "line_number", "sku", "quantity", "reason", "reason_text", "quantity_received", "quantity_missing", "quantity_accepted",
        "condition", "disposition", "inspection_note", "exchange_product", "exchange_quantity",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line", "reason", "exchange_product")

    @admin.display(description="Line")
    def line_number(self, line):
        return line.order_line.line_number

    @admin.display(description="SKU")
    def sku(self, line):
        return line.order_line.sku


class RefundInline(ReadOnlyInline):
    """Money given back for the return: what, how, and what the provider said."""

    model = Refund
    fields = readonly_fields = ("id", "status", "money", "settled", "method", "provider", "provider_reason", "override_reason", "attempts",
                                "created_at")
    ordering = ("id",)

    @admin.display(description="amount")
    def money(self, refund):
        return money_text(refund.amount, refund.currency)

    @admin.display(description="settled as")
    def settled(self, refund):
        return refund.settled_text() or "—"


class ReturnEventInline(AuditTrailInline):
    model = ReturnEvent


@admin.register(ReturnRequest)
class ReturnRequestAdmin(PersonalDataMaskingMixin, admin.ModelAdmin):
    list_display = ("number", "status", "order_link", "channel", "resolution", "attention", "age")
    list_filter = ("status", AgeFilter, ReasonFilter, ("order__channel", admin.RelatedOnlyFieldListFilter), "resolution", NeedsAttentionFilter,
                   ("location", admin.RelatedOnlyFieldListFilter), "created_at")
    actions = ("approve_returns", "print_slips_with_labels")
    search_fields = ("number", "order__number", "=lines__order_line__sku")
    search_help_text = "RMA number, order number or an exact SKU."
    list_per_page = 50
    show_full_result_count = False
    date_hierarchy = "created_at"
    inlines = (ReturnLineInline, RefundInline, ReturnEventInline)
    readonly_fields = (
        "number", "status", "order_link", "resolution", "customer_comment", "needs_attention", "decision_note", "unexpected_items",
        "location", "shipment", "label_paid_by", "label_price", "exchange_order", "exchange_balance_text", "created_at", "approved_at",
        "expires_at", "received_at", "inspected_at", "closed_at", "version",
    )
    fieldsets = (
        (None, {"fields": (("number", "status"), ("order_link", "resolution"), "customer_comment", "needs_attention", "decision_note")}),
        ("The parcel", {"fields": (("location", "shipment"), ("label_paid_by", "label_price"), "unexpected_items")}),
        ("Exchange", {"fields": (("exchange_order", "exchange_balance_text"),)}),
        ("Record", {"fields": (("created_at", "approved_at", "expires_at"), ("received_at", "inspected_at", "closed_at"), "version")}),
    )
    change_form_template = "admin/returns/returnrequest/change_form.html"
    change_list_template = "admin/returns/returnrequest/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "order__channel", "location", "shipment", "exchange_order")

    @admin.display(description="label cost")
    def label_price(self, obj):
        return money_text(obj.label_cost, obj.label_currency) if obj.label_currency else "-"

    @admin.display(description="exchange balance")
    def exchange_balance_text(self, obj):
        """Positive: the customer pays the difference; negative: it is refunded."""
        if obj.exchange_balance is None:
            return "-"
        if obj.exchange_balance > 0:
            return f"{money_text(obj.exchange_balance, obj.order.currency)} for the customer to pay"
        if obj.exchange_balance < 0:
            return f"{money_text(-obj.exchange_balance, obj.order.currency)} refunded to the customer"
        return "even"

    # Returns change only through the action buttons, never by editing a form.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("dock/", wrap(lambda request: admin_dock.return_dock_view(request, self)), name="returns_returnrequest_dock"),
            path("<path:object_id>/inspect/", wrap(lambda request, object_id: admin_dock.return_inspect_view(request, object_id, self)),
                 name="returns_returnrequest_inspect"),
            path("<path:object_id>/slip/", wrap(admin_documents.return_slip_view), name="returns_returnrequest_slip"),
            path("<path:object_id>/action/<str:action_name>/", wrap(admin_views.return_action_view), name="returns_returnrequest_action"),
            *super().get_urls(),
        ]

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]), obj.order.number)

    @admin.display(description="Channel", ordering="order__channel__code")
    def channel(self, obj):
        return obj.order.channel.code

    @admin.display(boolean=True, description="Needs a person")
    def attention(self, obj):
        return bool(obj.needs_attention)

    @admin.display(description="Age", ordering="created_at")
    def age(self, obj):
        return timesince(obj.created_at, timezone.now()).split(",")[0]

    def has_approve_permission(self, request):
        return request.user.has_perm("returns.approve_return")

    @admin.action(description="Approve selected returns", permissions=["approve"])
    def approve_returns(self, request, queryset):
        admin_views.returns_bulk_approve(request, queryset.order_by("created_at", "id"))

    @admin.action(description="Print slip + label", permissions=["view"])
    def print_slips_with_labels(self, request, queryset):
        return admin_documents.returns_slips_with_labels(request, queryset.order_by("created_at", "id"))

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if request.user.has_perm(admin_dock.RECEIVE):
            extra_context["dock_url"] = reverse("admin:returns_returnrequest_dock")
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rma = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if rma is not None:
            available = admin_views.return_actions_available(rma, request.user)
            urls = {name: reverse("admin:returns_returnrequest_action", args=[rma.pk, name]) for name in available}
            lines = list(rma.lines.select_related("order_line").order_by("id"))
            extra_context.update(
                action_urls=urls,
                rma_lines=lines,
                locations=list(Location.objects.filter(is_active=True).values_list("code", "name")) if "receive" in urls else [],
                inspect_url=reverse("admin:returns_returnrequest_inspect", args=[rma.pk]) if "inspect" in urls else "",
                dock_url=f"{reverse('admin:returns_returnrequest_dock')}?rma={rma.number}" if "receive" in urls else "",
                slip_url="" if rma.status in NOT_PRINTABLE else reverse("admin:returns_returnrequest_slip", args=[rma.pk]),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Every refund (of returns and of orders): what finance reconciles with the payment
    providers. Refunds are made and retried from the return's page, never here."""

    list_display = ("id", "order_link", "request_link", "status", "money", "method", "provider", "provider_refund_id", "created_at", "succeeded_at")
    list_filter = ("status", "method", "provider", "currency")
    list_select_related = ("order", "request")
    search_fields = ("order__number", "request__number", "provider_refund_id")
    date_hierarchy = "created_at"
    readonly_fields = (
        "order", "request", "status", "amount", "currency", "settled", "computed_amount", "override_reason", "method", "provider",
        "provider_refund_id", "provider_reason", "attempts", "actor_label", "created_at", "succeeded_at", "failed_at",
    )
    fields = readonly_fields

    @admin.display(description="settled as")
    def settled(self, refund):
        return refund.settled_text() or "—"

    @admin.display(description="order", ordering="order__number")
    def order_link(self, refund):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[refund.order_id]), refund.order)

    @admin.display(description="return", ordering="request__number")
    def request_link(self, refund):
        if refund.request_id is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:returns_returnrequest_change", args=[refund.request_id]), refund.request.number)

    @admin.display(description="amount", ordering="amount")
    def money(self, refund):
        return money_text(refund.amount, refund.currency)


@admin.register(ReturnReason)
class ReturnReasonAdmin(ConfigAuditAdmin, admin.ModelAdmin):
    list_display = ("code", "label", "needs_text", "restocking_fee_percent", "restocking_fee_fixed", "shipping_paid_by", "is_active", "position")
    list_editable = ("position",)

    def has_delete_permission(self, request, obj=None):
        # Returns name their reasons: retire one by switching it off.
        return False


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(ConfigAuditAdmin, admin.ModelAdmin):
    list_display = ("name", "channel", "window_days", "auto_approve", "advance_exchange", "refund_timing", "rma_expiry_days")

"""The console's view of what the OMS passes back to the channels: every shipment, delivery and
cancellation sent (or refused, with the platform's reason, and sent again by whoever may), the
cancellations made on a platform after the OMS shipped that wait for a person, and the order
page's "Channel" panel showing both for one order."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from oms.admin import ReadOnlyAdmin
from oms.errors import DomainError

from .models import ChannelFulfillmentSync, Order, PlatformCancellation
from .services.channel_fulfillment import channel_fulfillment_retry, platform_cancellation_handle


def _order_link(order: Order) -> str:
    return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[order.pk]), order)


@admin.register(ChannelFulfillmentSync)
class ChannelFulfillmentSyncAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "order_link", "fulfillment_ref", "action", "status", "attempts", "next_attempt_at", "platform_id",
                    "last_error")
    list_filter = ("status", "action", "channel")
    list_select_related = ("channel", "order")
    search_fields = ("order__number", "order__external_id", "fulfillment_ref", "platform_id", "last_error")
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ("send_again",)

    def has_retry_permission(self, request):
        return request.user.has_perm("orders.retry_channelfulfillmentsync")

    @admin.display(description="Order", ordering="order")
    def order_link(self, obj):
        return _order_link(obj.order)

    @admin.action(description="Send again (refused or waiting ones)", permissions=["retry"])
    def send_again(self, request, queryset):
        sent = 0
        for sync_id in queryset.exclude(status=ChannelFulfillmentSync.Status.SENT).values_list("pk", flat=True):
            try:
                channel_fulfillment_retry(sync_id=sync_id, actor=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                sent += 1
        skipped = queryset.filter(status=ChannelFulfillmentSync.Status.SENT).count()
        self.message_user(
            request, f"{sent} sent again." + (f" {skipped} already sent: not sent twice." if skipped else ""),
            messages.SUCCESS if sent else messages.WARNING,
        )


@admin.register(PlatformCancellation)
class PlatformCancellationAdmin(admin.ModelAdmin):
    """The work queue "Cancelled on the platform after shipping": a person writes what was decided
    (refund, return requested, customer told), which marks it handled."""

    list_display = ("received_at", "order_link", "channel", "order_status", "reason", "handled_at", "handled_by", "resolution")
    list_filter = (("handled_at", admin.EmptyFieldListFilter), "channel")
    list_select_related = ("channel", "order")
    search_fields = ("order__number", "order__external_id", "reason")
    fields = ("order_link", "channel", "order_status", "reason", "received_at", "handled_at", "handled_by", "resolution")
    readonly_fields = ("order_link", "channel", "order_status", "reason", "received_at", "handled_at", "handled_by")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        may = request.user.has_perm("orders.handle_platformcancellation")
        return may and (obj is None or obj.handled_at is None)

    @admin.display(description="Order")
    def order_link(self, obj):
        return _order_link(obj.order)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "resolution" in form.base_fields:
            form.base_fields["resolution"].required = True
            form.base_fields["resolution"].help_text = "What was decided (e.g. refunded on the platform, return requested). Saving marks it handled."
        return form

    def save_model(self, request, obj, form, change):
        try:
            platform_cancellation_handle(cancellation_id=obj.pk, resolution=form.cleaned_data["resolution"], actor=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)

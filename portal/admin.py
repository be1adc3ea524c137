from django.contrib import admin, messages
from django.urls import path, reverse

from oms.admin import ReadOnlyAdmin
from oms.admin_links import console_link
from oms.errors import DomainError

from . import admin_views
from .models import ChannelBranding, Notification, NotificationStatus, NotificationTemplateOverride
from .notifications.log import notifications_resend


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "medium", "recipient", "order_link", "channel", "status", "attempts", "subject")
    list_filter = ("status", "kind", "medium", "channel")
    search_fields = ("recipient", "order__number", "=provider_message_id")
    list_select_related = ("order", "channel")
    readonly_fields = (
        "event_name", "event_uuid", "cause", "kind", "medium", "recipient", "customer_link", "order_link", "channel", "template",
        "language", "subject", "status", "message_id", "provider_message_id", "attempts", "last_error", "lease_until",
        "next_attempt_at", "created_at", "sent_at", "status_changed_at",
    )
    fields = readonly_fields
    actions = ["resend"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("context")

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, obj):
        return console_link("admin:orders_order_change", obj.order_id, text=obj.order.number) if obj.order_id else "—"

    @admin.display(description="Customer")
    def customer_link(self, obj):
        return console_link("admin:customers_customer_change", obj.customer_id, text=obj.recipient) if obj.customer_id else "—"

    def has_resend_permission(self, request):
        return request.user.has_perm("portal.resend_notification")

    @admin.action(description="Send the selected failed messages again (same Message-ID)", permissions=["resend"])
    def resend(self, request, queryset):
        ids = list(queryset.filter(status=NotificationStatus.FAILED).values_list("pk", flat=True))
        skipped = queryset.exclude(status=NotificationStatus.FAILED).count()
        if ids:
            try:
                count = notifications_resend(notification_ids=ids, actor=request.user)
                self.message_user(request, f"Sending {count} message(s) again.", messages.SUCCESS)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
        if skipped:
            self.message_user(request, f"{skipped} selected message(s) were not failed and were left alone.", messages.WARNING)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(admin_views.notification_preview_view), name="portal_notification_preview"),
            path("preview/html/", wrap(admin_views.notification_preview_html_view), name="portal_notification_preview_html"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if request.user.has_perm(admin_views.PREVIEW_PERMISSION):
            extra_context["preview_url"] = reverse("admin:portal_notification_preview")
        return super().changelist_view(request, extra_context)


@admin.register(ChannelBranding)
class ChannelBrandingAdmin(admin.ModelAdmin):
    list_display = ("shop_name", "channel", "sender_email", "primary_colour", "accent_colour")
    list_select_related = ("channel",)
    fieldsets = (
        (None, {"fields": ("channel", "shop_name", "logo_url", ("primary_colour", "accent_colour"))}),
        ("Sender", {"fields": ("sender_name", "sender_email", "reply_to")}),
        (None, {"fields": ("footer_text",)}),
    )


@admin.register(NotificationTemplateOverride)
class NotificationTemplateOverrideAdmin(admin.ModelAdmin):
    list_display = ("channel", "kind", "language", "subject", "active", "updated_at")
    list_filter = ("channel", "kind", "language", "active")
    list_select_related = ("channel",)
    fields = ("channel", "kind", "language", "active", "subject", "html_body", "text_body")

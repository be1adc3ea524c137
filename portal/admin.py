from django import forms
from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html

from oms.admin import ReadOnlyAdmin
from oms.admin_links import console_link
from oms.errors import DomainError, InvalidInput

from . import admin_views
from .branding import logo_fields, logo_path
from .models import LOGO_MAX_BYTES, ChannelBranding, Notification, NotificationStatus, NotificationTemplateOverride
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


class ChannelBrandingForm(forms.ModelForm):
    """The branding with its logo: a file to upload (checked by its first bytes and size) or the
    current one removed."""

    logo_upload = forms.FileField(
        required=False, label="Upload a logo",
        help_text=f"PNG, JPEG or GIF, at most {LOGO_MAX_BYTES // 1024} KB. Used in messages instead of the logo address.",
    )
    logo_remove = forms.BooleanField(required=False, label="Remove the uploaded logo")

    class Meta:
        model = ChannelBranding
        fields = ("channel", "shop_name", "logo_url", "primary_colour", "accent_colour", "sender_name", "sender_email", "reply_to", "footer_text")

    def clean_logo_upload(self):
        upload = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:  # before reading it
            raise forms.ValidationError(f"The logo is {upload.size // 1024} KB; at most {LOGO_MAX_BYTES // 1024} KB.")
        try:
            return logo_fields(upload.read())
        except InvalidInput as refused:
            raise forms.ValidationError(refused.message) from refused

    def save(self, commit=True):
        branding = super().save(commit=False)
        chosen = self.cleaned_data.get("logo_upload")
        if chosen:
            values = chosen
        elif self.cleaned_data.get("logo_remove"):
            values = logo_fields(None)
        else:
            values = {}
        for name, value in values.items():
            setattr(branding, name, value)
        if commit:
            branding.save()
        return branding


@admin.register(ChannelBranding)
class ChannelBrandingAdmin(admin.ModelAdmin):
    form = ChannelBrandingForm
    list_display = ("shop_name", "channel", "sender_email", "primary_colour", "accent_colour", "has_logo")
    list_select_related = ("channel",)
    readonly_fields = ("logo_preview",)
    fieldsets = (
        (None, {"fields": ("channel", "shop_name", ("primary_colour", "accent_colour"))}),
        ("Logo", {"fields": ("logo_preview", "logo_upload", "logo_remove", "logo_url")}),
        ("Sender", {"fields": ("sender_name", "sender_email", "reply_to")}),
        (None, {"fields": ("footer_text",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("logo")

    @admin.display(description="Uploaded logo", boolean=True)
    def has_logo(self, obj):
        return bool(obj.logo_digest)

    @admin.display(description="Current logo")
    def logo_preview(self, obj):
        if obj is None or not obj.logo_digest:
            return "No uploaded logo" + (" (messages use the logo address)" if obj is not None and obj.logo_url else "")
        return format_html(
            '<img class="brand-logo" src="{}" alt="{}" height="48"> <a href="{}">{}</a>',
            logo_path(obj.channel.code, obj.logo_digest, obj.logo_content_type), f"Logo of {obj.shop_name}",
            logo_path(obj.channel.code, obj.logo_digest, obj.logo_content_type), obj.logo_content_type,
        )


@admin.register(NotificationTemplateOverride)
class NotificationTemplateOverrideAdmin(admin.ModelAdmin):
    list_display = ("channel", "kind", "language", "subject", "active", "updated_at")
    list_filter = ("channel", "kind", "language", "active")
    list_select_related = ("channel",)
    fields = ("channel", "kind", "language", "active", "subject", "html_body", "text_body")


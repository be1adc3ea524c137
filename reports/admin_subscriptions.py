"""Report subscriptions in the console: each person manages their own (who gets which dashboard,
how often, from which hour); a superuser sees everyone's."""

from django.contrib import admin

from .models import ReportSubscription


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("dashboard", "frequency", "weekday", "hour", "user", "active", "last_period_end", "last_sent_at", "last_error")
    list_filter = ("dashboard", "frequency", "active")
    list_select_related = ("user",)
    fields = ("dashboard", "frequency", "weekday", "hour", "active", "last_period_end", "last_sent_at", "last_error")
    readonly_fields = ("last_period_end", "last_sent_at", "last_error")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def has_add_permission(self, request):
        # Subscribing only makes sense to someone who may read the reports.
        return super().has_add_permission(request) and request.user.has_perm("reports.view_reports")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.user = request.user
        if obj.active:
            obj.last_error = ""  # switched back on: the reason it stopped is history
        super().save_model(request, obj, form, change)


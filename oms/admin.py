"""Operator console: the kernel's models, and the helpers every app's admin shares."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from .api.authentication import api_key_forget
from .errors import DomainError
from .models import API_SCOPES, ApiKey, DomainEvent


def form_add_domain_error(form: forms.BaseForm, error: DomainError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form that caused it.

    ``error.fields`` names fields the way the service sees them; ``field_map`` translates those
    paths to form field names where they differ. Whatever cannot be placed on a field becomes
    a form-wide error, so nothing the service said is lost.
    """
    field_map = field_map or {}
    if not error.fields:
        form.add_error(None, error.message)
    for path, problems in error.fields.items():
        name = field_map.get(path, path)
        for problem in problems:
            if name in form.fields:
                form.add_error(name, problem)
            else:
                form.add_error(None, f"{path.replace('_', ' ').capitalize()}: {problem}")


class ReadOnlyMixin:
    """Records nobody edits by hand (audit trails, ledgers, outboxes, counters that only services
    change): they can be seen, never added, changed or deleted in the console."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "created_at", "dispatched_at", "attempts", "has_error")
    list_filter = ("name", ("dispatched_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name",)
    date_hierarchy = "created_at"
    readonly_fields = ("name", "payload_pretty", "created_at", "dispatched_at", "attempts", "last_error")
    fields = readonly_fields

    @admin.display(boolean=True, description="Error")
    def has_error(self, obj):
        return bool(obj.last_error)

    @admin.display(description="Payload")
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True, default=str))


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=API_SCOPES, required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked means every scope."
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes", "is_active")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "scope_list", "is_active", "created_at", "created_by", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix")
    list_select_related = ("created_by",)
    readonly_fields = ("prefix", "hashed_key", "created_at", "created_by", "last_used_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "scopes", "is_active")
        return ("name", "scopes", "is_active", *self.readonly_fields)

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes) or "all"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            api_key_forget(obj.prefix)  # a revocation applies at once in this process
            return
        # The raw key exists only in this response: it is never stored, so it is shown once.
        key, raw_key = ApiKey.generate(name=obj.name, scopes=obj.scopes, created_by=request.user)
        if not obj.is_active:
            ApiKey.objects.filter(pk=key.pk).update(is_active=False)
        obj.pk, obj.prefix, obj.hashed_key, obj.created_by = key.pk, key.prefix, key.hashed_key, key.created_by
        obj.created_at = key.created_at
        obj._state.adding = False
        messages.warning(
            request,
            format_html("API key for {}: <code>{}</code> Copy it now; it is not stored and will not be shown again.", key.name, raw_key),
        )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        api_key_forget(obj.prefix)

    def delete_queryset(self, request, queryset):
        prefixes = list(queryset.values_list("prefix", flat=True))
        super().delete_queryset(request, queryset)
        for prefix in prefixes:
            api_key_forget(prefix)


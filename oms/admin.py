"""Operator console: the kernel's models, and the helpers every app's admin shares."""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .admin_links import console_link
from .api.authentication import api_key_forget
from .config_audit import config_change_record, config_changes_between, config_history, config_values
from .documents import document_job_may_download, document_job_pdf
from .errors import DomainError, NotFound
from .models import (
    API_SCOPES,
    EVENT_PATTERN,
    ApiKey,
    ConfigChange,
    DocumentJob,
    DomainEvent,
    Integration,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from .webhooks import (
    webhook_delivery_redeliver,
    webhook_subscription_create,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
    webhook_subscription_validate,
    webhooks_forget,
)


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


class FormOnlyFieldsMixin:
    """For a ModelAdmin whose fieldsets name fields only its form declares (a new secret, a
    "clear" box): the form takes its fields from the form class. A user who may only view gets
    Django's view-only form, which needs the named fields to exclude them all."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not change or self.has_change_permission(request, obj):
            kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)


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


def _form_value(value):
    """A form's value as the audit trail keeps it: objects by primary key, lists of them sorted."""
    if hasattr(value, "__iter__") and not isinstance(value, (str, bytes, dict)):
        return sorted(getattr(item, "pk", item) for item in value)
    return getattr(value, "pk", value)


class ConfigAuditAdmin:
    """For configuration edited in the console: every save and delete leaves a
    :class:`~oms.models.ConfigChange` with the old and new value of each changed field and who
    made it (in the admin's own transaction), and the change page lists the object's changes."""

    def save_model(self, request, obj, form, change):
        before = config_values(type(obj)._default_manager.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        changes = config_changes_between(before, config_values(obj))
        for name in form.changed_data:  # many-to-many fields live only on the form
            field = form.fields[name]
            if name not in changes and hasattr(field, "queryset") and name not in before:
                old = _form_value(form.initial.get(name, [])) if change else None
                changes[name] = [old, _form_value(form.cleaned_data.get(name))]
        action = ConfigChange.Action.UPDATE if change else ConfigChange.Action.CREATE
        config_change_record(instance=obj, action=action, changes=changes, actor=request.user)

    def delete_model(self, request, obj):
        values = config_values(obj)
        config_change_record(instance=obj, action=ConfigChange.Action.DELETE, changes={k: [v, None] for k, v in values.items()}, actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "config_changes_display") if obj is not None else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, ("Changes", {"fields": ("config_changes_display",), "classes": ("collapse",)})]

    @admin.display(description="Recorded changes")
    def config_changes_display(self, obj):
        return config_changes_table(config_history(obj))


def config_changes_table(changes: list[ConfigChange]) -> str:
    """Changes as a table: when, who, what, and each field's old → new value."""
    if not changes:
        return "No change recorded yet."
    rows = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                change.at.strftime("%Y-%m-%d %H:%M"), change.actor_label or "system", change.get_action_display(),
                format_html_join(mark_safe("<br>"), "{}: {} → {}", ((name, old, new) for name, (old, new) in sorted(change.changes.items()))),
            )
            for change in changes
        ),
    )
    return format_html(
        '<table class="config-changes"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Old → new</th></tr></thead><tbody>{}</tbody></table>', rows
    )


@admin.register(ConfigChange)
class ConfigChangeAdmin(ReadOnlyAdmin):
    """Who changed which configuration, and how (Technical)."""

    list_display = ("at", "model", "object_repr", "action", "actor_label", "changed_fields")
    list_filter = ("model", "action", "at")
    search_fields = ("object_repr", "object_id", "actor_label")
    date_hierarchy = "at"
    fields = ("at", "model", "object_id", "object_repr", "action", "actor_label", "changes_display")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="Fields")
    def changed_fields(self, obj):
        return ", ".join(sorted(obj.changes))

    @admin.display(description="Old → new")
    def changes_display(self, obj):
        return config_changes_table([obj])


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class AuditTrailInline(ReadOnlyInline):
    """An object's audit trail (rows of an :class:`~oms.models.AuditRecord`) as its page's timeline."""

    verbose_name_plural = "timeline"
    fields = readonly_fields = ("created_at", "kind", "message", "from_status", "to_status", "actor_display")
    ordering = ("created_at", "id")

    @admin.display(description="By")
    def actor_display(self, event):
        return event.actor_label or "system"


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
        fields = ("name", "integration", "scopes", "is_active", "rate_limit_per_minute")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "integration", "scope_list", "is_active", "rate_limit_per_minute", "created_at", "last_used_at")
    list_filter = ("is_active", "integration")
    search_fields = ("name", "prefix")
    list_select_related = ("integration",)
    readonly_fields = ("prefix", "hashed_key", "created_at", "created_by", "last_used_at")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        editable = ("name", "integration", "scopes", "is_active", "rate_limit_per_minute")
        return editable if obj is None else (*editable, *self.readonly_fields)

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes) or "all"

    @admin.action(description="Revoke the selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        prefixes = list(queryset.filter(is_active=True).values_list("prefix", flat=True))
        ApiKey.objects.filter(prefix__in=prefixes).update(is_active=False)
        for prefix in prefixes:
            api_key_forget(prefix)  # at once in this process; elsewhere within OMS_API_KEY_CACHE_SECONDS
        self.message_user(request, f"Revoked {len(prefixes)} API key(s).", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            api_key_forget(obj.prefix)  # a revocation applies at once in this process
            return
        # The raw key exists only in this response: it is never stored, so it is shown once.
        key, raw_key = ApiKey.generate(name=obj.name, scopes=obj.scopes, created_by=request.user, integration=obj.integration)
        ApiKey.objects.filter(pk=key.pk).update(is_active=obj.is_active, rate_limit_per_minute=obj.rate_limit_per_minute)
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


# --- Integrations and webhooks -----------------------------------------------------------------


class ApiKeyInline(ReadOnlyInline):
    model = ApiKey
    fields = ("name", "prefix", "scopes", "is_active", "rate_limit_per_minute", "last_used_at")
    readonly_fields = fields
    show_change_link = True


class WebhookSubscriptionInline(ReadOnlyInline):
    model = WebhookSubscription
    fields = ("url", "events", "is_active", "description", "created_at")
    readonly_fields = fields
    show_change_link = True


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "is_active", "key_count", "subscription_count", "contact_email")
    list_filter = ("is_active", "kind")
    search_fields = ("name", "code", "contact_email")
    readonly_fields = ("created_at", "channel_list")
    fields = ("code", "name", "kind", "contact_email", "is_active", "created_at", "channel_list")
    inlines = [ApiKeyInline, WebhookSubscriptionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            keys=Count("api_keys", distinct=True), subscriptions=Count("webhook_subscriptions", distinct=True)
        )

    @admin.display(description="API keys", ordering="keys")
    def key_count(self, obj):
        return obj.keys

    @admin.display(description="Webhooks", ordering="subscriptions")
    def subscription_count(self, obj):
        return obj.subscriptions

    @admin.display(description="Channels")
    def channel_list(self, obj):
        # Channels live in a higher layer (orders); they are reached through the reverse relation.
        channels = list(obj.channels.order_by("code")) if obj.pk else []
        if not channels:
            return "—"
        return format_html_join(", ", "{} ({})", ((channel.name, channel.code) for channel in channels))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            # Switching an integration off refuses its keys and stops its webhooks, at once in this
            # process and within the cache times elsewhere.
            for prefix in obj.api_keys.values_list("prefix", flat=True):
                api_key_forget(prefix)
            webhooks_forget()


def _events_from_text(text: str) -> list[str]:
    return sorted({name for name in text.replace(",", " ").split() if name})


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text="Where the events are POSTed (http or https).")
    events_text = forms.CharField(
        label="Events", help_text='Separated by spaces or commas: event names, "order.*" for a prefix, "*" for every event.',
        widget=forms.TextInput(attrs={"size": 80}),
    )

    class Meta:
        model = WebhookSubscription
        fields = ("integration", "url", "description", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["events_text"].initial = " ".join(self.instance.events)

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Webhooks are POSTed over http or https.")
        return url

    def clean_events_text(self):
        events = _events_from_text(self.cleaned_data["events_text"])
        bad = [name for name in events if not EVENT_PATTERN.match(name)]
        if not events or bad:
            raise forms.ValidationError(f"Not event names or patterns: {', '.join(bad)}." if bad else "Name at least one event.")
        return events

    def clean(self):
        cleaned = super().clean()
        if "url" in cleaned and "events_text" in cleaned:
            # The service's own checks (public addresses only, unless allowed), on the page: a refusal
            # after saving would leave the console saying the subscription was added.
            try:
                webhook_subscription_validate(url=cleaned["url"], events=cleaned["events_text"])
            except DomainError as error:
                form_add_domain_error(self, error, {"events": "events_text"})
        return cleaned


def _secret_message(request, subscription: WebhookSubscription, what: str) -> None:
    messages.warning(
        request,
        format_html(
            "{} for {}: <code>{}</code> Give it to the receiver now; it is not shown again.", what, subscription.url, subscription.secret
        ),
    )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("url", "integration", "event_list", "is_active", "created_at")
    list_filter = ("is_active", "integration")
    search_fields = ("url", "description", "integration__code")
    list_select_related = ("integration",)
    readonly_fields = ("version", "created_at", "updated_at")
    actions = ["rotate_secret"]

    def get_fields(self, request, obj=None):
        editable = ("integration", "url", "events_text", "description", "is_active")
        return editable if obj is None else (*editable, *self.readonly_fields)

    @admin.display(description="Events")
    def event_list(self, obj):
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        events = form.cleaned_data["events_text"]
        try:
            if change:
                saved = webhook_subscription_update(
                    subscription_id=obj.pk, actor=request.user, url=obj.url, events=events, description=obj.description, is_active=obj.is_active
                )
            else:
                saved = webhook_subscription_create(
                    integration=obj.integration, url=obj.url, events=events, description=obj.description, is_active=obj.is_active,
                    actor=request.user,
                )
                _secret_message(request, saved, "Signing secret")
        except DomainError as error:
            messages.error(request, error.message)
            request.subscription_refused = True
            return
        obj.pk, obj.events, obj.version, obj._state.adding = saved.pk, saved.events, saved.version, False

    def log_addition(self, request, obj, message):
        if not getattr(request, "subscription_refused", False):
            super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if not getattr(request, "subscription_refused", False):
            super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        # Refused by the service after the form passed (a race): say only why, and keep the page.
        if getattr(request, "subscription_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "subscription_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        webhooks_forget()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        webhooks_forget()

    @admin.action(description="Rotate the signing secret (shows the new one once)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        for subscription_id in queryset.values_list("pk", flat=True):
            _secret_message(request, webhook_subscription_rotate_secret(subscription_id=subscription_id, actor=request.user), "New secret")


class WebhookAttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ("started_at", "status_code", "duration_ms", "succeeded", "error", "response_excerpt")
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_name", "subscription", "status", "attempts", "last_status_code", "last_duration_ms", "next_attempt_at", "delivered_at")
    list_filter = ("status", "subscription__integration")
    search_fields = ("event__name", "subscription__url", "=event__uuid")
    list_select_related = ("event", "subscription__integration")
    readonly_fields = (
        "event_link", "event_uuid", "subscription_link", "status", "attempts", "next_attempt_at", "last_status_code", "last_duration_ms",
        "last_error", "delivered_at", "leased_until", "created_at",
    )
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("event__payload")

    @admin.display(description="Event", ordering="event__name")
    def event_name(self, obj):
        return obj.event.name

    @admin.display(description="Event")
    def event_link(self, obj):
        return console_link("admin:oms_domainevent_change", obj.event_id, text=obj.event)

    @admin.display(description="Subscription")
    def subscription_link(self, obj):
        return console_link("admin:oms_webhooksubscription_change", obj.subscription_id, text=obj.subscription)

    @admin.display(description="webhook-id")
    def event_uuid(self, obj):
        return obj.event.uuid

    def has_redeliver_permission(self, request):
        return request.user.has_perm("oms.redeliver_webhookdelivery")

    @admin.action(description="Re-deliver the selected webhooks (same webhook-id)", permissions=["redeliver"])
    def redeliver(self, request, queryset):
        sent, refused = 0, []
        for delivery_id in queryset.values_list("pk", flat=True):
            try:
                webhook_delivery_redeliver(delivery_id=delivery_id, actor=request.user)
                sent += 1
            except DomainError as error:
                refused.append(f"#{delivery_id}: {error.message}")
        if sent:
            self.message_user(request, f"Re-delivering {sent} webhook(s).", messages.SUCCESS)
        for problem in refused:
            self.message_user(request, problem, messages.ERROR)


# --- Document jobs -----------------------------------------------------------------------------


def job_progress_html(percent: int, done: int, total: int, unit: str = "") -> str:
    """A background job's progress bar in a console list: the bar and "done / total"."""
    return format_html('<progress value="{}" max="100" title="{}%"></progress> {} / {}{}', percent, percent, done, total, f" {unit}" if unit else "")


@admin.register(DocumentJob)
class DocumentJobAdmin(ReadOnlyAdmin):
    """Documents rendered in the background: progress while they run, a download link when done.
    Jobs are started where the documents are chosen (e.g. fulfillment orders), never here."""

    list_display = ("id", "title", "kind", "status", "progress", "page_count", "size", "requested_by", "created_at", "finished_at")
    list_filter = ("status", "kind")
    search_fields = ("title",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "title", "kind", "status", "progress", "page_count", "size", "requested_by", "created_at", "started_at", "finished_at",
        "attempts", "error",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf", "payload")

    def has_view_permission(self, request, obj=None):
        # Whoever started a job may follow it, even without the permission to see everyone's.
        if obj is not None and request.user.is_active and request.user.is_staff and obj.created_by_id == request.user.pk:
            return True
        return super().has_view_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The page refreshes itself (admin/oms/documentjob/change_form.html) while the job is
        # queued or running, then offers the download to whoever may have it.
        job = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if job is not None:
            context["job_in_progress"] = job.status in (DocumentJob.Status.QUEUED, DocumentJob.Status.RUNNING)
            if job.status == DocumentJob.Status.DONE and document_job_may_download(job=job, user=request.user):
                context["job_download_url"] = reverse("admin:oms_documentjob_download", args=[job.pk])
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [path("<int:job_id>/download/", download, name="oms_documentjob_download"), *super().get_urls()]

    @admin.display(description="Progress")
    def progress(self, obj):
        return job_progress_html(obj.progress_percent, obj.progress_done, obj.progress_total)

    @admin.display(description="Size")
    def size(self, obj):
        return filesizeformat(obj.pdf_size) if obj.pdf_size else "—"

    @admin.display(description="Requested by")
    def requested_by(self, obj):
        return obj.actor_label or "—"

    def _download_column(self, request):
        # Built per request: the link is shown only to whoever may use it (the view checks again).
        @admin.display(description="PDF")
        def download(obj):
            if obj.status == DocumentJob.Status.FAILED:
                return obj.error[:80]
            if obj.status != DocumentJob.Status.DONE or not document_job_may_download(job=obj, user=request.user):
                return "—"
            return format_html('<a href="{}">Download</a>', reverse("admin:oms_documentjob_download", args=[obj.pk]))

        return download

    def get_list_display(self, request):
        return (*self.list_display, self._download_column(request))

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, self._download_column(request))

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    def download_view(self, request, job_id: int):
        try:
            job, content = document_job_pdf(job_id=job_id, user=request.user)
        except DomainError as error:
            status = 404 if isinstance(error, NotFound) else 409
            return HttpResponse(error.message, status=status, content_type="text/plain; charset=utf-8")
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response

"""Operator console for carriers and their rate cards, and for shipments.

A carrier's page holds its services, zones and surcharges and shows the whole rate card (every
service × zone with its bands) read-only; each service's rate tables, a table's bands and a
zone's rules are edited on their own pages, linked from there. Saving anything makes this
process read the rate card again at once (other processes see the change on their next quote).

Shipments are read-only pages (they change through the services: tracking events, voiding);
"Exceptions and late" is the queue of the ones that need a person. Return labels are created
from the shipment list (for outbound shipments); a return links to the shipment it returns and
the original lists its returns. Labels print from the
shipment list (one 4x6 PDF for the selection) and download from a shipment's page; closing the
manifest of a carrier's day is an action there too, and each manifest downloads as PDF and CSV.
"""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from oms.admin import ConfigAuditAdmin, FormOnlyFieldsMixin, ReadOnlyInline
from oms.admin_links import console_link
from oms.documents import document_job_start
from oms.errors import DomainError, NotFound
from oms.masking import PersonalDataMaskingMixin
from oms.money import money_text

from .documents import KIND as LABELS_KIND
from .labels import shipments_labels_pdf
from .manifests import manifest_csv, manifest_pdf, manifest_sheet
from .models import (
    OPEN_STATUSES,
    TROUBLE_STATUSES,
    Carrier,
    CarrierCharge,
    Manifest,
    RateBand,
    RateTable,
    ServiceLevel,
    Shipment,
    ShipmentExceptionQueue,
    ShipmentParcel,
    ShipmentStatus,
    Surcharge,
    TrackingEvent,
    TrackingSerial,
    Zone,
    ZoneRule,
)
from .selectors import rate_card_forget
from .services import CARRIER_LABEL_FORMAT, MANUAL_LABEL_FORMAT, manifest_close, shipment_label, shipment_return_label_create, shipment_void


class RateCardSavesMixin:
    """Forget the process's rate card after any save or delete made through this page."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        rate_card_forget()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        rate_card_forget()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        rate_card_forget()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        rate_card_forget()


class ServiceLevelInline(admin.TabularInline):
    model = ServiceLevel
    extra = 0
    fields = ("code", "name", "delivery_kind", "active")
    show_change_link = True


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ("code", "name", "rules_text")
    readonly_fields = ("rules_text",)
    show_change_link = True

    @admin.display(description="Rules (most specific wins)")
    def rules_text(self, obj):
        return "; ".join(str(rule) for rule in obj.rules.all()) if obj.pk else "—"


class SurchargeInline(admin.TabularInline):
    model = Surcharge
    extra = 0
    fields = ("kind", "service", "amount", "percent", "country", "postal_from", "postal_to", "longest_side_over_cm", "length_girth_over_cm")


class CarrierAdminForm(forms.ModelForm):
    """The tracking secret is never shown again: a new one replaces it, or it is cleared."""

    new_tracking_secret = forms.CharField(
        required=False, max_length=255, widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current secret. The carrier signs its tracking events with it.",
    )
    clear_tracking_secret = forms.BooleanField(required=False, help_text="Refuse tracking events from now on.")

    class Meta:
        model = Carrier
        exclude = ("tracking_secret",)

    def save(self, commit=True):
        if self.cleaned_data.get("clear_tracking_secret"):
            self.instance.tracking_secret = ""
        elif self.cleaned_data.get("new_tracking_secret"):
            self.instance.tracking_secret = self.cleaned_data["new_tracking_secret"].strip()
        return super().save(commit)


@admin.register(Carrier)
class CarrierAdmin(FormOnlyFieldsMixin, ConfigAuditAdmin, RateCardSavesMixin, admin.ModelAdmin):
    form = CarrierAdminForm
    list_display = ("code", "name", "adapter", "currency", "fuel_surcharge_percent", "cutoff_time", "active")
    list_filter = ("active", "adapter", "currency")
    search_fields = ("code", "name")
    inlines = (ServiceLevelInline, ZoneInline, SurchargeInline)
    readonly_fields = ("rate_card_table", "next_tracking_serial", "tracking_url", "tracking_secret_display")
    fieldsets = (
        (None, {"fields": ("code", "name", "adapter", "currency", "active")}),
        ("Weight and fuel", {"fields": (("dim_divisor", "weight_step_kg"), "fuel_surcharge_percent")}),
        ("Dates", {"fields": ("time_zone", "cutoff_time", "working_days", "holidays")}),
        ("Tracking numbers (UPU S10)", {"fields": (("s10_service_indicator", "s10_country"), ("s10_serial_first", "s10_serial_last"), "next_tracking_serial")}),
        ("Tracking events", {"fields": ("tracking_url", "tracking_secret_display", "new_tracking_secret", "clear_tracking_secret")}),
        ("Rate card", {"fields": ("rate_card_table",)}),
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        self._request = request  # the tracking URL is absolute, on the host the operator uses
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="Tracking URL")
    def tracking_url(self, obj):
        if obj.pk is None:
            return "Shown once the carrier is saved."
        url = reverse("api-carrier-tracking", args=[obj.code])
        request = getattr(self, "_request", None)
        return format_html(
            '<code>{}</code><div class="help">The carrier posts its events here, signed with header X-OMS-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;.</div>',
            request.build_absolute_uri(url) if request else url,
        )

    @admin.display(description="Current secret")
    def tracking_secret_display(self, obj):
        secret = obj.tracking_secret
        if not secret:
            return "Not set: tracking events are refused."
        return f"{'•' * 8}{secret[-4:]}" if len(secret) > 8 else "•" * 8

    @admin.display(description="Next serial")
    def next_tracking_serial(self, obj):
        counter = TrackingSerial.objects.filter(carrier=obj).first() if obj.pk else None
        return f"{counter.next_serial:08d}" if counter else "none issued yet"

    @admin.display(description="Rates per service and zone")
    def rate_card_table(self, obj):
        if obj.pk is None:
            return "—"
        tables = RateTable.objects.filter(service__carrier=obj).select_related("service", "zone").prefetch_related("bands").order_by("service__code", "zone__code")
        if not tables:
            return "No rate tables yet: open a service to add them."
        rows = []
        for table in tables:
            bands = ", ".join(f"≤{band.up_to_kg.normalize():f} kg {band.price}" for band in table.bands.all())
            above = f"; +{table.per_kg_above_last}/kg above" if table.per_kg_above_last is not None else "; no service above"
            limit = f" (max {table.max_weight_kg.normalize():f} kg)" if table.max_weight_kg else ""
            url = reverse("admin:shipping_ratetable_change", args=[table.pk])
            rows.append((url, table.service.code, table.zone.code, table.transit_days, bands + above + limit))
        return format_html(
            "<table><tr><th>Service</th><th>Zone</th><th>Days</th><th>Bands ({})</th></tr>{}</table>",
            obj.currency,
            format_html_join("", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>', rows),
        )


class RateTableInline(admin.TabularInline):
    model = RateTable
    extra = 0
    fields = ("zone", "transit_days", "per_kg_above_last", "max_weight_kg")
    show_change_link = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the zones of the service's own carrier.
        if db_field.name == "zone" and getattr(request, "_shipping_service", None) is not None:
            kwargs["queryset"] = Zone.objects.filter(carrier_id=request._shipping_service.carrier_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ServiceLevel)
class ServiceLevelAdmin(ConfigAuditAdmin, RateCardSavesMixin, admin.ModelAdmin):
    list_display = ("code", "name", "carrier", "delivery_kind", "active")
    list_filter = ("carrier", "delivery_kind", "active")
    search_fields = ("code", "name", "carrier__code")
    inlines = (RateTableInline,)

    def get_form(self, request, obj=None, **kwargs):
        request._shipping_service = obj
        return super().get_form(request, obj, **kwargs)


class RateBandInline(admin.TabularInline):
    model = RateBand
    extra = 1
    fields = ("up_to_kg", "price")


@admin.register(RateTable)
class RateTableAdmin(ConfigAuditAdmin, RateCardSavesMixin, admin.ModelAdmin):
    list_display = ("__str__", "transit_days", "bands_text")
    list_filter = ("service__carrier", "service__code")
    inlines = (RateBandInline,)
    list_select_related = ("service__carrier", "zone")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("bands")

    @admin.display(description="Bands")
    def bands_text(self, obj):
        return ", ".join(f"≤{band.up_to_kg.normalize():f} kg {band.price}" for band in obj.bands.all())


class ZoneRuleInline(admin.TabularInline):
    model = ZoneRule
    extra = 1
    fields = ("origin_country", "origin_postal_from", "origin_postal_to", "destination_country", "postal_from", "postal_to")


@admin.register(Zone)
class ZoneAdmin(ConfigAuditAdmin, RateCardSavesMixin, admin.ModelAdmin):
    list_display = ("code", "name", "carrier", "rules_text")
    list_filter = ("carrier",)
    search_fields = ("code", "name")
    inlines = (ZoneRuleInline,)
    list_select_related = ("carrier",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("rules")

    @admin.display(description="Rules")
    def rules_text(self, obj):
        return "; ".join(str(rule) for rule in obj.rules.all())


# ---------------------------------------------------------------------------- shipments


class ShipmentParcelInline(ReadOnlyInline):
    model = ShipmentParcel
    fields = ("sequence", "tracking_number", "weight_kg", "length_cm", "width_cm", "height_cm", "delivered_at")
    readonly_fields = fields


class TrackingEventInline(ReadOnlyInline):
    """The tracking timeline, newest first (the model's order), each with what it did."""

    model = TrackingEvent
    verbose_name_plural = "tracking timeline (newest first)"
    fields = ("occurred_at", "code", "status_text", "location", "tracking_number", "outcome", "received_at", "carrier_event_id")
    readonly_fields = fields


class CarrierChargeInline(ReadOnlyInline):
    """What the carrier billed, invoice by invoice (imported by the accountants), against the quote above."""

    model = CarrierCharge
    verbose_name_plural = "billed by the carrier (the quote is the price above)"
    fields = ("invoice", "amount", "currency", "recorded_at", "recorded_by")
    readonly_fields = fields


@admin.register(Shipment)
class ShipmentAdmin(PersonalDataMaskingMixin, admin.ModelAdmin):
    list_display = (
        "tracking_number", "reference", "status", "direction", "carrier", "service_code", "promised_delivery_date", "late", "last_scan_at", "created_at",
    )
    list_filter = ("status", "direction", "carrier", "late")
    search_fields = ("=tracking_number", "reference")
    list_select_related = ("carrier", "service")
    date_hierarchy = "created_at"
    readonly_fields = (
        "tracking_number", "reference", "status", "carrier", "service", "parcels_count", "origin_text", "destination_text",
        "declared_value_text", "price_text", "collection_date", "promised_delivery_date", "shipped_at", "delivered_at",
        "last_scan_at", "voided_at", "late", "late_reason", "label_text", "manifest_link", "quote_text", "created_by_label", "created_at",
        "updated_at", "direction", "return_of_link", "returns_links",
    )
    fieldsets = (
        (None, {"fields": ("tracking_number", "reference", "status", ("carrier", "service"), "parcels_count")}),
        ("Route", {"fields": ("origin_text", "destination_text")}),
        ("Returns", {"fields": ("direction", "return_of_link", "returns_links")}),
        ("Price and dates", {"fields": ("price_text", "declared_value_text", "collection_date", "promised_delivery_date")}),
        ("Tracking", {"fields": ("shipped_at", "last_scan_at", "delivered_at", "voided_at", "late", "late_reason")}),
        ("Label and quote", {"fields": ("label_text", "manifest_link", "quote_text")}),
        ("Record", {"fields": ("created_by_label", "created_at", "updated_at")}),
    )
    inlines = (ShipmentParcelInline, TrackingEventInline, CarrierChargeInline)
    actions = ("void", "print_labels", "close_manifests", "create_return_labels")

    def has_add_permission(self, request):
        return False  # shipments are booked through the services (with the carrier)

    def has_close_manifest_permission(self, request):
        return request.user.has_perm("shipping.close_manifest")

    def get_urls(self):
        label = self.admin_site.admin_view(self.label_view)
        info = self.model._meta.app_label, self.model._meta.model_name
        return [path("<int:shipment_id>/label.pdf", label, name="%s_%s_label" % info), *super().get_urls()]

    def has_change_permission(self, request, obj=None):
        return False  # the page is read-only; changes come from the carrier's events and the actions

    def has_delete_permission(self, request, obj=None):
        return False

    def has_void_permission(self, request):
        return request.user.has_perm("shipping.void_shipment")

    def has_create_return_label_permission(self, request):
        return request.user.has_perm("shipping.create_return_label")

    @admin.display(description="Returns")
    def return_of_link(self, obj):
        if obj.return_of_id is None:
            return "the return of no shipment of ours" if obj.is_return else "—"
        return format_html("Return of {}", console_link("admin:shipping_shipment_change", obj.return_of_id, text=obj.return_of.tracking_number))

    @admin.display(description="Return labels")
    def returns_links(self, obj):
        returns = list(obj.returns.order_by("pk").values_list("pk", "tracking_number", "status"))
        if not returns:
            return "none" if not obj.is_return else "—"
        return format_html_join(
            ", ", "{} ({})",
            ((console_link("admin:shipping_shipment_change", pk, text=number), ShipmentStatus(status).label.lower()) for pk, number, status in returns),
        )

    @admin.action(description="Create return labels for the selected outbound shipments", permissions=["create_return_label"])
    def create_return_labels(self, request, queryset):
        """One return label per outbound shipment (same carrier, service and parcels, addresses
        swapped). A shipment that already has a return label not voided is skipped: a second one
        for part of the parcels is made through the API, where the parcels are given."""
        created = []
        for shipment in queryset.order_by("pk"):
            existing = shipment.returns.exclude(status=ShipmentStatus.VOIDED).values_list("tracking_number", flat=True).first()
            if existing:
                self.message_user(request, f"{shipment.tracking_number}: already has return label {existing}; not created again.", messages.WARNING)
                continue
            try:
                returned = shipment_return_label_create(shipment_id=shipment.pk, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{shipment.tracking_number}: {error.message}", messages.ERROR)
            else:
                created.append((reverse("admin:shipping_shipment_change", args=[returned.pk]), returned.tracking_number, shipment.tracking_number))
        if created:
            self.message_user(
                request,
                format_html("Return labels created: {}.", format_html_join(", ", '<a href="{}">{}</a> (return of {})', created)),
                messages.SUCCESS,
            )

    @admin.display(description="Service", ordering="service__code")
    def service_code(self, obj):
        return obj.service.code

    @admin.display(description="Parcels")
    def parcels_count(self, obj):
        return obj.parcels.count()

    @staticmethod
    def _address(address: dict) -> str:
        keys = ("name", "company", "line1", "line2", "postal_code", "city", "region", "country")
        text = ", ".join(str(address[key]) for key in keys if address.get(key))
        return text + (" (residential)" if address.get("residential") else "")

    @admin.display(description="From")
    def origin_text(self, obj):
        return self._address(obj.origin or {})

    @admin.display(description="To")
    def destination_text(self, obj):
        return self._address(obj.destination or {})

    @admin.display(description="Price")
    def price_text(self, obj):
        return money_text(obj.price, obj.currency)

    @admin.display(description="Declared value")
    def declared_value_text(self, obj):
        if not obj.declared_value:
            return "none declared"
        cover = "insured with the carrier" if obj.declared_value_insured else "declared only, not insured"
        return f"{money_text(obj.declared_value, obj.declared_currency or obj.currency)} ({cover})"

    @admin.display(description="Label")
    def label_text(self, obj):
        if obj.status == ShipmentStatus.VOIDED:
            return "voided: the label must not be used"
        if obj.label_format == MANUAL_LABEL_FORMAT:
            tracking = format_html(' · <a href="{}" rel="noopener noreferrer">track with the carrier</a>', obj.tracking_url) if obj.tracking_url else ""
            return format_html("booked with {} outside the OMS: the label comes from the carrier{}", obj.carrier.name, tracking)
        url = reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_label", args=[obj.pk])
        stored = f"stored ({obj.label_format or 'PDF'})" if obj.label_pdf else "not rendered yet: downloading renders it"
        return format_html('<a href="{}">Download label PDF</a> ({})', url, stored)

    @admin.display(description="Manifest")
    def manifest_link(self, obj):
        if obj.manifest_id is None:
            return "not on a manifest yet"
        return console_link("admin:shipping_manifest_change", obj.manifest_id, text=obj.manifest)

    def label_view(self, request, shipment_id: int):
        """The shipment's stored label (rendered and stored first when it has none)."""
        if not self.has_view_permission(request):
            return HttpResponse("You may not view shipments.", status=403, content_type="text/plain; charset=utf-8")
        try:
            shipment = shipment_label(shipment_id=shipment_id, actor=request.user)
        except NotFound as error:
            raise Http404(error.message) from error
        except DomainError as error:
            return HttpResponse(error.message, status=409, content_type="text/plain; charset=utf-8")
        return _download_response(bytes(shipment.label_pdf), f"label-{shipment.tracking_number}.pdf")

    @admin.action(description="Print labels of the selected shipments (one 4x6 PDF)", permissions=["view"])
    def print_labels(self, request, queryset):
        limit = getattr(settings, "OMS_LABELS_INLINE_MAX", 200)
        shipments = list(queryset.select_related("carrier", "service").prefetch_related("parcels").order_by("pk"))
        voided = [shipment.tracking_number for shipment in shipments if shipment.status == ShipmentStatus.VOIDED]
        own_formats = (CARRIER_LABEL_FORMAT, MANUAL_LABEL_FORMAT)
        carriers_own = [shipment.tracking_number for shipment in shipments if shipment.label_format in own_formats]
        printable = [shipment for shipment in shipments if shipment.status != ShipmentStatus.VOIDED and shipment.label_format not in own_formats]
        if carriers_own:
            self.message_user(
                request, f"Not printed, the carrier supplied their labels (download each from its page, or from the carrier's "
                f"system when booked outside the OMS): {', '.join(carriers_own)}.",
                messages.WARNING,
            )
        if voided:
            self.message_user(request, f"Not printed, voided (their labels must not be used): {', '.join(voided)}.", messages.WARNING)
        if not printable:
            self.message_user(request, "There is no label to print in the selection.", messages.WARNING)
            return None
        if len(printable) > limit:
            # Too many to render while the operator waits: a document job, and its page shows the progress.
            try:
                job = document_job_start(
                    kind=LABELS_KIND, payload={"shipment_ids": [shipment.pk for shipment in printable]}, actor=request.user,
                    title=f"Shipping labels ({len(printable)})",
                )
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                return None
            return HttpResponseRedirect(reverse("admin:oms_documentjob_change", args=[job.pk]))
        content = shipments_labels_pdf(printable)
        return _download_response(content, f"labels-{timezone.localtime():%Y%m%d-%H%M%S}.pdf")

    @admin.action(
        description="Close the manifest of the carrier and collection day of the selected shipments", permissions=["close_manifest"]
    )
    def close_manifests(self, request, queryset):
        days = sorted(set(queryset.values_list("carrier__code", "collection_date")))
        for carrier_code, day in days:
            try:
                manifest = manifest_close(carrier_code=carrier_code, day=day, actor=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                url = reverse("admin:shipping_manifest_change", args=[manifest.pk])
                count = manifest.shipments.count()
                self.message_user(
                    request, format_html('Closed manifest <a href="{}">{}</a> with {} shipments.', url, manifest.number, count), messages.SUCCESS
                )

    @admin.display(description="Quote")
    def quote_text(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.quote, indent=2, ensure_ascii=False)) if obj.quote else "—"

    @admin.action(description="Void the selected shipments (before the first scan)", permissions=["void"])
    def void(self, request, queryset):
        voided = []
        for shipment in queryset.order_by("pk"):
            try:
                shipment_void(shipment_id=shipment.pk, actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{shipment.tracking_number}: {error.message}", messages.ERROR)
            else:
                voided.append(shipment.tracking_number)
        if voided:
            self.message_user(request, f"Voided: {', '.join(voided)}.", messages.SUCCESS)


def _download_response(content: bytes, filename: str, content_type: str = "application/pdf") -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class ManifestShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ("tracking_number", "reference", "service", "status", "collection_date")
    readonly_fields = fields
    verbose_name_plural = "shipments on this manifest"


@admin.register(Manifest)
class ManifestAdmin(admin.ModelAdmin):
    """Closed manifests (read-only; closed from the shipment list), each as PDF and CSV."""

    list_display = ("number", "carrier", "date", "shipment_count", "closed_at", "closed_by_label", "downloads")
    list_filter = ("carrier", "date")
    search_fields = ("=number", "=shipments__tracking_number")
    list_select_related = ("carrier",)
    date_hierarchy = "date"
    fields = ("number", "carrier", "date", "closed_at", "closed_by_label", "shipment_count", "downloads")
    readonly_fields = fields
    inlines = (ManifestShipmentInline,)

    def has_add_permission(self, request):
        return False  # closed by manifest_close (the action on the shipment list)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [path("<int:manifest_id>/download.<str:kind>", download, name="shipping_manifest_download"), *super().get_urls()]

    @admin.display(description="Shipments")
    def shipment_count(self, obj):
        return obj.shipments.count()

    @admin.display(description="Download")
    def downloads(self, obj):
        return format_html_join(
            " · ", '<a href="{}">{}</a>',
            ((reverse("admin:shipping_manifest_download", args=[obj.pk, kind]), kind.upper()) for kind in ("pdf", "csv")),
        )

    def download_view(self, request, manifest_id: int, kind: str):
        if not self.has_view_permission(request):
            return HttpResponse("You may not view manifests.", status=403, content_type="text/plain; charset=utf-8")
        if kind not in ("pdf", "csv"):
            return HttpResponse(f"A manifest downloads as pdf or csv, not {kind!r}.", status=404, content_type="text/plain; charset=utf-8")
        manifest = get_object_or_404(Manifest.objects.select_related("carrier"), pk=manifest_id)
        sheet = manifest_sheet(manifest)
        if kind == "csv":
            return _download_response(manifest_csv(sheet).encode(), f"manifest-{manifest.number}.csv", "text/csv; charset=utf-8")
        return _download_response(manifest_pdf(sheet), f"manifest-{manifest.number}.pdf")


@admin.register(ShipmentExceptionQueue)
class ShipmentExceptionQueueAdmin(ShipmentAdmin):
    """Exceptions, returns to sender and late shipments the carrier still has: what needs a person."""

    list_display = ("tracking_number", "reference", "direction", "status", "late_reason", "carrier", "service_code", "promised_delivery_date", "last_scan_at")
    list_filter = ("status", "direction", "carrier")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(Q(status__in=TROUBLE_STATUSES) | Q(late=True, status__in=OPEN_STATUSES))

"""Operator console for carriers and their rate cards.

A carrier's page holds its services, zones and surcharges and shows the whole rate card (every
service × zone with its bands) read-only; each service's rate tables, a table's bands and a
zone's rules are edited on their own pages, linked from there. Saving anything makes this
process read the rate card again at once (other processes see the change on their next quote).
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .models import Carrier, RateBand, RateTable, ServiceLevel, Surcharge, TrackingSerial, Zone, ZoneRule
from .selectors import rate_card_forget


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
    fields = ("code", "name", "active")
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


@admin.register(Carrier)
class CarrierAdmin(RateCardSavesMixin, admin.ModelAdmin):
    list_display = ("code", "name", "adapter", "currency", "fuel_surcharge_percent", "cutoff_time", "active")
    list_filter = ("active", "adapter", "currency")
    search_fields = ("code", "name")
    inlines = (ServiceLevelInline, ZoneInline, SurchargeInline)
    readonly_fields = ("rate_card_table", "next_tracking_serial")
    fieldsets = (
        (None, {"fields": ("code", "name", "adapter", "currency", "active")}),
        ("Weight and fuel", {"fields": (("dim_divisor", "weight_step_kg"), "fuel_surcharge_percent")}),
        ("Dates", {"fields": ("time_zone", "cutoff_time", "working_days", "holidays")}),
        ("Tracking numbers (UPU S10)", {"fields": (("s10_service_indicator", "s10_country"), ("s10_serial_first", "s10_serial_last"), "next_tracking_serial")}),
        ("Rate card", {"fields": ("rate_card_table",)}),
    )

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
class ServiceLevelAdmin(RateCardSavesMixin, admin.ModelAdmin):
    list_display = ("code", "name", "carrier", "active")
    list_filter = ("carrier", "active")
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
class RateTableAdmin(RateCardSavesMixin, admin.ModelAdmin):
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
    fields = ("origin_country", "destination_country", "postal_from", "postal_to")


@admin.register(Zone)
class ZoneAdmin(RateCardSavesMixin, admin.ModelAdmin):
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

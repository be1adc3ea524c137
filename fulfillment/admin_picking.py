"""Operator console for picking and packing: pick lists with their lines in path order, the
"Create wave pick list" action on fulfillment orders, and the packing page where an operator
scans barcodes and sees what is still expected. Every change calls a service."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from oms.admin import ReadOnlyInline
from oms.errors import DomainError

from .admin import documents_print
from .models import FulfillmentOrder, PackageType, PickList, PickListKind, PickListLine
from .picking import WaveRules
from .services.packing import expected_items, fulfillment_order_by_number, pack_scan, package_close
from .services.picking import pick_list_build

PICK_PERMISSION = "fulfillment.confirm_picklist"


class PickListLineInline(ReadOnlyInline):
    model = PickListLine
    fields = ("sequence", "bin", "product", "quantity", "slot", "fulfillment_order", "quantity_picked", "short", "confirmed_at")
    readonly_fields = fields
    ordering = ("sequence",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("bin", "product", "fulfillment_line__fulfillment_order").order_by("sequence")

    @admin.display(description="Fulfillment order")
    def fulfillment_order(self, obj):
        return obj.fulfillment_line.fulfillment_order.number


@admin.register(PickList)
class PickListAdmin(admin.ModelAdmin):
    list_display = ("number", "location", "kind", "zone", "status", "walking_distance_m", "created_at", "created_by_label")
    list_filter = ("status", "kind", "location")
    list_select_related = ("location",)
    readonly_fields = ("number", "location", "kind", "zone", "status", "walking_distance_m", "created_at", "created_by_label", "started_at", "finished_at")
    fields = readonly_fields
    inlines = (PickListLineInline,)
    actions = ("print_pick_lists",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Print pick lists", permissions=["view"])
    def print_pick_lists(self, request, queryset):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        name = f"pick-list-{queryset.get().number}" if len(ids) == 1 else ""
        return documents_print(self, request, kind="pick_lists", ids=ids, name=name)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("pack/", self.admin_site.admin_view(self.packing_view), name="fulfillment_packing")] + super().get_urls()

    def packing_view(self, request):
        return packing_page(request, self)


@admin.register(PackageType)
class PackageTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "inner_length_mm", "inner_width_mm", "inner_height_mm", "max_weight_grams", "is_active")
    list_filter = ("is_active",)


# --- the action on fulfillment orders ----------------------------------------------------------


@admin.action(description="Create wave pick list", permissions=["confirm_picklist"])
def create_wave_pick_list(modeladmin, request, queryset):
    """Batch the selected pending fulfillment orders of one location into wave pick lists."""
    if not request.user.has_perm(PICK_PERMISSION):
        modeladmin.message_user(request, "You may not build pick lists.", messages.ERROR)
        return None
    locations = set(queryset.values_list("location__code", flat=True))
    if len(locations) != 1:
        modeladmin.message_user(request, "Choose fulfillment orders of one location: a wave is one walk through one building.", messages.ERROR)
        return None
    try:
        lists = pick_list_build(
            location=locations.pop(), fulfillment_order_ids=list(queryset.values_list("pk", flat=True)), kind=PickListKind.BATCH,
            rules=WaveRules(), actor=request.user,
        )
    except DomainError as error:
        modeladmin.message_user(request, error.message, messages.ERROR)
        return None
    links = format_html(", ".join(['<a href="{}">{}</a>'] * len(lists)), *[
        value for pick_list in lists for value in (reverse("admin:fulfillment_picklist_change", args=[pick_list.pk]), pick_list.number)
    ])
    modeladmin.message_user(request, format_html("Pick lists created: {}.", links), messages.SUCCESS)
    return None


def fulfillment_order_actions() -> tuple:
    """The picking actions for the fulfillment-order admin to list."""
    return (create_wave_pick_list,)


_fulfillment_order_admin = admin.site._registry.get(FulfillmentOrder)
if _fulfillment_order_admin is not None and create_wave_pick_list not in (_fulfillment_order_admin.actions or ()):
    _fulfillment_order_admin.actions = (*(_fulfillment_order_admin.actions or ()), *fulfillment_order_actions())


# --- the packing page ----------------------------------------------------------------------------


class ScanForm(forms.Form):
    barcode = forms.CharField(max_length=64, help_text="Scan the item, or type its GTIN or SKU.", widget=forms.TextInput(attrs={"autofocus": True}))
    quantity = forms.IntegerField(min_value=1, initial=1)


class CloseForm(forms.Form):
    package_type = forms.ModelChoiceField(queryset=PackageType.objects.filter(is_active=True), to_field_name="code")
    weight_grams = forms.IntegerField(min_value=1, label="Weight (g)")
    length_mm = forms.IntegerField(min_value=1, required=False, label="Length (mm)", help_text="Empty: the box's size.")
    width_mm = forms.IntegerField(min_value=1, required=False, label="Width (mm)")
    height_mm = forms.IntegerField(min_value=1, required=False, label="Height (mm)")

    def dimensions(self):
        sizes = (self.cleaned_data.get("length_mm"), self.cleaned_data.get("width_mm"), self.cleaned_data.get("height_mm"))
        return sizes if all(sizes) else None


def packing_page(request, model_admin):
    """Scan items into the open package of a fulfillment order, then close the package."""
    if not request.user.has_perm(PICK_PERMISSION):
        raise PermissionDenied
    number = (request.GET.get("number") or request.POST.get("number") or "").strip()
    fulfillment_order, scan_form, close_form = None, ScanForm(), CloseForm()
    if number:
        try:
            fulfillment_order = fulfillment_order_by_number(number)
        except DomainError as error:
            messages.error(request, error.message)
    here = f"{reverse('admin:fulfillment_packing')}?number={number}"
    if fulfillment_order is not None and request.method == "POST":
        if "_scan" in request.POST:
            scan_form = ScanForm(request.POST)
            if scan_form.is_valid():
                try:
                    result = pack_scan(
                        fulfillment_order_id=fulfillment_order.pk, barcode=scan_form.cleaned_data["barcode"],
                        quantity=scan_form.cleaned_data["quantity"], actor=request.user,
                    )
                except DomainError as error:
                    scan_form.add_error(None, error.message)  # it names what was scanned and what is expected
                else:
                    messages.success(request, f"Packed {result.quantity} × {result.sku}.")
                    return HttpResponseRedirect(here)
        elif "_close" in request.POST:
            close_form = CloseForm(request.POST)
            if close_form.is_valid():
                data = close_form.cleaned_data
                try:
                    package_close(
                        fulfillment_order_id=fulfillment_order.pk, package_type=data["package_type"].code, weight_grams=data["weight_grams"],
                        dimensions=close_form.dimensions(), actor=request.user,
                    )
                except DomainError as error:
                    close_form.add_error(None, error.message)
                else:
                    stored = FulfillmentOrder.objects.get(pk=fulfillment_order.pk)
                    messages.success(request, f"Package closed; {stored.number} is {stored.get_status_display().lower()}.")
                    return HttpResponseRedirect(here)
    context = {
        **model_admin.admin_site.each_context(request), "opts": model_admin.opts, "title": "Packing", "number": number,
        "fulfillment_order": fulfillment_order, "scan_form": scan_form, "close_form": close_form,
        "expected": expected_items(fulfillment_order.pk) if fulfillment_order else [],
        "open_package": fulfillment_order.packages.filter(closed_at__isnull=True).prefetch_related("items__fulfillment_line__product").first()
        if fulfillment_order else None,
    }
    return TemplateResponse(request, "admin/fulfillment/packing.html", context)

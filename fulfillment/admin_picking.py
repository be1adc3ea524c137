"""Operator console for picking and packing: the pick list as a working screen (the current task
shown big, confirmed by scanning its bin and item, or as a short pick with a reason), the "Create
wave pick list" action on fulfillment orders, and the packing page where an operator scans
barcodes and sees what is still expected. Every change calls a service."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from oms.admin import ReadOnlyInline
from oms.errors import DomainError, InvalidInput

from .admin import documents_print
from .admin_floor import FLOOR, refusal_text, refused
from .models import FulfillmentOrder, FulfillmentStatus, PackageType, PickList, PickListKind, PickListLine, PickListStatus, ShortPickReason
from .picking import WaveRules
from .services.packing import expected_items, fulfillment_order_by_number, open_pick_lists, pack_scan, package_close
from .services.picking import pick_confirm, pick_list_build, pick_scan_check, pick_scan_confirm

PICK_PERMISSION = FLOOR


class PickListLineInline(ReadOnlyInline):
    model = PickListLine
    fields = ("sequence", "bin", "product", "quantity", "slot", "fulfillment_order", "quantity_picked", "short", "short_why", "confirmed_at")
    readonly_fields = fields

    @admin.display(description="Why short")
    def short_why(self, obj):
        return obj.short_reason_text or ("not said" if obj.short else "")
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
    change_form_template = "admin/fulfillment/picklist/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pick_list = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if pick_list is not None:
            extra_context.update(pick_screen_context(pick_list, request))
        return super().change_view(request, object_id, form_url, extra_context)

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
        wrap = self.admin_site.admin_view
        return [
            path("pack/", wrap(self.packing_view), name="fulfillment_packing"),
            path("<path:object_id>/scan/", wrap(lambda request, object_id: pick_scan_view(request, object_id, self)), name="fulfillment_picklist_scan"),
            path("<path:object_id>/short/", wrap(lambda request, object_id: pick_short_view(request, object_id, self)), name="fulfillment_picklist_short"),
            *super().get_urls(),
        ]

    def packing_view(self, request):
        return packing_page(request, self)


@admin.register(PackageType)
class PackageTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "inner_length_mm", "inner_width_mm", "inner_height_mm", "max_weight_grams", "is_active")
    list_filter = ("is_active",)


# --- the action on fulfillment orders ----------------------------------------------------------


@admin.action(description="Create wave pick list", permissions=["floor"])
def create_wave_pick_list(modeladmin, request, queryset):
    """Batch the selected pending fulfillment orders of one location into wave pick lists."""
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
        return refused(request, model_admin.admin_site, permission=PICK_PERMISSION, what="Packing", back=reverse("admin:index"))
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
        "waiting_pick_lists": _pick_list_links(open_pick_lists(fulfillment_order.pk)) if fulfillment_order else [],
        "fulfillment_order_url": reverse("admin:fulfillment_fulfillmentorder_change", args=[fulfillment_order.pk]) if fulfillment_order else None,
        "expected": expected_items(fulfillment_order.pk) if fulfillment_order else [],
        "open_package": fulfillment_order.packages.filter(closed_at__isnull=True).prefetch_related("items__fulfillment_line__product").first()
        if fulfillment_order else None,
    }
    return TemplateResponse(request, "admin/fulfillment/packing.html", context)


def _pick_list_links(numbers: list[str]) -> list[tuple[str, str]]:
    return [(number, reverse("admin:fulfillment_picklist_change", args=[int(number.removeprefix("PL-"))])) for number in numbers]


# --- the pick list as a working screen -----------------------------------------------------------


class ShortPickForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    quantity_found = forms.IntegerField(min_value=0, label="Found", help_text="Units that were there and went into the slot.")
    short_reason = forms.ChoiceField(choices=ShortPickReason.choices, label="Why short", initial=ShortPickReason.NOT_FOUND)
    short_note = forms.CharField(max_length=255, required=False, label="Note", help_text="Required with “Other”.")


def _pick_page(pick_list_id: int, **query) -> HttpResponseRedirect:
    url = reverse("admin:fulfillment_picklist_change", args=[pick_list_id])
    return HttpResponseRedirect(f"{url}?{urlencode(query)}" if query else url)


def pick_screen_context(pick_list: PickList, request) -> dict:
    """The current task (the first one not confirmed, in walking order), the scan and short-pick
    forms for a role that may confirm, and each fulfillment order's packing link."""
    lines = list(pick_list.lines.select_related("bin", "product", "fulfillment_line__fulfillment_order").order_by("sequence"))
    task = next((line for line in lines if not line.is_confirmed), None)
    may_confirm = request.user.has_perm(PICK_PERMISSION) and pick_list.status in (PickListStatus.OPEN, PickListStatus.IN_PROGRESS)
    scanned_bin = (request.GET.get("bin") or "").strip()
    bin_ok = task is not None and (task.bin is None or scanned_bin.upper() == task.bin.code.upper())
    orders = {}
    for line in lines:
        fo = line.fulfillment_line.fulfillment_order
        orders.setdefault(fo.pk, (line.slot, fo))
    packable = request.user.has_perm(PICK_PERMISSION)
    return {
        "pick_task": task,
        "pick_done": sum(1 for line in lines if line.is_confirmed),
        "pick_total": len(lines),
        "pick_may_confirm": may_confirm and task is not None,
        "pick_bin_ok": bin_ok,
        "pick_scanned_bin": task.bin.code if bin_ok and task and task.bin else "",
        "pick_short_open": request.GET.get("short") == "1",
        "pick_short_form": ShortPickForm(initial={"line": task.pk, "quantity_found": max(task.quantity - 1, 0)}) if task else None,
        "pick_scan_url": reverse("admin:fulfillment_picklist_scan", args=[pick_list.pk]),
        "pick_short_url": reverse("admin:fulfillment_picklist_short", args=[pick_list.pk]),
        "pick_orders": [
            (slot, fo, f"{reverse('admin:fulfillment_packing')}?number={fo.number}" if packable and fo.status == FulfillmentStatus.PICKING else None,
             reverse("admin:fulfillment_fulfillmentorder_change", args=[fo.pk]))
            for slot, fo in sorted(orders.values(), key=lambda item: item[0])
        ],
    }


def _task_of(request, pick_list_id: str, model_admin):
    """The pick list and the task the form names, or a response that refuses or goes back."""
    pick_list = PickList.objects.filter(pk=pick_list_id).first() if str(pick_list_id).isdigit() else None
    if pick_list is None:
        raise Http404("No such pick list.")
    if not request.user.has_perm(PICK_PERMISSION):
        return pick_list, None, refused(request, model_admin.admin_site, permission=PICK_PERMISSION, what=f"Confirming picks on {pick_list.number}",
                                        back=reverse("admin:fulfillment_picklist_change", args=[pick_list.pk]))
    raw = request.POST.get("line", "")
    line = PickListLine.objects.filter(pick_list=pick_list, pk=raw).select_related("product").first() if raw.isdigit() else None
    if line is None:
        messages.error(request, f"That task is not on {pick_list.number}; here is its current task.")
        return pick_list, None, _pick_page(pick_list.pk)
    if line.is_confirmed:
        messages.warning(request, f"Task {line.sequence} ({line.product.sku}) was confirmed already; here is the next one.")
        return pick_list, None, _pick_page(pick_list.pk)
    return pick_list, line, None


@require_POST
def pick_scan_view(request, object_id: str, model_admin):
    """A scan on the pick list screen: the bin alone (checked, then the item is asked for), or the
    bin and the item with the quantity, which confirms the task."""
    pick_list, line, answer = _task_of(request, object_id, model_admin)
    if answer is not None:
        return answer
    bin_code, barcode = request.POST.get("bin_code", "").strip(), request.POST.get("barcode", "").strip()
    quantity = request.POST.get("quantity", "").strip()
    try:
        if not barcode:
            pick_scan_check(pick_list_line_id=line.pk, bin_code=bin_code)
            return _pick_page(pick_list.pk, bin=bin_code)
        if not quantity.isdigit() or int(quantity) < 1:
            raise InvalidInput(f"Count the units: a whole number of at least 1 (the task asks for {line.quantity}).", fields={"quantity": ["A whole number."]})
        pick_scan_confirm(pick_list_line_id=line.pk, bin_code=bin_code, barcode=barcode, quantity=int(quantity), actor=request.user)
    except DomainError as error:
        messages.error(request, refusal_text(error) if error.code != "wrong_bin" and error.code != "wrong_item" else error.message)
        return _pick_page(pick_list.pk, bin=bin_code) if error.code != "wrong_bin" and bin_code else _pick_page(pick_list.pk)
    messages.success(request, f"Picked {quantity} × {line.product.sku} into slot {line.slot}.")
    return _pick_page(pick_list.pk)


@require_POST
def pick_short_view(request, object_id: str, model_admin):
    """A short pick: the units found and why the rest is missing."""
    pick_list, line, answer = _task_of(request, object_id, model_admin)
    if answer is not None:
        return answer
    form = ShortPickForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{form.fields[name].label if name in form.fields else name}: {' '.join(errors)}" for name, errors in form.errors.items())
        messages.error(request, f"The short pick was not recorded: {problems}")
        return _pick_page(pick_list.pk, short="1")
    found = form.cleaned_data["quantity_found"]
    if found >= line.quantity:
        messages.error(request, f"{found} found is the whole task ({line.quantity} × {line.product.sku}): scan it instead of a short pick.")
        return _pick_page(pick_list.pk)
    try:
        pick_confirm(
            pick_list_line_id=line.pk, quantity_picked=found, short_reason=form.cleaned_data["short_reason"],
            short_note=form.cleaned_data["short_note"], actor=request.user,
        )
    except DomainError as error:
        messages.error(request, f"The short pick was not recorded: {refusal_text(error)}")
        return _pick_page(pick_list.pk, short="1")
    messages.warning(
        request, f"Short pick recorded: {found} of {line.quantity} × {line.product.sku}; the missing units are written off and routed again."
    )
    return _pick_page(pick_list.pk)

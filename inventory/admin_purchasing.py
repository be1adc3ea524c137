"""Suppliers and purchase orders in the operator console.

Suppliers (with the products they sell) are edited in place. Purchase orders are drafted through
``purchase_order_create`` and move only through their services: send, cancel and close are the
buyer's (Operations manager: ``inventory.send_purchaseorder``); receiving is the dock's
(Warehouse: ``inventory.receive_purchaseorder``), on a page where each line takes a counted
quantity and a scanner's codes (GTIN, SKU or the supplier's SKU, one per row, ``3*CODE`` for a
counted stack) add to them. Every refusal is shown on the page; nothing changes but through the
services.
"""

from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from oms.admin import AuditTrailInline, ReadOnlyInline, form_add_domain_error
from oms.errors import DomainError, InvalidInput
from oms.masking import PersonalDataMaskingMixin

from . import purchasing
from .admin_views import _form_page
from .documents_purchasing import purchase_order_pdf
from .forms import LocationChoiceField, TransferLineForm
from .models_purchasing import PO_RECEIVABLE, PurchaseOrder, PurchaseOrderEvent, PurchaseOrderLine, PurchaseOrderStatus, Supplier, SupplierProduct
from .selectors_purchasing import purchase_order_shortfall

SEND = "inventory.send_purchaseorder"
DRAFT = "inventory.add_purchaseorder"  # who drafts a PO may change its lines while it is a draft
RECEIVE = "inventory.receive_purchaseorder"


# --- suppliers -------------------------------------------------------------------------------


class SupplierProductInline(admin.TabularInline):
    model = SupplierProduct
    extra = 1
    fields = ("product", "supplier_sku", "unit_cost", "pack_size", "minimum_quantity", "lead_time_days", "is_preferred")
    autocomplete_fields = ("product",)


@admin.register(Supplier)
class SupplierAdmin(PersonalDataMaskingMixin, admin.ModelAdmin):
    list_display = ("code", "name", "contact_name", "email", "currency", "lead_time_days", "lead_time_spread_days", "pack_size", "is_active")
    list_filter = ("is_active", "currency")
    search_fields = ("code", "name", "contact_name", "email")
    inlines = (SupplierProductInline,)
    actions = ("forget_contact",)
    fieldsets = (
        (None, {"fields": ("code", "name", "is_active")}),
        ("Contact", {"fields": ("contact_name", "email", "phone")}),
        ("Address", {"fields": ("line1", "line2", ("postal_code", "city"), "region", "country")}),
        ("Terms", {"fields": ("currency", ("lead_time_days", "lead_time_spread_days"), ("minimum_order_value", "minimum_order_units"), "pack_size")}),
    )

    def has_delete_permission(self, request, obj=None):
        return False  # purchase orders refer to suppliers; deactivate instead

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    # The API's ETag is the version: a console edit must make an integration's earlier read stale.
    def save_model(self, request, obj, form, change):
        if change and form.has_changed():
            obj.version += 1
            obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description="Forget the contact (name, e-mail, phone)", permissions=["change"])
    def forget_contact(self, request, queryset):
        """A supplier's contact person asked to be forgotten: after a confirmation page, each
        selected supplier's contact goes (:func:`purchasing.supplier_contact_forget`)."""
        suppliers = list(queryset.order_by("pk"))
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request), "opts": self.opts, "title": "Forget the contact of these suppliers",
                "submit_label": "Forget the contact", "suppliers": suppliers,
            }
            return TemplateResponse(request, "admin/inventory/supplier/forget_contact.html", context)
        forgotten = []
        for supplier in suppliers:
            try:
                purchasing.supplier_contact_forget(code=supplier.code, actor=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.log_change(request, supplier, "Forgot the contact person (name, e-mail, phone) on request.")
                forgotten.append(supplier.code)
        if forgotten:
            self.message_user(request, f"Contact forgotten for {', '.join(forgotten)}.", messages.SUCCESS)
        return None


# --- purchase orders -------------------------------------------------------------------------


class PurchaseOrderCreateForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.filter(is_active=True), help_text="The order is in the supplier's currency.")
    location = LocationChoiceField(label="Deliver to")
    expected_date = forms.DateField(required=False, help_text="YYYY-MM-DD. Empty: each line after its lead time.")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, help_text="Printed on the order.")


class PurchaseOrderLineForm(TransferLineForm):
    """A transfer's line (SKU, quantity) with an optional cost."""

    unit_cost = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=3, help_text="Empty: the supplier's cost.")


PurchaseOrderLineFormSet = forms.formset_factory(PurchaseOrderLineForm, extra=8)


class PurchaseOrderLineEditForm(PurchaseOrderLineForm):
    """A draft's line as it should be: its number (empty: a new line), SKU, quantity, cost, date."""

    line_number = forms.IntegerField(required=False, widget=forms.HiddenInput)
    unit_cost = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=3, help_text="Empty: unchanged (a new line: the supplier's).")
    expected_date = forms.DateField(required=False, help_text="YYYY-MM-DD. Empty: unchanged (a new line: after the lead time).")


PurchaseOrderLineEditFormSet = forms.formset_factory(PurchaseOrderLineEditForm, extra=3, can_delete=True)


class PurchaseOrderLineInline(ReadOnlyInline):
    model = PurchaseOrderLine
    fields = readonly_fields = (
        "line_number", "product", "supplier_sku", "quantity_ordered", "quantity_received", "quantity_open", "quantity_over",
        "quantity_short", "unit_cost", "expected_date",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class PurchaseOrderEventInline(AuditTrailInline):
    model = PurchaseOrderEvent


# Buttons on a PO's page per status: (action, label, permission).
PO_BUTTONS = {
    PurchaseOrderStatus.DRAFT: [("send", "Send to the supplier", SEND), ("cancel", "Cancel", SEND)],
    PurchaseOrderStatus.SENT: [("cancel", "Cancel", SEND)],
    PurchaseOrderStatus.PARTIALLY_RECEIVED: [("close", "Close (give up the rest)", SEND)],
    PurchaseOrderStatus.RECEIVED: [("close", "Close", SEND)],
}
CONFIRM_BELOW_MINIMUM = "below_minimum_confirmed"
PO_ACTIONS = {
    "send": (purchasing.purchase_order_send, "sent"),
    "cancel": (purchasing.purchase_order_cancel, "cancelled"),
    "close": (purchasing.purchase_order_close, "closed"),
}


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "supplier", "location", "expected_date", "currency", "created_at", "sent_at", "received_at")
    list_filter = ("status", "supplier", "location")
    search_fields = ("number", "supplier__code", "supplier__name", "lines__product__sku")
    list_select_related = ("supplier", "location")
    date_hierarchy = "created_at"
    inlines = (PurchaseOrderLineInline, PurchaseOrderEventInline)
    actions = ("send_orders", "cancel_orders", "close_orders")
    change_form_template = "admin/inventory/purchaseorder/change_form.html"
    fields = readonly_fields = (
        "number", "status", "supplier", "location", "currency", "supplier_minimum", "expected_date", "notes", "created_by", "created_at",
        "sent_at", "received_at", "closed_at", "emailed_at",
    )

    @admin.display(description="Supplier's minimum")
    def supplier_minimum(self, po):
        if po.status != PurchaseOrderStatus.DRAFT:
            return "—"
        shortfall = purchase_order_shortfall(po, po.lines.all())
        return format_html('<strong class="po-below-minimum">{}</strong>', shortfall.note) if shortfall else "Met."

    def has_change_permission(self, request, obj=None):
        return False  # every change goes through a service: the buttons and the receive page

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return purchase_order_add_view(request, self)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/receive/", wrap(self.receive_view), name="inventory_purchaseorder_receive"),
            path("<path:object_id>/pdf/", wrap(self.pdf_view), name="inventory_purchaseorder_pdf"),
            path("<path:object_id>/lines/", wrap(self.lines_view), name="inventory_purchaseorder_lines"),
            path("<path:object_id>/<str:action>/run/", wrap(purchase_order_action_view), name="inventory_purchaseorder_action"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        po = self.get_object(request, object_id)
        buttons, links = [], []
        if po is not None:
            buttons = [
                (label, reverse("admin:inventory_purchaseorder_action", args=[po.pk, action]))
                for action, label, permission in PO_BUTTONS.get(po.status, []) if request.user.has_perm(permission)
            ]
            if po.status == PurchaseOrderStatus.DRAFT and buttons and purchase_order_shortfall(po, po.lines.all()):
                # The confirmation: below the minimum (said above, under "Supplier's minimum") the
                # send button says so and carries the confirmation; a plain send is refused.
                buttons[0] = ("Send below the supplier's minimum", buttons[0][1] + f"?{CONFIRM_BELOW_MINIMUM}=1")
            if po.status == PurchaseOrderStatus.DRAFT and request.user.has_perm(DRAFT):
                links.append(("Edit lines", reverse("admin:inventory_purchaseorder_lines", args=[po.pk])))
            if po.status in PO_RECEIVABLE and request.user.has_perm(RECEIVE):
                links.append(("Receive goods", reverse("admin:inventory_purchaseorder_receive", args=[po.pk])))
            links.append(("Download PDF", reverse("admin:inventory_purchaseorder_pdf", args=[po.pk])))
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "po_buttons": buttons, "po_links": links})

    def pdf_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        po = get_object_or_404(PurchaseOrder, pk=_purchase_order_pk(object_id))
        response = HttpResponse(purchase_order_pdf(po.pk), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{po.number}.pdf"'
        return response

    def receive_view(self, request, object_id):
        return purchase_order_receive_view(request, self, object_id)

    def lines_view(self, request, object_id):
        return purchase_order_lines_view(request, self, object_id)

    def _run_each(self, request, queryset, action):
        if not request.user.has_perm(SEND):
            raise PermissionDenied
        for po in queryset.order_by("pk"):
            purchase_order_action_run(request, po, action)

    @admin.action(description="Send selected purchase orders", permissions=["send"])
    def send_orders(self, request, queryset):
        self._run_each(request, queryset, "send")

    @admin.action(description="Cancel selected purchase orders", permissions=["send"])
    def cancel_orders(self, request, queryset):
        self._run_each(request, queryset, "cancel")

    @admin.action(description="Close selected purchase orders (give up what is open)", permissions=["send"])
    def close_orders(self, request, queryset):
        self._run_each(request, queryset, "close")

    def has_send_permission(self, request):
        return request.user.has_perm(SEND)


def _purchase_order_pk(object_id: str) -> int:
    """The id in a console URL; anything but a plausible id is a page that does not exist."""
    if not object_id.isdigit() or len(object_id) > 18:
        raise Http404("No such purchase order.")
    return int(object_id)


def purchase_order_add_view(request: HttpRequest, model_admin):
    """Draft a PO through the service, which numbers it and fills the supplier's costs and dates."""
    if not request.user.has_perm(DRAFT):
        raise PermissionDenied
    if request.method == "POST":
        form, formset = PurchaseOrderCreateForm(request.POST), PurchaseOrderLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and formset.is_valid():
            lines = [
                purchasing.DraftLine(sku=line["sku"].strip(), quantity=line["quantity"], unit_cost=line.get("unit_cost"))
                for line in formset.cleaned_data if line.get("sku")
            ]
            try:
                po = purchasing.purchase_order_create(
                    supplier=form.cleaned_data["supplier"].code, location=form.cleaned_data["location"].code, lines=lines,
                    expected_date=form.cleaned_data["expected_date"], notes=form.cleaned_data["notes"], actor=request.user,
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, f"{po.number} drafted. Send it to the supplier when it is complete.")
                return HttpResponseRedirect(reverse("admin:inventory_purchaseorder_change", args=[po.pk]))
    else:
        form, formset = PurchaseOrderCreateForm(), PurchaseOrderLineFormSet(prefix="lines")
    return _form_page(
        request, model_admin, "Draft a purchase order", "Draft purchase order", form=form, formset=formset,
        has_errors=bool(form.errors) or any(formset.errors), template="admin/inventory/purchaseorder/add_form.html",
    )


def _formset_add_domain_error(form: forms.Form, formset, rows: list[int], error: DomainError) -> None:
    """A service's ``lines[i].field`` problems on the formset row that sent line ``i`` (``rows``);
    anything else on the page's form."""
    for path_name, problems in error.fields.items():
        index, _, field = path_name.removeprefix("lines[").partition("].")
        target = formset.forms[rows[int(index)]] if index.isdigit() and int(index) < len(rows) else None
        for problem in problems:
            if target is not None and field in target.fields:
                target.add_error(field, problem)
            else:
                form.add_error(None, problem)
    form.add_error(None, error.message)


def purchase_order_lines_view(request: HttpRequest, model_admin, object_id: str):
    """A draft's lines as a form: change, remove (tick), add (empty rows); the service checks them
    all and writes one audit row per change. A sent PO's page says its lines are read-only."""
    if not request.user.has_perm(DRAFT):
        raise PermissionDenied
    po = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "location"), pk=_purchase_order_pk(object_id))
    lines = list(PurchaseOrderLine.objects.filter(purchase_order=po).select_related("product").order_by("line_number"))
    initial = [
        {"line_number": line.line_number, "sku": line.product.sku, "quantity": line.quantity_ordered, "unit_cost": line.unit_cost,
         "expected_date": line.expected_date} for line in lines
    ]
    form = forms.Form(request.POST or None)
    formset = PurchaseOrderLineEditFormSet(request.POST or None, initial=initial, prefix="lines")
    editable = po.status == PurchaseOrderStatus.DRAFT
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows, edits = [], []
        for row, data in enumerate(formset.cleaned_data):
            if data.get("DELETE") or not data.get("sku"):
                continue  # ticked: removed; an empty row: nothing added
            rows.append(row)
            edits.append(purchasing.LineEdit(
                line_number=data.get("line_number"), sku=data["sku"].strip(), quantity=data["quantity"], unit_cost=data.get("unit_cost"),
                expected_date=data.get("expected_date"), currency=po.currency,
            ))
        try:
            purchasing.purchase_order_lines_set(purchase_order_id=po.pk, lines=edits, actor=request.user)
        except DomainError as error:
            _formset_add_domain_error(form, formset, rows, error)
        else:
            messages.success(request, f"{po.number}: lines saved.")
            return HttpResponseRedirect(reverse("admin:inventory_purchaseorder_change", args=[po.pk]))
    reason = "" if editable else purchasing.purchase_order_lines_read_only_reason(po)
    return _form_page(
        request, model_admin, f"Lines of {po.number} ({po.supplier.name}, {po.currency})", "Save lines", po=po, form=form, formset=formset,
        editable=editable, read_only_reason=reason, has_errors=bool(form.errors) or any(formset.errors),
        minimum_note=(shortfall.note if editable and (shortfall := purchase_order_shortfall(po, lines)) else ""),
        template="admin/inventory/purchaseorder/edit_lines.html",
    )


def purchase_order_action_run(request: HttpRequest, po: PurchaseOrder, action: str, *, below_minimum_confirmed: bool = False) -> bool:
    """Run one PO step and report it; False when the service refused."""
    service, done = PO_ACTIONS[action]
    confirmed = {"allow_below_minimum": True} if action == "send" and below_minimum_confirmed else {}
    try:
        service(purchase_order_id=po.pk, actor=request.user, **confirmed)
    except DomainError as error:
        messages.error(request, f"{po}: {error.message}")
        return False
    suffix = " Its PDF goes to the supplier by e-mail." if action == "send" and po.supplier.email else ""
    messages.success(request, f"{po} {done}.{suffix}")
    return True


@require_POST
def purchase_order_action_view(request: HttpRequest, object_id: str, action: str):
    if action not in PO_ACTIONS:
        raise Http404("No such purchase order action.")
    if not request.user.has_perm(SEND):
        raise PermissionDenied
    po = get_object_or_404(PurchaseOrder.objects.select_related("supplier"), pk=_purchase_order_pk(object_id))
    purchase_order_action_run(request, po, action, below_minimum_confirmed=request.GET.get(CONFIRM_BELOW_MINIMUM) == "1")
    return HttpResponseRedirect(reverse("admin:inventory_purchaseorder_change", args=[po.pk]))


class ReceiveForm(forms.Form):
    scans = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6, "autofocus": True}), label="Scanned codes",
        help_text="One barcode (GTIN), SKU or supplier SKU per row, as the scanner types them; 3*CODE counts three.",
    )
    note = forms.CharField(required=False, max_length=300, help_text="E.g. the delivery note's number.")


def _scanned_codes(text: str) -> list[str]:
    """Codes from the scans box, one per unit: ``3*CODE`` stands for three; malformed counts are refused."""
    codes = []
    for row in text.splitlines():
        row = row.strip()
        if not row:
            continue
        count, star, code = row.partition("*")
        if star:
            if not count.strip().isdigit() or not 0 < int(count) <= 10_000 or not code.strip():
                raise InvalidInput(f"{row!r}: write a count and a code, e.g. 3*{code.strip() or 'SKU'}.", fields={"scans": [f"{row!r} is malformed."]})
            codes += [code.strip()] * int(count)
        else:
            codes.append(row)
    return codes


def purchase_order_receive_view(request: HttpRequest, model_admin, object_id: str):
    """The dock's page: a quantity per line, plus scans; booking hands both to the receipt service."""
    if not request.user.has_perm(RECEIVE):
        raise PermissionDenied
    po = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "location"), pk=_purchase_order_pk(object_id))
    lines = list(PurchaseOrderLine.objects.filter(purchase_order=po).select_related("product").order_by("line_number"))
    form = ReceiveForm(request.POST or None)
    line_errors: dict[int, str] = {}
    typed: dict[int, str] = {}
    if request.method == "POST" and form.is_valid():
        counted: Counter = Counter()
        for line in lines:
            raw = request.POST.get(f"line-{line.line_number}", "").strip()
            typed[line.line_number] = raw
            if not raw:
                continue
            if not raw.isdigit() or int(raw) > 100_000_000:
                line_errors[line.line_number] = "A whole number of units, 0 or more."
            elif int(raw):
                counted[line.line_number] += int(raw)
        if not line_errors:
            try:
                for number, units in purchasing.purchase_order_receive_codes(purchase_order_id=po.pk, codes=_scanned_codes(form.cleaned_data["scans"])):
                    counted[number] += units
                if not counted:
                    raise InvalidInput("Nothing to receive: type a quantity on a line or scan the items.", fields={"scans": ["Nothing counted."]})
                received = purchasing.purchase_order_receive(
                    purchase_order_id=po.pk, quantities=sorted(counted.items()), note=form.cleaned_data["note"], actor=request.user,
                )
            except DomainError as error:
                if error.fields:
                    form.add_error(None, error.message)  # what to do, above the fields it names
                form_add_domain_error(form, error, {"codes": "scans", "lines": "scans"})
            else:
                over = [f"{r.over} × {r.sku}" for r in received if r.over]
                summary = ", ".join(f"{r.quantity} × {r.sku}" for r in received)
                messages.success(request, f"{po.number}: received {summary}." + (f" Over the order: {', '.join(over)}." if over else ""))
                return HttpResponseRedirect(reverse("admin:inventory_purchaseorder_change", args=[po.pk]))
    rows = [
        {"line": line, "value": typed.get(line.line_number, ""), "error": line_errors.get(line.line_number, "")} for line in lines
    ]
    return _form_page(
        request, model_admin, f"Receive {po.number} from {po.supplier.name} at {po.location.code}", "Book receipt",
        po=po, form=form, rows=rows, has_errors=bool(form.errors or line_errors), receivable=po.status in PO_RECEIVABLE,
        template="admin/inventory/purchaseorder/receive.html",
    )


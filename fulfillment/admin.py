"""Operator console for fulfillment orders: the list, the page with lines and holds, and actions
that call ``fulfillment.services`` (move, split and hold through a small intermediate form)."""

import importlib.util

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from inventory.models import Location
from oms.admin import ReadOnlyInline
from oms.admin_links import console_link
from oms.errors import DomainError

from oms.documents import document_job_start

from . import admin_floor, services
from .admin_floor import SplitForm
from .documents.jobs import CHUNK_SIZE, TITLES
from .documents.rendering import documents_pdf
from .documents.sources import BY_ID_SOURCES
from .models import FulfillmentHold, FulfillmentHoldReason, FulfillmentLine, FulfillmentOrder, FulfillmentStatus, PickList, PickListStatus


def documents_print(model_admin, request, *, kind: str, ids: list[int], name: str = ""):
    """Print ``kind`` documents (``packing_slips``/``pick_lists``) for ``ids`` from an admin action.

    Up to ``OMS_DOCUMENTS_INLINE_MAX`` documents are rendered now and answered as a PDF download;
    more become a document job, and the answer is that job's page (progress, then the download).
    A refusal (e.g. an id that went away) is shown as an error message, never a 500.
    """
    key, _model, _noun, build = BY_ID_SOURCES[kind]
    if not ids:
        model_admin.message_user(request, "There is nothing to print for the selection.", messages.WARNING)
        return None
    try:
        if len(ids) <= getattr(settings, "OMS_DOCUMENTS_INLINE_MAX", 20):
            rendered = documents_pdf(kind, build(ids), chunk_size=CHUNK_SIZE)
            stem = name or f"{kind.replace('_', '-')}-{timezone.localtime():%Y%m%d-%H%M%S}"
            response = HttpResponse(rendered.content, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
            response["Cache-Control"] = "private, no-store"
            return response
        job = document_job_start(kind=kind, payload={key: ids}, actor=request.user, title=f"{TITLES[kind]} ({len(ids)})")
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
        return None
    return HttpResponseRedirect(reverse("admin:oms_documentjob_change", args=[job.pk]))


class MoveForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.filter(is_active=True, can_ship=True), help_text="Ship from here instead; the reservations move with it.")


class HoldForm(forms.Form):
    reason = forms.ChoiceField(choices=FulfillmentHoldReason.choices)
    detail = forms.CharField(max_length=500, required=False)


class ReasonForm(forms.Form):
    """What a bulk release or cancel asks before it runs: why, for each fulfillment order's trail."""

    reason = forms.CharField(max_length=500, help_text="Recorded on each order's timeline.")


class HeldFilter(admin.SimpleListFilter):
    title = "held"
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("yes", "Held"), ("no", "Not held")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_held=self.value() == "yes")
        return queryset


class FulfillmentLineInline(ReadOnlyInline):
    model = FulfillmentLine
    fields = ("order_line", "product", "quantity", "quantity_picked", "quantity_packed", "quantity_shipped")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line", "product")


class FulfillmentHoldInline(ReadOnlyInline):
    model = FulfillmentHold
    fields = ("reason", "detail", "created_at", "created_by_label", "released_at", "released_by", "release_note")


@admin.register(FulfillmentOrder)
class FulfillmentOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "order_link", "location", "status", "is_held", "priority", "promised_ship_date", "created_at")
    list_filter = ("status", "location", HeldFilter)
    search_fields = ("number", "order__number")
    list_select_related = ("order", "location")
    readonly_fields = (
        "number", "order_link", "location", "status", "priority", "promised_ship_date", "promised_delivery_date", "is_held", "tracking_number",
        "shipment_link", "carrier_code", "service_code", "shipped_at", "delivered_at", "cancelled_at", "cancel_reason", "created_at", "updated_at", "version",
    )
    fields = readonly_fields
    inlines = (FulfillmentLineInline, FulfillmentHoldInline)
    actions = ("move", "split", "merge", "hold", "release_holds", "cancel", "ship", "deliver", "print_packing_slips", "print_pick_lists")
    change_form_template = "admin/fulfillment/fulfillmentorder/change_form.html"

    def get_urls(self):
        def wrap(view, **kwargs):
            return self.admin_site.admin_view(lambda request, *args, **more: view(request, *args, **more, **kwargs))

        site = {"admin_site": self.admin_site}
        return [
            path("<path:object_id>/floor/<str:action_name>/", wrap(admin_floor.floor_action_view, **site), name="fulfillment_fulfillmentorder_floor"),
            path("<path:object_id>/shipped/", wrap(admin_floor.shipped_view, **site, model_admin=self), name="fulfillment_fulfillmentorder_shipped"),
            path("<path:object_id>/label.pdf", wrap(admin_floor.label_view, **site), name="fulfillment_fulfillmentorder_label"),
            path("<path:object_id>/packing-slip.pdf", wrap(admin_floor.packing_slip_view, **site), name="fulfillment_fulfillmentorder_packing_slip"),
            path("<path:object_id>/split/", wrap(admin_floor.split_view, **site, model_admin=self), name="fulfillment_fulfillmentorder_split"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        fulfillment_order = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if fulfillment_order is not None:
            extra_context.update(admin_floor.floor_context(fulfillment_order, request.user))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "location", "shipment__carrier")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the page is read-only; changes go through the actions

    def has_transition_permission(self, request):
        return request.user.has_perm("fulfillment.transition_fulfillmentorder")

    def has_route_permission(self, request):
        return request.user.has_perm("fulfillment.route_fulfillmentorder")

    def has_floor_permission(self, request):
        """Picking, packing and shipping: the warehouse's work (``fulfillment.confirm_picklist``)."""
        return request.user.has_perm(admin_floor.FLOOR)

    def has_view_pick_lists_permission(self, request):
        return request.user.has_perm("fulfillment.view_picklist")

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, obj):
        return console_link("admin:orders_order_change", obj.order_id, text=obj.order.number)

    @admin.display(description="Shipment")
    def shipment_link(self, obj):
        if obj.shipment_id is None:
            return "-"
        return console_link("admin:shipping_shipment_change", obj.shipment_id, text=obj.tracking_number or obj.shipment_id)

    # --- helpers -----------------------------------------------------------------------------

    def _each(self, request, queryset, run, done: str) -> None:
        """Run a service per fulfillment order; successes together, each refusal as an error message."""
        succeeded = []
        for fulfillment_order in queryset.order_by("pk"):
            try:
                run(fulfillment_order)
            except DomainError as error:
                self.message_user(request, f"{fulfillment_order.number}: {error.message}", messages.ERROR)
            else:
                succeeded.append(fulfillment_order.number)
        if succeeded:
            self.message_user(request, f"{done}: {', '.join(succeeded)}.", messages.SUCCESS)

    def _form_page(self, request, queryset, form, *, action: str, title: str, submit_label: str, intro: str = ""):
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "title": title, "submit_label": submit_label, "form": form,
            "action": action, "selected": list(queryset.values_list("pk", flat=True)), "intro": intro,
        }
        return TemplateResponse(request, "admin/fulfillment/action_form.html", context)

    # --- actions -------------------------------------------------------------------------------

    @admin.action(description="Move to another location", permissions=["route"])
    def move(self, request, queryset):
        form = MoveForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            location = form.cleaned_data["location"]
            self._each(
                request, queryset,
                lambda fo: services.fulfillment_order_move(fulfillment_order_id=fo.pk, to_location_id=location.pk, actor=request.user),
                f"Moved to {location.code}",
            )
            return None
        return self._form_page(request, queryset, form, action="move", title="Move fulfillment orders", submit_label="Move",
                               intro=", ".join(queryset.values_list("number", flat=True)))

    @admin.action(description="Split off units", permissions=["route"])
    def split(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one fulfillment order to split.", messages.ERROR)
            return None
        fulfillment_order = queryset.get()
        form = SplitForm(request.POST if "apply" in request.POST else None, fulfillment_order=fulfillment_order)
        if form.is_bound and form.is_valid():
            try:
                split = form.split(actor=request.user)
            except DomainError as error:
                self.message_user(request, f"{fulfillment_order.number}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{split.number} split off {fulfillment_order.number}.", messages.SUCCESS)
            return None
        return self._form_page(request, queryset, form, action="split", title=f"Split {fulfillment_order.number}", submit_label="Split")

    @admin.action(description="Merge (same order and location)", permissions=["route"])
    def merge(self, request, queryset):
        try:
            survivor = services.fulfillment_orders_merge(fulfillment_order_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, f"Merged into {survivor.number}.", messages.SUCCESS)

    @admin.action(description="Put on hold", permissions=["transition"])
    def hold(self, request, queryset):
        form = HoldForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            self._each(
                request, queryset,
                lambda fo: services.fulfillment_order_hold_place(fulfillment_order_id=fo.pk, reason=data["reason"], detail=data["detail"], actor=request.user),
                "On hold",
            )
            return None
        return self._form_page(request, queryset, form, action="hold", title="Hold fulfillment orders", submit_label="Hold")

    def _with_reason(self, request, queryset, *, action: str, title: str, submit_label: str, run, done: str):
        """A bulk change that first shows what it will touch and asks why; nothing runs until then."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._each(request, queryset, lambda fo: run(fo, reason), done)
            return None
        return self._form_page(request, queryset, form, action=action, title=title, submit_label=submit_label,
                               intro=", ".join(queryset.order_by("pk").values_list("number", flat=True)))

    @admin.action(description="Release holds…", permissions=["transition"])
    def release_holds(self, request, queryset):
        return self._with_reason(
            request, queryset, action="release_holds", title="Release the holds of these fulfillment orders", submit_label="Release",
            run=lambda fo, reason: services.fulfillment_order_holds_release(fulfillment_order_id=fo.pk, actor=request.user, note=reason),
            done="Holds released",
        )

    @admin.action(description="Cancel (cancelled orders only)…", permissions=["transition"])
    def cancel(self, request, queryset):
        return self._with_reason(
            request, queryset, action="cancel", title="Cancel these fulfillment orders", submit_label="Cancel them",
            run=lambda fo, reason: services.fulfillment_order_cancel(fulfillment_order_id=fo.pk, actor=request.user, reason=reason),
            done="Cancelled",
        )

    @admin.action(description="Ship (packed)", permissions=["floor"])
    def ship(self, request, queryset):
        self._each(request, queryset, lambda fo: services.fulfillment_order_ship(fulfillment_order_id=fo.pk, actor=request.user), "Shipped")

    @admin.action(description="Mark delivered", permissions=["transition"])
    def deliver(self, request, queryset):
        self._each(request, queryset, lambda fo: services.fulfillment_order_deliver(fulfillment_order_id=fo.pk, actor=request.user), "Delivered")

    @admin.action(description="Print packing slips", permissions=["view"])
    def print_packing_slips(self, request, queryset):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        name = f"packing-slip-{queryset.get().number}" if len(ids) == 1 else ""
        return documents_print(self, request, kind="packing_slips", ids=ids, name=name)

    @admin.action(description="Print pick lists (open ones of the selection)", permissions=["view_pick_lists"])
    def print_pick_lists(self, request, queryset):
        ids = list(
            PickList.objects.filter(
                status__in=[PickListStatus.OPEN, PickListStatus.IN_PROGRESS], lines__fulfillment_line__fulfillment_order__in=queryset
            ).distinct().order_by("pk").values_list("pk", flat=True)
        )
        if not ids:
            self.message_user(request, self._no_pick_list_yet(request, queryset), messages.WARNING)
            return None
        return documents_print(self, request, kind="pick_lists", ids=ids)

    def _no_pick_list_yet(self, request, queryset) -> str:
        """Say none is on an open pick list, and offer the step before: creating one."""
        pending = list(queryset.filter(status=FulfillmentStatus.PENDING, is_held=False).order_by("pk").values_list("pk", "number")[:10])
        if not pending or not request.user.has_perm(admin_floor.FLOOR):
            return "None of the selected fulfillment orders is on an open pick list."
        pages = format_html_join(", ", '<a href="{}">{}</a>', ((reverse("admin:fulfillment_fulfillmentorder_change", args=[pk]), number) for pk, number in pending))
        return format_html(
            "None of the selected fulfillment orders is on an open pick list yet. Create one first: “Create pick list” on the page of {}, "
            "or select them and run “Create wave pick list”.", pages,
        )


# The picking and packing console (fulfillment/admin_picking.py), when present.
if importlib.util.find_spec("fulfillment.admin_picking"):
    from . import admin_picking  # noqa: F401,E402

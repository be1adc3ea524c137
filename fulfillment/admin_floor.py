"""The fulfillment order page's own buttons: the floor steps (create its pick list, pack, ship with
a carrier or by hand, mark delivered) and the desk steps (hold, release, move, split).

Each button is shown only to a role holding its permission and only when the fulfillment order's
state allows it; each POST checks the permission again (a refusal names the permission missing)
and calls one service. A service's refusal becomes an error message on the page, never a 500.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from inventory.models import Location
from oms.errors import DomainError, InvalidInput
from shipping.models import Carrier
from shipping.services import MANUAL_LABEL_FORMAT, shipment_label

from . import services
from .documents.jobs import CHUNK_SIZE
from .documents.rendering import documents_pdf
from .documents.sources import BY_ID_SOURCES
from .models import FulfillmentHoldReason, FulfillmentOrder, FulfillmentStatus, Package, PickList, PickListKind
from .services.picking import pick_list_build

# The floor's permission: build pick lists, confirm picks, pack and ship.
FLOOR = "fulfillment.confirm_picklist"
TRANSITION = "fulfillment.transition_fulfillmentorder"
ROUTE = "fulfillment.route_fulfillmentorder"


def permission_label(permission: str) -> str:
    """“Can build pick lists, confirm picks, pack and ship” (fulfillment.confirm_picklist)."""
    app_label, codename = permission.split(".", 1)
    name = Permission.objects.filter(content_type__app_label=app_label, codename=codename).values_list("name", flat=True).first()
    return f"“{name}” ({permission})" if name else permission


def refused(request: HttpRequest, admin_site, *, permission: str, what: str, back: str) -> TemplateResponse:
    """A 403 page that says what was refused and which permission the role lacks."""
    context = {
        **admin_site.each_context(request), "title": "Not allowed", "what": what, "permission": permission_label(permission), "back": back,
    }
    return TemplateResponse(request, "admin/fulfillment/refused.html", context, status=403)


def refusal_text(error: DomainError) -> str:
    if isinstance(error, InvalidInput) and error.fields:
        details = "; ".join(f"{field.replace('_', ' ')}: {' '.join(problems)}" for field, problems in error.fields.items())
        return f"{error.message} ({details})"
    return error.message


def _post(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "").strip()


def _found(object_id: str, queryset=None) -> FulfillmentOrder:
    """The fulfillment order of a URL's id, or 404 (also for an id that is no number)."""
    if not str(object_id).isdigit():
        raise Http404("No such fulfillment order.")
    return get_object_or_404(FulfillmentOrder.objects.all() if queryset is None else queryset, pk=object_id)


def fulfillment_order_page(fulfillment_order_id: int) -> str:
    return reverse("admin:fulfillment_fulfillmentorder_change", args=[fulfillment_order_id])


# --- the buttons -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloorAction:
    """A button on the fulfillment order page: shown when the user holds ``permission`` and
    ``applies`` to the fulfillment order; ``run`` calls the service and answers the POST."""

    name: str
    label: str
    permission: str
    applies: Callable[[FulfillmentOrder], bool]
    run: Callable[[FulfillmentOrder, HttpRequest], HttpResponse]


def _back(fulfillment_order: FulfillmentOrder, request: HttpRequest, done: str) -> HttpResponse:
    stored = FulfillmentOrder.objects.only("number", "status", "is_held").get(pk=fulfillment_order.pk)
    held = " (on hold)" if stored.is_held else ""
    messages.success(request, f"{stored.number}: {done}. Status: {stored.get_status_display()}{held}.")
    return HttpResponseRedirect(fulfillment_order_page(fulfillment_order.pk))


def _pick_list_create(fulfillment_order: FulfillmentOrder, request: HttpRequest) -> HttpResponse:
    (pick_list,) = pick_list_build(
        location=fulfillment_order.location.code, fulfillment_order_ids=[fulfillment_order.pk], kind=PickListKind.SINGLE, actor=request.user
    )
    messages.success(request, f"Pick list {pick_list.number} created for {fulfillment_order.number}: scan its tasks below.")
    return HttpResponseRedirect(reverse("admin:fulfillment_picklist_change", args=[pick_list.pk]))


def _shipped(fulfillment_order: FulfillmentOrder, request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("admin:fulfillment_fulfillmentorder_shipped", args=[fulfillment_order.pk]))


def _ship(fulfillment_order: FulfillmentOrder, request: HttpRequest) -> HttpResponse:
    services.fulfillment_order_ship(fulfillment_order_id=fulfillment_order.pk, actor=request.user)
    return _shipped(fulfillment_order, request)


def _ship_manual(fulfillment_order: FulfillmentOrder, request: HttpRequest) -> HttpResponse:
    carrier = _post(request, "manual_carrier")
    if not carrier:
        raise InvalidInput("Name the carrier that took the parcel (e.g. PostNL).", fields={"manual_carrier": ["Required."]})
    services.fulfillment_order_ship(
        fulfillment_order_id=fulfillment_order.pk, manual_carrier=carrier, tracking_number=_post(request, "manual_tracking_number"),
        tracking_url=_post(request, "manual_tracking_url"), actor=request.user,
    )
    return _shipped(fulfillment_order, request)


def _deliver(fulfillment_order: FulfillmentOrder, request: HttpRequest) -> HttpResponse:
    services.fulfillment_order_deliver(fulfillment_order_id=fulfillment_order.pk, actor=request.user)
    return _back(fulfillment_order, request, "marked delivered")


def _hold(fulfillment_order: FulfillmentOrder, request: HttpRequest) -> HttpResponse:
    reason, detail = _post(request, "hold_reason"), _post(request, "hold_detail")
    if not detail:
        raise InvalidInput("Say why it is held, so whoever releases it knows what to check.", fields={"hold_detail": ["Required."]})
    services.fulfillment_order_hold_place(fulfillment_order_id=fulfillment_order.pk, reason=reason, detail=detail, actor=request.user)
    return _back(fulfillment_order, request, "put on hold")


def _release(fulfillment_order: FulfillmentOrder, request: HttpRequest) -> HttpResponse:
    note = _post(request, "release_note")
    if not note:
        raise InvalidInput("Say why the holds can go (e.g. address confirmed by phone).", fields={"release_note": ["Required."]})
    services.fulfillment_order_holds_release(fulfillment_order_id=fulfillment_order.pk, note=note, actor=request.user)
    return _back(fulfillment_order, request, "holds released")


def _move(fulfillment_order: FulfillmentOrder, request: HttpRequest) -> HttpResponse:
    code = _post(request, "move_location")
    location = Location.objects.filter(code=code, is_active=True, can_ship=True).first() if "\x00" not in code else None
    if location is None:
        raise InvalidInput("Choose the location to ship from instead.", fields={"move_location": ["Unknown location."]})
    services.fulfillment_order_move(fulfillment_order_id=fulfillment_order.pk, to_location_id=location.pk, actor=request.user)
    return _back(fulfillment_order, request, f"moved to {location.code}")


def _pending_unheld(fulfillment_order: FulfillmentOrder) -> bool:
    return fulfillment_order.status == FulfillmentStatus.PENDING and not fulfillment_order.is_held


FLOOR_ACTIONS = {
    action.name: action
    for action in (
        FloorAction("pick_list", "Create pick list", FLOOR, _pending_unheld, _pick_list_create),
        FloorAction("ship", "Ship: book the carrier and print the label", FLOOR, lambda fo: fo.status == FulfillmentStatus.PACKED, _ship),
        FloorAction("ship_manual", "Ship with own carrier", FLOOR, lambda fo: fo.status == FulfillmentStatus.PACKED, _ship_manual),
        FloorAction("deliver", "Mark delivered", TRANSITION, lambda fo: fo.status == FulfillmentStatus.SHIPPED, _deliver),
        FloorAction("hold", "Put on hold", TRANSITION, lambda fo: fo.is_open, _hold),
        FloorAction("release", "Release holds", TRANSITION, lambda fo: fo.is_held, _release),
        FloorAction("move", "Move", ROUTE, lambda fo: fo.status == FulfillmentStatus.PENDING, _move),
    )
}


def floor_actions_available(fulfillment_order: FulfillmentOrder, user) -> dict[str, str]:
    """name -> URL of every button this user may press on this fulfillment order now."""
    return {
        name: reverse("admin:fulfillment_fulfillmentorder_floor", args=[fulfillment_order.pk, name])
        for name, action in FLOOR_ACTIONS.items()
        if user.has_perm(action.permission) and action.applies(fulfillment_order)
    }


# --- the page's context ------------------------------------------------------------------------


class HoldFields(forms.Form):
    hold_reason = forms.ChoiceField(choices=[c for c in FulfillmentHoldReason.choices if c[0] != FulfillmentHoldReason.SHORT_PICK], label="Reason")


def _next_step(fulfillment_order: FulfillmentOrder, urls: dict[str, str], pick_lists: list[PickList], user) -> str:
    """What happens next, in words, for this user."""
    status = fulfillment_order.status
    if fulfillment_order.is_held and status == FulfillmentStatus.PENDING:
        return "On hold: release it when its holds are cleared; then it can be picked."
    if status == FulfillmentStatus.PENDING:
        return "Next: create its pick list and pick it." if "pick_list" in urls else "Waiting to be picked by the warehouse."
    if status == FulfillmentStatus.PICKING:
        open_lists = [pl.number for pl in pick_lists if pl.status in ("open", "in_progress")]
        if not user.has_perm(FLOOR):
            return "Being picked and packed by the warehouse."
        if open_lists:
            return f"Next: confirm its picks on {', '.join(open_lists)}, then pack it."
        return "Next: pack it at the packing station."
    if status == FulfillmentStatus.PACKED:
        return "Next: ship it (book the carrier and print the label), or ship with your own carrier." if "ship" in urls else "Packed; waiting for the warehouse to ship it."
    if status == FulfillmentStatus.SHIPPED:
        return "On its way; the carrier's delivery scan marks it delivered." if "deliver" not in urls else "On its way: mark it delivered when the carrier or customer confirms."
    return ""


def floor_context(fulfillment_order: FulfillmentOrder, user) -> dict:
    """What the fulfillment order page shows around its fields: buttons, pick lists, packages, shipment."""
    urls = floor_actions_available(fulfillment_order, user)
    pick_lists = list(
        PickList.objects.filter(lines__fulfillment_line__fulfillment_order=fulfillment_order).distinct().order_by("pk")
    ) if user.has_perm("fulfillment.view_picklist") else []
    packages = list(
        Package.objects.filter(fulfillment_order=fulfillment_order).select_related("package_type").prefetch_related("items__fulfillment_line__product")
        .order_by("pk")
    ) if user.has_perm("fulfillment.view_package") else []
    shipment = fulfillment_order.shipment if fulfillment_order.shipment_id and user.has_perm("shipping.view_shipment") else None
    links = [(f"Open pick list {pl.number}", reverse("admin:fulfillment_picklist_change", args=[pl.pk])) for pl in pick_lists
             if pl.status in ("open", "in_progress")]
    if fulfillment_order.status == FulfillmentStatus.PICKING and user.has_perm(FLOOR):
        links.append(("Pack", f"{reverse('admin:fulfillment_packing')}?number={fulfillment_order.number}"))
    if shipment is not None and fulfillment_order.status in (FulfillmentStatus.SHIPPED, FulfillmentStatus.DELIVERED):
        links.append(("Label and packing slip", reverse("admin:fulfillment_fulfillmentorder_shipped", args=[fulfillment_order.pk])))
    buttons = [(FLOOR_ACTIONS[name].label, url) for name, url in urls.items() if name in ("pick_list", "ship", "deliver")]
    return {
        "floor_next_step": _next_step(fulfillment_order, urls, pick_lists, user),
        "floor_links": links,
        "floor_buttons": buttons,
        "floor_urls": urls,
        "floor_hold_form": HoldFields(),
        "floor_locations": list(Location.objects.filter(is_active=True, can_ship=True).exclude(pk=fulfillment_order.location_id).order_by("code"))
        if "move" in urls else [],
        "floor_split_url": reverse("admin:fulfillment_fulfillmentorder_split", args=[fulfillment_order.pk])
        if user.has_perm(ROUTE) and fulfillment_order.status == FulfillmentStatus.PENDING else None,
        "floor_own_carriers": list(Carrier.objects.filter(adapter=Carrier.Adapter.MANUAL).order_by("name").values_list("name", flat=True))
        if "ship_manual" in urls else [],
        "floor_packing_slip_url": reverse("admin:fulfillment_fulfillmentorder_packing_slip", args=[fulfillment_order.pk]),
        "floor_pick_lists": pick_lists,
        "floor_packages": packages,
        "floor_shipment": shipment,
        "floor_label_url": reverse("admin:fulfillment_fulfillmentorder_label", args=[fulfillment_order.pk])
        if shipment is not None and shipment.label_format != MANUAL_LABEL_FORMAT else None,
    }


# --- the views -----------------------------------------------------------------------------------


@require_POST
def floor_action_view(request: HttpRequest, object_id: str, action_name: str, *, admin_site) -> HttpResponse:
    action = FLOOR_ACTIONS.get(action_name)
    if action is None:
        raise Http404("No such step.")
    fulfillment_order = _found(object_id, FulfillmentOrder.objects.select_related("location"))
    page = fulfillment_order_page(fulfillment_order.pk)
    if not request.user.has_perm(action.permission):
        return refused(request, admin_site, permission=action.permission, what=f"{action.label} ({fulfillment_order.number})", back=page)
    try:
        return action.run(fulfillment_order, request)
    except DomainError as error:
        text = refusal_text(error)
        if error.code == "no_carrier_service" and request.user.has_perm(FLOOR):
            text += " Ship it with your own carrier below: enter the carrier's name and tracking number."
        messages.error(request, text)
        return HttpResponseRedirect(page)


def shipped_view(request: HttpRequest, object_id: str, *, admin_site, model_admin) -> HttpResponse:
    """After shipping: the label right there (shown, to print or download) and the packing slip."""
    fulfillment_order = _found(object_id, FulfillmentOrder.objects.select_related("shipment__carrier", "shipment__service", "order"))
    if not request.user.has_perm("fulfillment.view_fulfillmentorder"):
        return refused(request, admin_site, permission="fulfillment.view_fulfillmentorder", what="Seeing fulfillment orders", back=reverse("admin:index"))
    shipment = fulfillment_order.shipment
    context = {
        **admin_site.each_context(request), "opts": model_admin.opts, "title": f"{fulfillment_order.number} shipped",
        "fulfillment_order": fulfillment_order, "shipment": shipment,
        "may_see_shipment": request.user.has_perm("shipping.view_shipment"),
        "label_url": reverse("admin:fulfillment_fulfillmentorder_label", args=[fulfillment_order.pk])
        if shipment is not None and shipment.label_format != MANUAL_LABEL_FORMAT and request.user.has_perm("shipping.view_shipment") else None,
        "packing_slip_url": reverse("admin:fulfillment_fulfillmentorder_packing_slip", args=[fulfillment_order.pk]),
        "page_url": fulfillment_order_page(fulfillment_order.pk),
        "packing_url": reverse("admin:fulfillment_packing") if request.user.has_perm(FLOOR) else None,
    }
    return TemplateResponse(request, "admin/fulfillment/fulfillmentorder/shipped.html", context)


def _pdf(content: bytes, name: str, *, download: bool) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"attachment" if download else "inline"}; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@xframe_options_sameorigin  # shown inside the "shipped" page
def label_view(request: HttpRequest, object_id: str, *, admin_site) -> HttpResponse:
    """The label of the fulfillment order's shipment (inline; ``?download=1`` to save it)."""
    fulfillment_order = _found(object_id)
    page = fulfillment_order_page(fulfillment_order.pk)
    if not request.user.has_perm("shipping.view_shipment"):
        return refused(request, admin_site, permission="shipping.view_shipment", what="Printing shipping labels", back=page)
    if fulfillment_order.shipment_id is None:
        messages.error(request, f"{fulfillment_order.number} has no shipment booked, so there is no label to print.")
        return HttpResponseRedirect(page)
    try:
        shipment = shipment_label(shipment_id=fulfillment_order.shipment_id, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(page)
    return _pdf(bytes(shipment.label_pdf), f"label-{shipment.tracking_number}.pdf", download=bool(request.GET.get("download")))


@xframe_options_sameorigin
def packing_slip_view(request: HttpRequest, object_id: str, *, admin_site) -> HttpResponse:
    """The packing slip of one fulfillment order, as a PDF."""
    fulfillment_order = _found(object_id)
    if not request.user.has_perm("fulfillment.view_fulfillmentorder"):
        return refused(request, admin_site, permission="fulfillment.view_fulfillmentorder", what="Printing packing slips", back=reverse("admin:index"))
    _key, _model, _noun, build = BY_ID_SOURCES["packing_slips"]
    rendered = documents_pdf("packing_slips", build([fulfillment_order.pk]), chunk_size=CHUNK_SIZE)
    return _pdf(rendered.content, f"packing-slip-{fulfillment_order.number}.pdf", download=bool(request.GET.get("download")))


class SplitForm(forms.Form):
    """Units of each line of a pending fulfillment order to split off, and where they ship from."""

    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(is_active=True, can_ship=True), required=False, help_text="Empty: the same location."
    )

    def __init__(self, *args, fulfillment_order: FulfillmentOrder, **kwargs):
        super().__init__(*args, **kwargs)
        self.fulfillment_order = fulfillment_order
        self.lines = list(fulfillment_order.lines.select_related("product").order_by("pk"))
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.product.sku} (of {line.quantity})", min_value=0, max_value=line.quantity, initial=0, help_text="Units to split off."
            )

    def split(self, *, actor) -> FulfillmentOrder:
        """Split the units asked for off into a new fulfillment order (a refusal raises ``DomainError``)."""
        location = self.cleaned_data["location"]
        lines = {line.pk: self.cleaned_data[f"line_{line.pk}"] for line in self.lines if self.cleaned_data.get(f"line_{line.pk}")}
        return services.fulfillment_order_split(
            fulfillment_order_id=self.fulfillment_order.pk, lines=lines, to_location_id=location.pk if location else None, actor=actor
        )


def split_view(request: HttpRequest, object_id: str, *, admin_site, model_admin) -> HttpResponse:
    """Split units off a pending fulfillment order into a new one (the same or another location)."""
    fulfillment_order = _found(object_id)
    page = fulfillment_order_page(fulfillment_order.pk)
    if not request.user.has_perm(ROUTE):
        return refused(request, admin_site, permission=ROUTE, what=f"Splitting {fulfillment_order.number}", back=page)
    form = SplitForm(request.POST if request.method == "POST" else None, fulfillment_order=fulfillment_order)
    if form.is_bound and form.is_valid():
        try:
            split = form.split(actor=request.user)
        except DomainError as error:
            form.add_error(None, refusal_text(error))
        else:
            messages.success(request, f"{split.number} split off {fulfillment_order.number}.")
            return HttpResponseRedirect(page)
    context = {
        **admin_site.each_context(request), "opts": model_admin.opts, "title": f"Split {fulfillment_order.number}", "form": form,
        "submit_label": "Split", "cancel_url": page,
    }
    return TemplateResponse(request, "admin/oms/form_page.html", context)

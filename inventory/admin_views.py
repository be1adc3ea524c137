"""Admin views that change stock: each checks a permission, calls one inventory service and
reports back. Counters are never edited; every change leaves a StockMovement row."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from oms.admin import form_add_domain_error
from oms.errors import DomainError

from . import services
from .forms import QUARANTINE_STEPS, StockAdjustForm, StockQuarantineForm, StockReceiveForm, TransferCreateForm, TransferLineFormSet
from .models import StockLevel, Transfer


def _form_page(request, model_admin, title: str, submit_label: str, **context) -> TemplateResponse:
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "title": title, "submit_label": submit_label, **context}
    return TemplateResponse(request, context.pop("template", "admin/oms/form_page.html"), context)


def _stock_form_view(request: HttpRequest, model_admin, *, form_class, permission: str, title: str, submit_label: str, book, describe=None):
    """Show ``form_class``; once valid, ``book(cleaned_data)`` calls the service and says what it did.
    ``describe(form)``, when given, adds what the person should see before booking."""
    if not request.user.has_perm(permission):
        raise PermissionDenied
    form = form_class(request.POST) if request.method == "POST" else form_class(initial=request.GET.dict())
    if describe is not None:
        describe(form)  # before validation: a bound field copies its help text when first used
    if form.is_bound and form.is_valid():
        try:
            message = book(form.cleaned_data)
        except DomainError as error:
            form_add_domain_error(form, error, {"type": "kind"})
        else:
            messages.success(request, message)
            changelist = reverse("admin:inventory_stocklevel_changelist")
            return HttpResponseRedirect(f"{changelist}?{urlencode({'q': form.cleaned_data['sku']})}")
    return _form_page(request, model_admin, title, submit_label, form=form)


def stock_receive_view(request: HttpRequest, model_admin):
    def book(data) -> str:
        services.stock_receive(
            sku=data["sku"], location=data["location"].code, quantity=data["quantity"], reference=data["reference"], actor=request.user
        )
        return f"Received {data['quantity']} × {data['sku']} at {data['location'].code}."

    return _stock_form_view(
        request, model_admin, form_class=StockReceiveForm, permission="inventory.receive_stock",
        title="Receive stock", submit_label="Book receipt", book=book,
    )


def stock_adjust_view(request: HttpRequest, model_admin):
    def book(data) -> str:
        services.stock_adjust(
            sku=data["sku"], location=data["location"].code, quantity=data["quantity"], reason=data["reason"],
            reference=data["reference"], kind=data["kind"], actor=request.user,
        )
        return f"Adjusted {data['sku']} at {data['location'].code} by {data['quantity']:+d}."

    return _stock_form_view(
        request, model_admin, form_class=StockAdjustForm, permission="inventory.adjust_stock",
        title="Adjust stock", submit_label="Book adjustment", book=book,
    )


QUARANTINE_SERVICES = {
    "quarantine": (services.stock_quarantine, "Quarantined", "Book quarantine"),
    "release": (services.stock_quarantine_release, "Released from quarantine", "Release units"),
    "scrap": (services.stock_scrap, "Scrapped from quarantine", "Scrap units"),
}


def _quarantined_note(form) -> None:
    """Say on the quantity how many units of the row are quarantined now (one query)."""
    sku, location = (form.data or form.initial).get("sku"), (form.data or form.initial).get("location")
    if not sku or not location:
        return
    level = StockLevel.objects.filter(product__sku=sku, location__code=location).values("on_hand", "damaged").first() or {"on_hand": 0, "damaged": 0}
    form.fields["quantity"].help_text = format_html(
        "Units, above zero. Now {} of {} on hand of {} at {} are quarantined.", level["damaged"], level["on_hand"], sku, location
    )


def stock_quarantine_view(request: HttpRequest, model_admin):
    step = (request.POST if request.method == "POST" else request.GET).get("step")
    step = step if step in QUARANTINE_SERVICES else "quarantine"
    service, done, submit_label = QUARANTINE_SERVICES[step]

    def book(data) -> str:
        service(
            sku=data["sku"], location=data["location"].code, quantity=data["quantity"], reason=data["reason"],
            reference=data["reference"], actor=request.user,
        )
        return f"{done}: {data['quantity']} × {data['sku']} at {data['location'].code}."

    return _stock_form_view(
        request, model_admin, form_class=StockQuarantineForm, permission="inventory.adjust_stock",
        title=dict(QUARANTINE_STEPS)[step].split(" (")[0], submit_label=submit_label, book=book, describe=_quarantined_note,
    )


def transfer_add_view(request: HttpRequest, model_admin):
    """Draft a transfer through the service, which numbers it and checks its SKUs."""
    if not request.user.has_perm("inventory.add_transfer"):
        raise PermissionDenied
    if request.method == "POST":
        form, formset = TransferCreateForm(request.POST), TransferLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and formset.is_valid():
            lines = [(line["sku"], line["quantity"]) for line in formset.cleaned_data if line.get("sku")]
            try:
                transfer = services.stock_transfer_create(
                    source=form.cleaned_data["source"].code, destination=form.cleaned_data["destination"].code,
                    lines=lines, reference=form.cleaned_data["reference"], actor=request.user,
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, f"{transfer.number} drafted. Dispatch it when the goods leave {transfer.source.code}.")
                return HttpResponseRedirect(reverse("admin:inventory_transfer_change", args=[transfer.pk]))
    else:
        form, formset = TransferCreateForm(), TransferLineFormSet(prefix="lines")
    return _form_page(
        request, model_admin, "Draft a transfer", "Draft transfer", form=form, formset=formset,
        has_errors=bool(form.errors) or any(formset.errors), template="admin/inventory/transfer/add_form.html",
    )


TRANSFER_ACTIONS = {
    "dispatch": (services.stock_transfer_dispatch, "dispatched"),
    "receive": (services.stock_transfer_receive, "received"),
    "cancel": (services.stock_transfer_cancel, "cancelled"),
}


def transfer_action_run(request: HttpRequest, transfer: Transfer, action: str) -> bool:
    """Run one transfer step and report it; False when the service refused."""
    service, done = TRANSFER_ACTIONS[action]
    try:
        service(transfer_id=transfer.pk, actor=request.user)
    except DomainError as error:
        messages.error(request, f"{transfer}: {error.message}")
        return False
    messages.success(request, f"{transfer} {done}.")
    return True


@require_POST
def transfer_action_view(request: HttpRequest, object_id: str, action: str):
    if action not in TRANSFER_ACTIONS:
        raise Http404("No such transfer action.")
    if not request.user.has_perm("inventory.change_transfer"):
        raise PermissionDenied
    transfer = get_object_or_404(Transfer, pk=object_id)
    transfer_action_run(request, transfer, action)
    return HttpResponseRedirect(reverse("admin:inventory_transfer_change", args=[transfer.pk]))
